"""The office corrects a task (``duban task edit``).

A draft (待交办) is completed before assignment: lead and cooperating units, the deadline, the
title, the supervising leader — what document intake could not determine. A task already with
its units may be corrected too — title, requirement, units, owner, supervising leader, priority,
target and measure — while it is open; its deadline moves only through an approved extension.

Guarantees: every value is checked before anything changes; units that stay keep their
签收 and feedback (a new lead unit signs on its own row); the change is one audit event listing
each field before and after; the units concerned — those of the task after the change and any
unit taken off it — are told through the outbox in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from engine.errors import InvalidInput, PolicyViolation, Remedy
from engine.inputs import check_line, check_quantity, check_text
from engine.org.actors import Actor
from engine.org.directory import find_directive, find_person
from engine.org.permissions import require_action
from engine.org.visibility import find_visible_task
from engine.outbox import notify
from engine.store.service import service
from engine.tasks import lifecycle
from engine.tasks.creation import TITLE_MAX, check_units, priority_key, resolve_checked, set_units
from engine.values import Priority, label_of
from models import Person, Task, TaskUnit, Unit


@service
def edit_task(
    *, session: Session, task: str | int, actor: Actor, now: datetime,
    title: str | None = None, lead: str | None = None, co: list[str] | None = None,
    due: str | None = None, leader: str | None = None, owner: str | None = None,
    priority: str | None = None, target: float | None = None, measure: str | None = None,
    requirement: str | None = None,
) -> Task:
    """Change the given fields of an open task (see the module docstring for what may change
    once it is assigned); returns the task."""
    row = find_visible_task(session, actor, task, for_update=True)
    require_action(session, actor, row, "edit")
    lifecycle.target_status(row.status, "edit")  # closed and cancelled tasks refuse first
    if due is not None and row.status != "draft":
        raise PolicyViolation(f"事项 {row.code} 已交办，完成时限不能直接修改；调整时限请走延期申请与审批")
    changes: dict[str, list[Any]] = {}
    before_units = _unit_ids(session, row)
    if lead is not None or co is not None:
        _change_units(session, row, lead, co, changes)
    if due is not None:
        _change_due(session, row, due, changes, now)
    _change_people(session, row, leader, owner, changes)
    _change_fields(row, changes, title=title, priority=priority, target=target,
                   measure=measure, requirement=requirement)
    if not changes:
        raise InvalidInput("没有要修改的内容", remedy=Remedy.EDIT_FIELDS)
    lifecycle.transition(session, task=row, action="edit", actor=actor, now=now,
                         detail={"changes": changes})
    if row.status != "draft":
        session.flush()
        removed = before_units - _unit_ids(session, row)
        names = dict(session.exec(select(Unit.code, Unit.name)).all())
        notify.task_edited(session, task=row, changes=describe_changes(changes, names),
                           removed=removed, now=now, seq=notify.event_seq(session, row))
    return row


def _unit_ids(session: Session, row: Task) -> set[int]:
    return set(session.exec(select(TaskUnit.unit_id).where(TaskUnit.task_id == row.id)).all())


def _change_units(session: Session, row: Task, lead: str | None, co: list[str] | None,
                  changes: dict[str, list[Any]]) -> None:
    links = session.exec(select(TaskUnit).where(TaskUnit.task_id == row.id)).all()
    units = {u.id: u.code for u in session.exec(
        select(Unit).where(col(Unit.id).in_([link.unit_id for link in links]))).all()}
    current_lead = next((units[link.unit_id] for link in links if link.role == "lead"), None)
    current_co = [units[link.unit_id] for link in links if link.role == "co"]
    new_lead, new_co = check_units(session, lead if lead is not None else current_lead,
                                   co if co is not None else current_co)
    if row.status != "draft" and new_lead is None:
        raise InvalidInput("已交办的事项必须有牵头单位")
    set_units(session, row, new_lead, new_co)
    if (new_lead.code if new_lead else None) != current_lead:
        changes["lead_unit"] = [current_lead, new_lead.code if new_lead else None]
    if [u.code for u in new_co] != current_co:
        changes["co_units"] = [current_co, [u.code for u in new_co]]


def _change_due(session: Session, row: Task, text: str, changes: dict[str, list[Any]],
                now: datetime) -> None:
    # Typed by the office now: a relative deadline counts from this moment.
    directive = find_directive(session, row.directive_id)
    resolved = resolve_checked(session, text, directive, now)
    changes["due_text"] = [row.due_text, resolved.text]
    changes["due_at"] = [row.due_at, resolved.due_at]
    row.due_at = row.original_due_at = resolved.due_at
    row.due_text = row.original_due_text = resolved.text
    row.due_base, row.due_base_at = "entered", now


def _change_people(session: Session, row: Task, leader: str | None, owner: str | None,
                   changes: dict[str, list[Any]]) -> None:
    if leader is not None:
        person = find_person(session, leader)
        if "leader" not in person.roles:
            raise InvalidInput(f"{person.name} 不是领导，不能作为分管领导")
        if person.id != row.leader_id:
            changes["leader"] = [_name(session, row.leader_id), person.name]
            row.leader_id = person.id
    if owner is not None:
        person = find_person(session, owner)
        if person.id != row.owner_id:
            changes["owner"] = [_name(session, row.owner_id), person.name]
            row.owner_id = person.id


def _name(session: Session, person_id: int | None) -> str | None:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.name if person else None


def _change_fields(row: Task, changes: dict[str, list[Any]], **values: Any) -> None:
    """Title, priority, target, measure, requirement: each checked, recorded when it differs."""
    checked = {
        "title": lambda v: check_line(v, "事项标题", max_length=TITLE_MAX, required=True),
        "priority": priority_key,
        "target": lambda v: check_quantity(v, "目标量", positive=True),
        "measure": lambda v: check_line(v, "计量单位", max_length=16) or None,
        "requirement": lambda v: check_text(v, "具体要求"),
    }
    for field, value in values.items():
        if value is None:
            continue
        new = checked[field](value)
        if new != getattr(row, field):
            changes[field] = [getattr(row, field), new]
            setattr(row, field, new)


_FIELD_NAMES = {"title": "标题", "requirement": "具体要求", "lead_unit": "牵头单位",
                "co_units": "配合单位", "owner": "责任人", "leader": "分管领导",
                "priority": "紧急程度", "target": "目标量", "measure": "计量单位",
                "due_text": "完成时限"}


def describe_changes(changes: dict[str, list[Any]], unit_names: dict[str, str]) -> list[str]:
    """"紧急程度：普通 → 特急" per changed field, for the units' message."""
    lines = []
    for field, (old, new) in changes.items():
        if field not in _FIELD_NAMES:
            continue
        if field == "priority":
            old, new = label_of(Priority, old), label_of(Priority, new)
        if field in ("lead_unit", "co_units"):
            old, new = (([unit_names.get(c, c) for c in v] if isinstance(v, list)
                         else unit_names.get(v or "", v)) for v in (old, new))
        if field == "requirement":
            lines.append("具体要求已更新")
            continue
        shown = ["、".join(v) if isinstance(v, list) else ("无" if v in (None, "") else f"{v:g}"
                 if isinstance(v, float) else str(v)) for v in (old, new)]
        lines.append(f"{_FIELD_NAMES[field]}：{shown[0]} → {shown[1]}")
    return lines
