"""Creating and assigning tasks (督办事项), including decomposition into sub-tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from engine.calendar.deadlines import ResolvedDeadline, resolve_deadline
from engine.calendar.timefmt import local_text
from engine.errors import InvalidInput, PolicyViolation, Remedy
from engine.inputs import check_line, check_quantity, check_text
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

TITLE_MAX = 256
"""Characters in a task's title (the column's length, the same on every database)."""


def priority_key(value: str) -> str:
    """``urgent``/``high``/``normal`` from the code or its label (特急、加急、普通)."""
    priority = Priority.parse(value)
    if priority is None:
        raise InvalidInput(f"紧急程度“{value}”无效，应为：{Priority.choices()}")
    return priority.value


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


def check_task_text(data: TaskCreate) -> None:
    """The typed fields of a task, cleaned in place or refused (:mod:`engine.inputs`)."""
    data.title = check_line(data.title, "事项标题", max_length=TITLE_MAX, required=True)
    data.requirement = check_text(data.requirement, "具体要求")
    if data.measure is not None:
        data.measure = check_line(data.measure, "计量单位", max_length=16) or None
    if data.due is not None:
        data.due = check_line(data.due, "完成时限", max_length=64)
    if data.recurrence_text is not None:
        data.recurrence_text = check_line(data.recurrence_text, "周期", max_length=64) or None
    for stone in data.milestones:
        stone.title = check_line(stone.title, "阶段节点标题", max_length=TITLE_MAX, required=True)
        stone.due = check_line(stone.due, "阶段节点时限", max_length=64)
    data.target = check_quantity(data.target, "目标量", positive=True)


def _check_basics(data: TaskCreate, directive: Directive) -> Priority:
    """Check the plain values; return the priority (given as code or label)."""
    check_task_text(data)
    priority = Priority(priority_key(data.priority))
    if data.cadence_days is not None and not 1 <= data.cadence_days <= 366:
        raise InvalidInput("进展报送周期应为 1 至 366 天")
    if directive.read_only:
        raise PolicyViolation("阅示类批示只需阅知，不生成督办事项")
    return priority


def due_base(data: TaskCreate, directive: Directive, now: datetime) -> tuple[str, datetime]:
    """What the task's deadline counts from: the directive's date for a deadline taken from a
    document, the moment of entry for one the office typed."""
    if data.due_counts_from == "directive":
        return "directive", directive.issued_at
    return "entered", now


def resolve_checked(session: Session, text: str, directive: Directive,
                    base_at: datetime) -> ResolvedDeadline:
    """A deadline typed for a task under ``directive``, counted from ``base_at``: never empty,
    never before the directive was issued."""
    if not text.strip():
        raise InvalidInput("完成时限不能为空，请写明时限，如“3月31日前”“3个工作日内”")
    resolved = resolve_due(session, text=text, issued_at=base_at)
    if resolved.due_at <= directive.issued_at:
        raise InvalidInput(f"完成时限“{text}”早于下达时间，请检查")
    return resolved


@service
def create_task(*, session: Session, data: TaskCreate, actor: Actor, now: datetime,
                assign: bool = False, allow_past_due: bool = False) -> Task:
    """Register a draft task under a directive (or under a parent task for decomposition), and
    with ``assign`` send it to its units at once (交办; ``allow_past_due`` as for
    :func:`assign_task`).

    Guarantees: every reference is resolved and every value checked before anything is written;
    the deadline text is kept beside its resolution, which is also the original deadline; the
    task — and its assignment — are committed together, or on any error nothing is.
    """
    task = create_task_in_transaction(session=session, data=data, actor=actor, now=now)
    if assign:
        assign_in_transaction(session, actor, task, now, allow_past_due)
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
    base, base_at = due_base(data, directive, now)
    due = resolve_checked(session, data.due, directive, base_at) if data.due is not None else None
    milestones = [(m, resolve_checked(session, m.due, directive, base_at)) for m in data.milestones]
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
        due_base=base if due else None,
        due_base_at=base_at if due else None,
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
    """Make the task's units ``lead`` (牵头) and ``co`` (配合): a unit that stays keeps its row
    (its 签收 and feedback) with its new role; one taken off loses it; a new one gets a new row."""
    wanted = {pk(u): UnitRole.CO.value for u in co} | (
        {pk(lead): UnitRole.LEAD.value} if lead is not None else {})
    for link in session.exec(select(TaskUnit).where(TaskUnit.task_id == task.id)).all():
        role = wanted.pop(link.unit_id, None)
        if role is None:
            session.delete(link)
        elif role != link.role:
            link.role = role
            session.add(link)
    session.flush()
    task.lead_unit_id = lead.id if lead else None
    for unit_id, role in wanted.items():
        session.add(TaskUnit(task_id=pk(task), unit_id=unit_id, role=role))


@service
def assign_task(*, session: Session, task: str | int, actor: Actor, now: datetime,
                allow_past_due: bool = False) -> Task:
    """交办: the office sends the task to its units, who are notified through the outbox.

    A task whose deadline has already passed is refused with the reason (it would be overdue
    the moment the units receive it) unless ``allow_past_due`` says the office means it.
    """
    row = find_visible_task(session, actor, task, for_update=True)
    assign_in_transaction(session, actor, row, now, allow_past_due)
    return row


def assign_in_transaction(session: Session, actor: Actor, row: Task, now: datetime,
                          allow_past_due: bool = False) -> None:
    """:func:`assign_task`'s checks and writes on a loaded task, left in the caller's
    transaction (splitting a directive assigns several tasks together)."""
    require_action(session, actor, row, "assign")
    if row.status == TaskStatus.DRAFT and (row.lead_unit_id is None or row.due_at is None):
        raise PolicyViolation(f"事项 {row.code} 尚缺牵头单位或完成时限，请先补充后再交办",
                              remedy=Remedy.EDIT_TASK)
    if row.due_at is not None and row.due_at <= now and not allow_past_due:
        when = local_text(row.due_at, zone_for(get_policy(session)))
        raise PolicyViolation(f"事项 {row.code} 的完成时限（{row.due_text or when}，{when}）已过，"
                              "交办即逾期：请先修改时限，或确认后再交办",
                              remedy=Remedy.ALLOW_PAST_DUE)
    lifecycle.transition(session, task=row, action="assign", actor=actor, now=now)
    row.assigned_at = now
    notify.task_assigned(session, task=row, now=now)
