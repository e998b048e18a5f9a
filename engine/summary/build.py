"""The daily 15:00 scheduling summary (每日调度): the data, for the whole and per leader's scope.

It covers assigned work (交办 to 申请办结); drafts not yet assigned are the office's own queue.

The whole city's counts by light and unit come from the maintained task tallies
(:mod:`engine.read.tally`), a leader's scope from SQL over its tasks; the lists are read as
index ranges (:mod:`engine.read.merged`), each capped at ``LIST_LIMIT`` rows (its full count
is kept beside it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from engine.calendar.lights import yellow_cutoff
from engine.errors import PermissionDenied
from engine.org.actors import Actor
from engine.org.visibility import leader_scope, sees_all_tasks
from engine.read.counts import board_rows, light_totals, unit_counts
from engine.read.merged import by_status, count_branches, due_key, first_merged
from engine.read.schemas import SummarySection, SummaryView, UnitLights
from engine.read.tasks import task_rows
from engine.store.policy import get_policy, zone_for
from engine.tasks.audit import anchor_text
from engine.values import ACTIVE_STATUSES, LADDER_STATUSES, ExtensionState, Role, TaskStatus
from models import AuditEvent, ExtensionRequest, Person, SummaryRun, Task

LIST_LIMIT = 50
"""Rows shown per list in a summary (the counts always cover everything)."""


def previous_summary_at(session: Session, now: datetime) -> datetime | None:
    """When the previous summary was built (``None``: this is the first)."""
    return session.exec(
        select(SummaryRun.built_at).where(col(SummaryRun.built_at) < now)
        .order_by(col(SummaryRun.built_at).desc()).limit(1)
    ).first()


def summary_for(*, session: Session, actor: Actor, now: datetime) -> SummaryView:
    """The summary ``actor`` may read: the whole for the office, the operator and top leaders
    (and every leader when the policy lets leaders see everything), a leader's own 分管范围
    otherwise; units are refused (they have their task list)."""
    if sees_all_tasks(session, actor):
        return build_summary(session, now=now)
    if actor.person is not None and actor.has(Role.LEADER):
        return build_summary(session, now=now, leader=actor.person)
    raise PermissionDenied("只有领导和督查室可以查看调度汇总")


def build_summary(session: Session, *, now: datetime, leader: Person | None = None) -> SummaryView:
    """The summary for ``leader``'s 分管范围 (:func:`engine.org.visibility.leader_scope`), or for
    the whole when ``leader`` is ``None``. No permission is checked: the daily run builds every
    scope for its recipients, and :func:`summary_for` serves a reader."""
    policy = get_policy(session)
    tz = zone_for(policy)
    scope = [leader_scope(session, leader.id or 0)] if leader is not None else []
    previous = previous_summary_at(session, now)
    since = previous if previous is not None else now - timedelta(days=1)
    cutoff = yellow_cutoff(now, policy)
    lights, by_unit = _counts(session, scope, now, cutoff, whole=leader is None)
    data = SummaryView(
        scope=f"{leader.name}{leader.title}分管范围" if leader else "全市",
        built_at=now.astimezone(tz), since=since.astimezone(tz), first=previous is None,
        anchor=anchor_text(session),
        lights=lights, by_unit=by_unit,
    )
    active = [col(Task.due_at) >= now, col(Task.due_at) <= cutoff]
    data.sections = [
        _merged(session, "逾期事项（按逾期天数）", now, by_status(ACTIVE_STATUSES, [
            col(Task.due_at) < now, *scope]), [col(Task.due_at), col(Task.id)], due_key),
        _merged(session, "3个工作日内到期", now, by_status(ACTIVE_STATUSES, [*active, *scope]),
                [col(Task.due_at), col(Task.id)], due_key),
        _section(session, "本期新增", scope, now, [col(Task.created_at) >= since,
                                               col(Task.created_at) <= now], [col(Task.id)]),
        _section(session, "本期办结", scope, now,
                 [Task.status == TaskStatus.CLOSED, col(Task.closed_at) >= since,
                  col(Task.closed_at) <= now], [col(Task.closed_at)]),
        _stale(session, scope, now, policy),
        _section(session, "待审批延期申请", scope, now, [col(Task.id).in_(
            select(ExtensionRequest.task_id).where(ExtensionRequest.status == ExtensionState.PENDING))],
            [col(Task.id)]),
        _section(session, "今日升级督办", scope, now, [col(Task.id).in_(
            select(AuditEvent.entity_id).where(AuditEvent.action == "escalate",
                                               col(AuditEvent.at) >= since,
                                               col(AuditEvent.at) <= now))],
            [col(Task.escalation_level).desc()]),
    ]
    return data


def _counts(session: Session, scope: list[Any], now: datetime, cutoff: datetime,
            whole: bool) -> tuple[dict[str, int], list[UnitLights]]:
    """Open tasks by light, and by lead unit (red-heavy first): for the whole from the
    maintained tallies, for a scope by SQL over its tasks (:mod:`engine.read.counts`)."""
    board = board_rows(session, unit_counts(session, scope, whole, now, cutoff))
    by_unit = [UnitLights(unit=r.unit, red=r.red, yellow=r.yellow, green=r.green, open=r.open)
               for r in board if r.open]
    return light_totals(board), sorted(by_unit, key=lambda r: (-r.red, -r.yellow, r.unit))


def _stale(session: Session, scope: list[Any], now: datetime, policy: Any) -> SummarySection:
    """Work whose last report (or, without one, its assignment) is older than the cadence, the
    stalest first: per status, those with a report and those without, each an index range."""
    limit = now - timedelta(days=policy.progress_cadence_days)
    reported = by_status(LADDER_STATUSES, [col(Task.last_progress_at) < limit, *scope])
    silent = by_status(LADDER_STATUSES, [col(Task.last_progress_at).is_(None),
                                         col(Task.assigned_at) < limit, *scope])
    total = count_branches(session, reported + silent)
    rows = first_merged(session, reported, [col(Task.last_progress_at), col(Task.id)], _stale_key,
                        LIST_LIMIT) if total else []
    rows += first_merged(session, silent, [col(Task.assigned_at), col(Task.id)], _stale_key,
                         LIST_LIMIT) if total else []
    tasks = sorted(rows, key=_stale_key)[:LIST_LIMIT]
    return SummarySection(title="进展滞后（超过报送周期未反馈）", total=total,
                          rows=task_rows(session, tasks, now))


def _stale_key(task: Task) -> tuple[Any, int]:
    return task.last_progress_at or task.assigned_at, task.id or 0


def _merged(session: Session, title: str, now: datetime, branches: list[list[Any]],
            order: list[Any], key: Any) -> SummarySection:
    total = count_branches(session, branches)
    tasks = first_merged(session, branches, order, key, LIST_LIMIT) if total else []
    return SummarySection(title=title, total=total, rows=task_rows(session, tasks, now))


def _section(session: Session, title: str, scope: list[Any], now: datetime,
             where: list[Any], order: list[Any]) -> SummarySection:
    total = session.exec(select(func.count()).select_from(Task).where(*where, *scope)).one()
    tasks = session.exec(select(Task).where(*where, *scope).order_by(*order, col(Task.id))
                         .limit(LIST_LIMIT)).all() if total else []
    return SummarySection(title=title, total=int(total),
                          rows=task_rows(session, list(tasks), now))


def leaders_with_scope(session: Session) -> list[Person]:
    """Leaders who receive a scoped summary: those with supervised units or tasks."""
    leaders = [p for p in session.exec(select(Person).where(col(Person.active).is_(True))).all()
               if Role.LEADER in p.roles]
    return [p for p in leaders if not p.top_leader]
