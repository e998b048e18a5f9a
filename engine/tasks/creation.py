"""Creating and assigning tasks (督办事项), including decomposition into sub-tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from engine.calendar.deadlines import ResolvedDeadline, resolve_deadline
from engine.errors import InvalidInput, PolicyViolation
from engine.org.actors import Actor
from engine.org.directory import find_directive, find_person, find_unit
from engine.org.permissions import require_action, require_office
from engine.org.visibility import find_visible_task
from engine.outbox import notify
from engine.store.codes import next_task_code
from engine.store.ids import pk
from engine.store.policy import calendar_for, get_policy, zone_for
from engine.store.service import service
from engine.tasks import audit, lifecycle
from engine.values import Priority, TaskStatus, UnitRole
from models import Directive, Milestone, Person, Task, TaskCreate, TaskUnit, Unit


def resolve_due(session: Session, *, text: str, issued_at: datetime) -> ResolvedDeadline:
    """Resolve a deadline expression against an issue moment with the policy's calendar."""
    policy = get_policy(session)
    return resolve_deadline(
        text, issued_at=issued_at, tz=zone_for(policy), calendar=calendar_for(policy)
    )


def check_units(session: Session, lead_ref: str | None,
                co_refs: list[str]) -> tuple[Unit | None, list[Unit]]:
    """Resolve the lead and cooperating units; the lead may not also cooperate, nor repeat."""
    lead = find_unit(session, lead_ref) if lead_ref else None
    co: list[Unit] = []
    for ref in co_refs:
        unit = find_unit(session, ref)
        if lead is not None and unit.id == lead.id:
            raise InvalidInput(f"{unit.name} 已是牵头单位，不能同时作为配合单位")
        if unit.id in {u.id for u in co}:
            raise InvalidInput(f"配合单位 {unit.name} 重复")
        co.append(unit)
    return lead, co


def _check_people(session: Session, data: TaskCreate) -> tuple[Person | None, Person | None]:
    owner = find_person(session, data.owner) if data.owner else None
    leader = find_person(session, data.leader) if data.leader else None
    if leader is not None and "leader" not in leader.roles:
        raise InvalidInput(f"{leader.name} 不是领导，不能作为分管领导")
    return owner, leader


def _check_basics(data: TaskCreate, directive: Directive) -> Priority:
    """Check the plain values; return the priority (given as code or label)."""
    if not data.title.strip():
        raise InvalidInput("事项标题不能为空")
    priority = Priority.parse(data.priority)
    if priority is None:
        raise InvalidInput(f"紧急程度“{data.priority}”无效，应为：{Priority.choices()}")
    if data.target is not None and data.target <= 0:
        raise InvalidInput("目标量必须大于 0")
    if data.cadence_days is not None and data.cadence_days < 1:
        raise InvalidInput("进展报送周期必须至少为 1 天")
    if directive.read_only:
        raise PolicyViolation("阅示类批示只需阅知，不生成督办事项")
    return priority


def _resolve_checked(session: Session, text: str, directive: Directive) -> ResolvedDeadline:
    resolved = resolve_due(session, text=text, issued_at=directive.issued_at)
    if resolved.due_at <= directive.issued_at:
        raise InvalidInput(f"完成时限“{text}”早于下达时间，请检查")
    return resolved


@service
def create_task(*, session: Session, data: TaskCreate, actor: Actor, now: datetime,
                assign: bool = False) -> Task:
    """Register a draft task under a directive (or under a parent task for decomposition), and
    with ``assign`` send it to its units at once (交办).

    Guarantees: every reference is resolved and every value checked before anything is written;
    the deadline text is kept beside its resolution, which is also the original deadline; the
    task — and its assignment — are committed together, or on any error nothing is.
    """
    task = create_task_in_transaction(session=session, data=data, actor=actor, now=now)
    if assign:
        _assign(session, actor, task, now)
    return task


