"""Completing a draft task before it is assigned (待交办): the office fills in or corrects what
document intake could not determine — lead and cooperating units, the deadline, the title, the
supervising leader. Once assigned, a deadline moves only through an approved extension."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from engine.errors import InvalidInput, PolicyViolation
from engine.inputs import check_line
from engine.org.directory import find_directive, find_person, find_task
from engine.org.permissions import require_action
from engine.store.service import service
from engine.tasks import lifecycle
from engine.tasks.creation import TITLE_MAX, check_units, resolve_checked, set_units
from models import Person, Task, TaskUnit, Unit


@service
def edit_draft(
    *, session: Session, task: str | int, actor: Person | None, now: datetime,
    title: str | None = None, lead: str | None = None, co: list[str] | None = None,
    due: str | None = None, leader: str | None = None,
) -> Task:
    """Change the given fields of a draft; everything is checked before anything changes."""
    row = find_task(session, task)
    require_action(session, actor, row, "edit")
    if row.status != "draft":
        raise PolicyViolation(f"事项 {row.code} 已交办，不能直接修改；调整时限请走延期审批")
    if title is not None:
        title = check_line(title, "事项标题", max_length=TITLE_MAX, required=True)
    changes: dict[str, object] = {}
    if lead is not None or co is not None:
        _change_units(session, row, lead, co, changes)
    if due is not None:
        _change_due(session, row, due, changes, now)
    if leader is not None:
        person = find_person(session, leader)
        if "leader" not in person.roles:
            raise InvalidInput(f"{person.name} 不是领导，不能作为分管领导")
        row.leader_id, changes["leader"] = person.id, person.name
    if title is not None:
        row.title, changes["title"] = title, title
    if not changes:
        raise InvalidInput("没有要修改的内容（可用 --lead、--co、--due、--title、--leader）")
    lifecycle.transition(session, task=row, action="edit", actor=actor, now=now, detail=changes)
    return row


def _change_units(session: Session, row: Task, lead: str | None, co: list[str] | None,
                  changes: dict[str, object]) -> None:
    links = session.exec(select(TaskUnit).where(TaskUnit.task_id == row.id)).all()
    units = {u.id: u.code for u in session.exec(
        select(Unit).where(col(Unit.id).in_([link.unit_id for link in links]))).all()}
    current_lead = next((units[link.unit_id] for link in links if link.role == "lead"), None)
    current_co = [units[link.unit_id] for link in links if link.role == "co"]
    new_lead, new_co = check_units(session, lead if lead is not None else current_lead,
                                   co if co is not None else current_co)
    set_units(session, row, new_lead, new_co)
    changes["lead_unit"] = new_lead.code if new_lead else None
    changes["co_units"] = [u.code for u in new_co]


def _change_due(session: Session, row: Task, text: str, changes: dict[str, object],
                now: datetime) -> None:
    # Typed by the office now: a relative deadline counts from this moment.
    directive = find_directive(session, row.directive_id)
    resolved = resolve_checked(session, text, directive, now)
    row.due_at = row.original_due_at = resolved.due_at
    row.due_text = row.original_due_text = resolved.text
    row.due_base, row.due_base_at = "entered", now
    changes["due_at"], changes["due_text"] = resolved.due_at, resolved.text
