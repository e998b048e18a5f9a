"""The home page's lists: overdue items, items due soon, what waits for the reader, and today's
escalations — each a count of every match and the first rows of it.

Every query carries the reader's visibility scope (``where``); rows are read a list at a time
and built by :func:`engine.read.tasks.task_rows` (a few queries per list, never one per row).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from engine.calendar.lights import LIT_STATUSES, workdays_overdue
from engine.org.actors import Actor
from engine.org.visibility import UNIT_ROLES
from engine.read.overview_schemas import EscalationToday, OverdueRow, WorkList
from engine.read.schemas import TaskRow
from engine.read.tasks import task_rows
from engine.store.policy import get_policy, zone_for
from engine.values import (
    LADDER_STATUSES,
    EscalationLevel,
    ExtensionState,
    Role,
    TaskStatus,
)
from models import AuditEvent, ExtensionRequest, Task, TaskUnit


def first_tasks(session: Session, where: list[Any], order: list[Any], limit: int) -> list[Task]:
    """The first ``limit`` tasks matching ``where`` in ``order`` (then by id)."""
    return list(session.exec(select(Task).where(*where).order_by(*order, col(Task.id))
                             .limit(limit)).all())


def count_tasks(session: Session, where: list[Any]) -> int:
    return int(session.exec(select(func.count()).select_from(Task).where(*where)).one())


def lit() -> list[Any]:
    return [col(Task.status).in_(LIT_STATUSES), col(Task.due_at).is_not(None)]


def overdue_rows(session: Session, scope: list[Any], now: datetime,
                 limit: int) -> list[OverdueRow]:
    """The longest overdue visible tasks first, with their working days overdue."""
    tasks = first_tasks(session, [*lit(), col(Task.due_at) < now, *scope], [col(Task.due_at)],
                        limit)
    policy = get_policy(session)
    return [OverdueRow(task=row, workdays_overdue=workdays_overdue(task, now, policy))
            for task, row in zip(tasks, task_rows(session, tasks, now), strict=True)]


def due_soon(session: Session, scope: list[Any], now: datetime, cutoff: datetime,
             limit: int) -> tuple[int, list[TaskRow]]:
    """Visible tasks due between ``now`` and ``cutoff``, earliest first: (count, first rows)."""
    where = [*lit(), col(Task.due_at) >= now, col(Task.due_at) <= cutoff, *scope]
    total = count_tasks(session, where)
    tasks = first_tasks(session, where, [col(Task.due_at)], limit) if total else []
    return total, task_rows(session, tasks, now)


def _work_list(session: Session, key: str, title: str, where: list[Any], order: list[Any],
               now: datetime, limit: int) -> WorkList:
    total = count_tasks(session, where)
    tasks = first_tasks(session, where, order, limit) if total else []
    return WorkList(key=key, title=title, total=total, rows=task_rows(session, tasks, now))


def waiting_for(session: Session, actor: Actor, scope: list[Any], now: datetime,
                limit: int) -> list[WorkList]:
    """What waits for the reader, by role: their unit's tasks not yet 签收 (unit people); the
    completion requests to verify and the extension requests to decide (the office); red items
    in their scope (leaders). A person with several roles gets each list."""
    lists: list[WorkList] = []
    due = col(Task.due_at)
    if actor.unit_id is not None and actor.has(*UNIT_ROLES):
        unsigned = select(TaskUnit.task_id).where(TaskUnit.unit_id == actor.unit_id,
                                                  col(TaskUnit.acknowledged_at).is_(None))
        lists.append(_work_list(session, "acknowledge", "待签收", [
            col(Task.status).in_(LADDER_STATUSES), col(Task.id).in_(unsigned), *scope],
            [due], now, limit))
    if actor.acts_as_office:
        lists.append(_work_list(session, "review", "待办结审核", [
            Task.status == TaskStatus.PENDING_REVIEW, *scope], [due], now, limit))
        pending = select(ExtensionRequest.task_id).where(
            ExtensionRequest.status == ExtensionState.PENDING)
        lists.append(_work_list(session, "extension", "待延期审批", [
            col(Task.id).in_(pending), col(Task.status).in_(LIT_STATUSES), *scope],
            [due], now, limit))
    if actor.has(Role.LEADER):
        lists.append(_work_list(session, "red", "红灯事项", [*lit(), due < now, *scope], [due],
                                now, limit))
    return lists


def escalations_today(session: Session, scope: list[Any], now: datetime,
                      limit: int) -> tuple[int, list[EscalationToday]]:
    """催办 / 督办 / 通报 issued since the start of ``now``'s local day, on visible tasks, the
    latest first: (count, first rows)."""
    tz = zone_for(get_policy(session))
    start = datetime.combine(now.astimezone(tz).date(), time.min, tzinfo=tz)
    visible = select(Task.id).where(*scope) if scope else None
    where: list[Any] = [AuditEvent.action == "escalate", AuditEvent.entity == "task",
                        col(AuditEvent.at) >= start, col(AuditEvent.at) <= now]
    if visible is not None:
        where.append(col(AuditEvent.entity_id).in_(visible))
    total = int(session.exec(select(func.count()).select_from(AuditEvent).where(*where)).one())
    events = session.exec(select(AuditEvent).where(*where)
                          .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                          .limit(limit)).all() if total else []
    tasks = {t.id: t for t in session.exec(select(Task).where(
        col(Task.id).in_({e.entity_id for e in events}))).all()} if events else {}
    rows = {r.id: r for r in task_rows(session, list(tasks.values()), now)}
    out = [EscalationToday(task=rows[e.entity_id], level=_level(e), at=e.at.astimezone(tz))
           for e in events if e.entity_id in rows]
    return total, out


def _level(event: AuditEvent) -> EscalationLevel:
    raw = (event.after or {}).get("level", 1)
    try:
        return EscalationLevel(int(raw))
    except (TypeError, ValueError):
        return EscalationLevel.URGED