def create_task_in_transaction(
    *, session: Session, data: TaskCreate, actor: Actor, now: datetime
) -> Task:
    """The body of :func:`create_task` without the commit (the service wrapper is what commits).

    Same checks and writes, flushed but left in the caller's transaction, so a caller creating
    several tasks (the Excel import) commits them together or rolls all of them back.
    """
    require_office(actor, "创建督办事项")
    directive = find_directive(session, data.directive_id)
    priority = _check_basics(data, directive)
    parent = (find_visible_task(session, actor, data.parent_id)
              if data.parent_id is not None else None)
    lead, co = check_units(session, data.lead_unit, data.co_units)
    owner, leader = _check_people(session, data)
    due = _resolve_checked(session, data.due, directive) if data.due else None
    milestones = [(m, _resolve_checked(session, m.due, directive)) for m in data.milestones]
    for m, resolved in milestones:
        if due is not None and resolved.due_at > due.due_at:
            raise InvalidInput(f"阶段节点“{m.title}”的时限晚于事项完成时限")
    tz = zone_for(get_policy(session))
    task = Task(
        **data.model_dump(include=set(_BASE_FIELDS)),
        priority=priority.value,
        code=next_task_code(session, year=directive.issued_at.astimezone(tz).year),
        directive_id=pk(directive),
        parent_id=parent.id if parent else None,
        lead_unit_id=lead.id if lead else None,
        owner_id=owner.id if owner else None,
        leader_id=leader.id if leader else (parent.leader_id if parent else None),
        status=TaskStatus.DRAFT.value,
        due_at=due.due_at if due else None,
        due_text=due.text if due else "",
        original_due_at=due.due_at if due else None,
        original_due_text=due.text if due else "",
        recurrence_text=due.recurrence.text if due and due.recurrence else data.recurrence_text,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    session.flush()
    _add_links_and_milestones(session, task, lead, co, milestones)
    audit.record(session, actor=actor, entity="task", entity_id=task.id, action="create", now=now,
                 after={"code": task.code, "title": task.title, "due_at": task.due_at,
                        "lead_unit": lead.code if lead else None,
                        "co_units": [u.code for u in co]})
    return task


_BASE_FIELDS = ("title", "requirement", "target", "measure", "cadence_days")


def _add_links_and_milestones(session: Session, task: Task, lead: Unit | None, co: list[Unit],
                              milestones: Sequence[tuple[object, ResolvedDeadline]]) -> None:
    set_units(session, task, lead, co)
    for seq, (spec, resolved) in enumerate(milestones, start=1):
        session.add(Milestone(task_id=pk(task), seq=seq, title=getattr(spec, "title", ""),
                              due_text=resolved.text, due_at=resolved.due_at))


def set_units(session: Session, task: Task, lead: Unit | None, co: list[Unit]) -> None:
    """Replace the task's unit links with ``lead`` (牵头) and ``co`` (配合)."""
    for link in session.exec(select(TaskUnit).where(TaskUnit.task_id == task.id)).all():
        session.delete(link)
    session.flush()
    task.lead_unit_id = lead.id if lead else None
    if lead is not None:
        session.add(TaskUnit(task_id=pk(task), unit_id=pk(lead), role=UnitRole.LEAD.value))
    for unit in co:
        session.add(TaskUnit(task_id=pk(task), unit_id=pk(unit), role=UnitRole.CO.value))


@service
def assign_task(*, session: Session, task: str | int, actor: Actor, now: datetime) -> Task:
    """交办: the office sends the task to its units, who are notified through the outbox."""
    row = find_visible_task(session, actor, task)
    _assign(session, actor, row, now)
    return row


def _assign(session: Session, actor: Actor, row: Task, now: datetime) -> None:
    require_action(session, actor, row, "assign")
    if row.status == TaskStatus.DRAFT and (row.lead_unit_id is None or row.due_at is None):
        raise PolicyViolation(f"事项 {row.code} 尚缺牵头单位或完成时限，请先用 duban task edit 补充后再交办")
    lifecycle.transition(session, task=row, action="assign", actor=actor, now=now)
    row.assigned_at = now
    notify.task_assigned(session, task=row, now=now)
