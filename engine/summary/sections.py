"""The lists of the 15:00 summary: each a count of every match and its first ``LIST_LIMIT``
rows, read as index ranges (a million tasks cost what a thousand do)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from engine.read import tally
from engine.read.merged import by_status, count_branches, due_key, first_merged
from engine.read.schemas import SummarySection
from engine.read.tasks import task_rows
from engine.store.policy import zone_for
from engine.values import ACTIVE_STATUSES, LADDER_STATUSES, ExtensionState
from models import ExtensionRequest, Task

LIST_LIMIT = 50
"""Rows shown per list in a summary (the counts always cover everything)."""


def by_deadline(session: Session, title: str, now: datetime, where: list[Any],
                total: int) -> SummarySection:
    """Active tasks matching ``where`` (``total`` of them, counted by the caller), the earliest
    deadline first: one index range per status."""
    branches = by_status(ACTIVE_STATUSES, where)
    tasks = first_merged(session, branches, [col(Task.due_at), col(Task.id)], due_key,
                         LIST_LIMIT) if total else []
    return SummarySection(title=title, total=total, rows=task_rows(session, tasks, now))


def plain(session: Session, title: str, now: datetime, where: list[Any],
          order: list[Any]) -> SummarySection:
    """Tasks matching ``where`` in ``order`` (a small index range: new, closed, escalated)."""
    total = session.exec(select(func.count()).select_from(Task).where(*where)).one()
    tasks = session.exec(select(Task).where(*where).order_by(*order, col(Task.id))
                         .limit(LIST_LIMIT)).all() if total else []
    return SummarySection(title=title, total=int(total), rows=task_rows(session, list(tasks), now))


def stale(session: Session, scope: list[Any], now: datetime, policy: Any,
          whole: bool) -> SummarySection:
    """Work whose last report (or, without one, its assignment) is older than the cadence, the
    stalest first. Per status, those with a report and those without are each an index range;
    the whole city's count comes from the tallies."""
    limit = now - timedelta(days=policy.progress_cadence_days)
    reported = by_status(LADDER_STATUSES, [col(Task.last_progress_at) < limit, *scope])
    silent = by_status(LADDER_STATUSES, [col(Task.last_progress_at).is_(None),
                                         col(Task.assigned_at) < limit, *scope])
    total = tally.stale_count(session, limit, zone_for(policy)) if whole else None
    if total is None:
        total = count_branches(session, reported + silent)
    # Both branches in the order of ix_task_status_progress, merged by (moment, assigned, id).
    # (Without a report, ordering by the NULL report first changes nothing but lets PostgreSQL
    # walk the index: it does not treat "IS NULL" as fixing the leading column.)
    order = [col(Task.last_progress_at), col(Task.assigned_at), col(Task.id)]
    rows = first_merged(session, reported, order, _stale_key, LIST_LIMIT) if total else []
    rows += first_merged(session, silent, order, _stale_key, LIST_LIMIT) if total else []
    tasks = sorted(rows, key=_stale_key)[:LIST_LIMIT]
    return SummarySection(title="进展滞后（超过报送周期未反馈）", total=total,
                          rows=task_rows(session, tasks, now))


def _stale_key(task: Task) -> tuple[Any, Any, int]:
    return task.last_progress_at or task.assigned_at, task.assigned_at, task.id or 0


def pending_extensions(session: Session, scope: list[Any], now: datetime) -> SummarySection:
    """Tasks with an extension request awaiting the office: led by the pending requests."""
    joined = col(Task.id) == col(ExtensionRequest.task_id)
    where = [ExtensionRequest.status == ExtensionState.PENDING, *scope]
    total = int(session.exec(select(func.count(func.distinct(Task.id))).select_from(
        ExtensionRequest).join(Task, joined).where(*where)).one())
    ids = session.exec(select(Task.id).join(ExtensionRequest, joined).where(*where).distinct()
                       .order_by(col(Task.id)).limit(LIST_LIMIT)).all() if total else []
    tasks = list(session.exec(select(Task).where(col(Task.id).in_(ids)).order_by(col(Task.id)))
                 ) if ids else []
    return SummarySection(title="待审批延期申请", total=total, rows=task_rows(session, tasks, now))
