"""The daily 15:00 scheduling summary (每日调度): the data, for the whole and per leader's scope.

It covers assigned work (交办 to 申请办结); drafts not yet assigned are the office's own queue.

Counts are computed by SQL aggregates (light is derivable in SQL: red = due passed; yellow = due
before :func:`engine.calendar.lights.yellow_cutoff` or escalated; else green); only the listed items are
loaded, each list capped at ``LIST_LIMIT`` rows (its full count is kept beside it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from engine.calendar.lights import light_case, yellow_cutoff
from engine.errors import PermissionDenied
from engine.org.actors import Actor
from engine.org.visibility import leader_scope, sees_all_tasks
from engine.read.schemas import SummarySection, SummaryView, UnitLights
from engine.read.tasks import task_rows
from engine.store.policy import get_policy, zone_for
from engine.tasks.audit import anchor_text
from engine.values import ACTIVE_STATUSES, LADDER_STATUSES, ExtensionState, Role, TaskStatus
from models import AuditEvent, ExtensionRequest, Person, SummaryRun, Task, Unit

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
    data = SummaryView(
        scope=f"{leader.name}{leader.title}分管范围" if leader else "全市",
        built_at=now.astimezone(tz), since=since.astimezone(tz), first=previous is None,
        anchor=anchor_text(session),
        lights=_light_counts(session, scope, now, cutoff),
        by_unit=_unit_counts(session, scope, now, cutoff),
    )
    data.sections = [
        _section(session, "逾期事项（按逾期天数）", scope, now,
                 [col(Task.status).in_(ACTIVE_STATUSES), col(Task.due_at) < now],
                 [col(Task.due_at)]),
        _section(session, "3个工作日内到期", scope, now,
                 [col(Task.status).in_(ACTIVE_STATUSES), col(Task.due_at) >= now,
                  col(Task.due_at) <= cutoff], [col(Task.due_at)]),
        _section(session, "本期新增", scope, now, [col(Task.created_at) >= since,
                                               col(Task.created_at) <= now], [col(Task.id)]),
        _section(session, "本期办结", scope, now,
                 [Task.status == TaskStatus.CLOSED, col(Task.closed_at) >= since,
                  col(Task.closed_at) <= now], [col(Task.closed_at)]),
        _section(session, "进展滞后（超过报送周期未反馈）", scope, now, _stale_filter(now, policy),
                 [col(Task.last_progress_at)]),
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


def _light_counts(session: Session, scope: list[Any], now: datetime,
                  cutoff: datetime) -> dict[str, int]:
    colour = light_case(now, cutoff).label("light")
    rows = session.exec(
        select(colour, func.count()).where(col(Task.status).in_(ACTIVE_STATUSES), *scope)
        .group_by(colour)
    ).all()
    counts = {"red": 0, "yellow": 0, "green": 0}
    counts.update({str(k): int(v) for k, v in rows})
    return counts


def _unit_counts(session: Session, scope: list[Any], now: datetime,
                 cutoff: datetime) -> list[UnitLights]:
    colour = light_case(now, cutoff)
    red = func.sum(case((colour == "red", 1), else_=0))
    yellow = func.sum(case((colour == "yellow", 1), else_=0))
    rows = session.exec(
        select(Unit.name, red, yellow, func.count())
        .join(Unit, col(Unit.id) == col(Task.lead_unit_id))
        .where(col(Task.status).in_(ACTIVE_STATUSES), *scope)
        .group_by(Unit.name)
    ).all()
    out = [UnitLights(unit=n, red=int(r or 0), yellow=int(y or 0),
                      green=int(t) - int(r or 0) - int(y or 0), open=int(t))
           for n, r, y, t in rows]
    return sorted(out, key=lambda r: (-r.red, -r.yellow, r.unit))


def _stale_filter(now: datetime, policy: Any) -> list[Any]:
    limit = now - timedelta(days=policy.progress_cadence_days)
    last = func.coalesce(col(Task.last_progress_at), col(Task.assigned_at))
    return [col(Task.status).in_(LADDER_STATUSES), last < limit]


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
