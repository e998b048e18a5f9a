"""回头看: closed tasks are re-checked after a while; a failed re-check reopens the task."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from engine.errors import InvalidInput, InvalidTransition
from engine.inputs import check_line, check_text
from engine.org.actors import Actor
from engine.org.permissions import require_action
from engine.org.visibility import find_visible_task
from engine.outbox import notify
from engine.store.ids import pk
from engine.store.service import service
from engine.tasks import audit, lifecycle
from engine.tasks.creation import resolve_due
from models import Recheck, Task


@service
def schedule_recheck(
    *, session: Session, task: str | int, actor: Actor, when: str, now: datetime
) -> Recheck:
    """Plan a re-check of a closed task at ``when`` (any deadline expression)."""
    row = find_visible_task(session, actor, task, for_update=True)
    require_action(session, actor, row, "recheck")
    _require_closed(row)
    when = check_line(when, "回头看时间", max_length=64, required=True)
    resolved = resolve_due(session, text=when, issued_at=now)
    recheck = Recheck(task_id=pk(row), due_at=resolved.due_at, created_at=now)
    session.add(recheck)
    return recheck


def can_recheck(task: Task) -> bool:
    """Whether the task is in the state a 回头看 applies to (closed)."""
    return task.status == "closed"


def _require_closed(task: Task) -> None:
    # 回头看 is the lifecycle's closed → in_progress move: refused like any other move.
    if not can_recheck(task):
        raise InvalidTransition(task.status, task.status, "开展回头看")


def _open_recheck(session: Session, task: Task) -> Recheck:
    recheck = session.exec(
        select(Recheck).where(Recheck.task_id == task.id, Recheck.done_at == None)  # noqa: E711
        .order_by(col(Recheck.due_at)).execution_options(populate_existing=True)
    ).first()
    if recheck is None:
        recheck = Recheck(task_id=pk(task), due_at=task.closed_at or task.updated_at,
                          created_at=task.updated_at)
    return recheck


@service
def record_recheck(
    *, session: Session, task: str | int, actor: Actor, passed: bool, note: str,
    now: datetime, new_due: str | None = None,
) -> Recheck:
    """Record the re-check result; a failed one reopens the task (closed → in_progress).

    ``new_due`` (any deadline expression, counted from ``now``) gives the reopened task its
    rectification deadline; the original deadline is kept and the ladder restarts.
    """
    row = find_visible_task(session, actor, task, for_update=True)
    require_action(session, actor, row, "recheck")
    _require_closed(row)
    note = check_text(note, "回头看情况")
    if new_due is not None:
        new_due = check_line(new_due, "整改时限", max_length=64) or None
    if not passed and not note.strip():
        raise InvalidInput("回头看发现问题时须写明问题")
    if passed and new_due:
        raise InvalidInput("回头看通过时无需设定整改时限")
    if new_due:
        resolve_due(session, text=new_due, issued_at=now)  # refuse a bad expression up front
    recheck = _open_recheck(session, row)
    recheck.done_at, recheck.by_id = now, actor.person_id
    recheck.result, recheck.note = ("passed" if passed else "reopened"), note or None
    session.add(recheck)
    if passed:
        audit.record(session, actor=actor, entity="task", entity_id=row.id, action="recheck",
                     now=now, before={"status": row.status},
                     after={"status": row.status, "result": "passed", "note": note})
    else:
        lifecycle.transition(session, task=row, action="reopen", actor=actor, now=now,
                             detail={"reason": note})
        row.closed_at, row.rating = None, None
        if new_due:
            _set_rectification_due(session, row, new_due, now)
        session.flush()
        notify.task_reopened(session, task=row, reason=note, now=now, seq=recheck.id or 0)
    return recheck


def _set_rectification_due(session: Session, task: Task, text: str, now: datetime) -> None:
    resolved = resolve_due(session, text=text, issued_at=now)
    task.due_at, task.due_text = resolved.due_at, resolved.text
    task.due_base, task.due_base_at = "recheck", now
    task.deadline_version += 1
    task.escalation_level, task.escalated_at = 0, None
