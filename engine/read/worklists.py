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
from engine.read.merged import by_status, count_branches, due_key, first_merged
from engine.read.overview_schemas import EscalationToday, OverdueRow, WorkList
from engine.read.schemas import TaskRow
from engine.read.tasks import awaiting_extension, task_rows
from engine.store.policy import get_policy, zone_for
from engine.values import (
    LADDER_STATUSES,
    EscalationLevel,
    ExtensionState,
    Role,
    TaskStatus,
)
from models import AuditEvent, ExtensionRequest, Task, TaskUnit


def _by_due(session: Session, statuses: tuple[str, ...], where: list[Any], limit: int,
            total: int | None = None, *, narrowed: bool) -> tuple[int, list[Task]]:
    """(count, first ``limit`` by deadline) of tasks in ``statuses`` matching ``where``;
    ``total`` when already known. See :func:`_first_by_due` for ``narrowed``."""
    dated = [col(Task.due_at).is_not(None), *where]
    if total is None:
        if narrowed:
            total = int(session.exec(select(func.count()).select_from(Task).where(
                col(Task.status).in_(statuses), *dated)).one())
        else:
            total = count_branches(session, by_status(statuses, dated))
    return total, _first_by_due(session, statuses, where, limit, narrowed=narrowed) if total else []


def _first_by_due(session: Session, statuses: tuple[str, ...], where: list[Any], limit: int,
                  *, narrowed: bool) -> list[Task]:
    """The first ``limit`` tasks in ``statuses`` matching ``where`` by deadline.

    Over every task (``narrowed`` false) one index range per status, merged
    (:mod:`engine.read.merged`); over a narrowed reader's tasks (a unit's, a leader's) one
    query: each query re-evaluates the reader's scope — a few thousand rows at a million — so
    one per status would only repeat that work."""
    dated = [col(Task.due_at).is_not(None), *where]
    order = [col(Task.due_at), col(Task.id)]
    if not narrowed:
        return first_merged(session, by_status(statuses, dated), order, due_key, limit)
    return list(session.exec(select(Task).where(col(Task.status).in_(statuses), *dated)
                             .order_by(*order).limit(limit)).all())


def overdue_rows(session: Session, scope: list[Any], now: datetime,
                 limit: int, *, narrowed: bool = False) -> list[OverdueRow]:
    """The longest overdue visible tasks first, with their working days overdue."""
    tasks = _first_by_due(session, LIT_STATUSES, [col(Task.due_at) < now, *scope], limit,
                          narrowed=narrowed)
    policy = get_policy(session)
    return [OverdueRow(task=row, workdays_overdue=workdays_overdue(task, now, policy))
            for task, row in zip(tasks, task_rows(session, tasks, now), strict=True)]


def due_soon(session: Session, scope: list[Any], now: datetime, cutoff: datetime,
             limit: int, total: int | None = None, *,
             narrowed: bool = False) -> tuple[int, list[TaskRow]]:
    """Visible tasks due between ``now`` and ``cutoff``, earliest first: (count, first rows);
    ``total`` when the count is already known."""
    total, tasks = _by_due(session, LIT_STATUSES, [col(Task.due_at) >= now,
                                                  col(Task.due_at) <= cutoff, *scope], limit,
                           total, narrowed=narrowed)
    return total, task_rows(session, tasks, now)


def _work_list(session: Session, key: str, title: str, statuses: tuple[str, ...],
               where: list[Any], now: datetime, limit: int, total: int | None = None, *,
               narrowed: bool) -> WorkList:
    total, tasks = _by_due(session, statuses, where, limit, total, narrowed=narrowed)
    return WorkList(key=key, title=title, total=total, rows=task_rows(session, tasks, now))


def waiting_for(session: Session, actor: Actor, scope: list[Any], now: datetime, limit: int,
                known: dict[str, int] | None = None, *,
                narrowed: bool = False) -> list[WorkList]:
    """What waits for the reader, by role: their unit's tasks not yet 签收 (unit people); the
    completion requests to verify and the extension requests to decide (the office); red items
    in their scope (leaders). A person with several roles gets each list. ``known``: counts
    already at hand (``review``, ``red``) for a reader who sees every task."""
    known = known or {}
    lists: list[WorkList] = []
    if actor.unit_id is not None and actor.has(*UNIT_ROLES):
        unsigned = select(TaskUnit.task_id).where(TaskUnit.unit_id == actor.unit_id,
                                                  col(TaskUnit.acknowledged_at).is_(None))
        lists.append(_work_list(session, "acknowledge", "待签收", LADDER_STATUSES,
                                [col(Task.id).in_(unsigned), *scope], now, limit,
                                narrowed=narrowed))
    if actor.acts_as_office:
        lists.append(_work_list(session, "review", "待办结审核", (TaskStatus.PENDING_REVIEW,),
                                scope, now, limit, known.get("review"), narrowed=narrowed))
        lists.append(_extensions(session, scope, now, limit))
    if actor.has(Role.LEADER):
        lists.append(_work_list(session, "red", "红灯事项", LIT_STATUSES,
                                [col(Task.due_at) < now, *scope], now, limit, known.get("red"),
                                narrowed=narrowed))
    return lists


def _extensions(session: Session, scope: list[Any], now: datetime, limit: int) -> WorkList:
    """Open tasks with an extension request awaiting decision, the longest waiting first: led
    by the pending requests in the order they came, each task by its key."""
    # Counted by the 台账's own rule (its 待延期审批 filter continues this list).
    total = int(session.exec(select(func.count()).select_from(Task)
                             .where(*awaiting_extension(), *scope)).one())
    pending = [ExtensionRequest.status == ExtensionState.PENDING,
               col(Task.status).in_(LIT_STATUSES), *scope]
    joined = col(Task.id) == col(ExtensionRequest.task_id)
    tasks: list[Task] = []
    if total:
        rows = session.exec(select(Task).join(ExtensionRequest, joined).where(*pending)
                            .order_by(col(ExtensionRequest.id)).limit(2 * limit)).all()
        # A task with two requests waiting is listed once, where its first one stands.
        firsts: dict[int | None, Task] = {}
        for task in rows:
            firsts.setdefault(task.id, task)
        tasks = list(firsts.values())[:limit]
    return WorkList(key="extension", title="待延期审批", total=total,
                    rows=task_rows(session, tasks, now))


def escalations_today(session: Session, scope: list[Any], now: datetime,
                      limit: int) -> tuple[int, list[EscalationToday]]:
    """催办 / 督办 / 通报 issued since the start of ``now``'s local day, on visible tasks, the
    latest first: (count, first rows)."""
    tz = zone_for(get_policy(session))
    start = datetime.combine(now.astimezone(tz).date(), time.min, tzinfo=tz)
    where: list[Any] = [AuditEvent.action == "escalate", AuditEvent.entity == "task",
                        col(AuditEvent.at) >= start, col(AuditEvent.at) <= now, *scope]
    # Joined (not "entity_id IN visible tasks"): the day's events lead, each task by its key.
    joined = (col(Task.id) == col(AuditEvent.entity_id))
    total = int(session.exec(select(func.count()).select_from(AuditEvent).join(Task, joined)
                             .where(*where)).one())
    events = session.exec(select(AuditEvent).join(Task, joined).where(*where)
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
