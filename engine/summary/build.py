"""The daily 15:00 scheduling summary (每日调度): the data, for the whole and per leader's scope.

It covers assigned work (交办 to 申请办结); drafts not yet assigned are the office's own queue.

The whole city's counts by light and unit come from the maintained task tallies
(:mod:`engine.read.tally`), a leader's scope from SQL over its tasks; the lists are read as
index ranges (:mod:`engine.read.merged`), each capped at ``LIST_LIMIT`` rows (its full count
is kept beside it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from engine.calendar.lights import yellow_cutoff
from engine.errors import PermissionDenied
from engine.org.actors import Actor
from engine.org.visibility import leader_scope, sees_all_tasks
from engine.read.counts import board_rows, due_soon_total, light_totals, unit_counts
from engine.read.schemas import SummaryView, UnitLights
from engine.store.policy import get_policy, zone_for
from engine.summary import sections
from engine.summary.sections import LIST_LIMIT  # noqa: F401  (the lists' length, as before)
from engine.tasks.audit import anchor_text
from engine.values import Role, TaskStatus
from models import AuditEvent, Person, SummaryRun, Task


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
    whole = leader is None
    counts = unit_counts(session, scope, whole, now, cutoff)
    board = board_rows(session, counts)
    lights = light_totals(board)
    data = SummaryView(
        scope=f"{leader.name}{leader.title}分管范围" if leader else "全市",
        built_at=now.astimezone(tz), since=since.astimezone(tz), first=previous is None,
        anchor=anchor_text(session), lights=lights,
        by_unit=sorted((UnitLights(unit=r.unit, red=r.red, yellow=r.yellow, green=r.green,
                                   open=r.open) for r in board if r.open),
                       key=lambda r: (-r.red, -r.yellow, r.unit)),
    )
    data.sections = [
        sections.by_deadline(session, "逾期事项（按逾期天数）", now,
                             [col(Task.due_at) < now, *scope], lights["red"]),
        sections.by_deadline(session, "3个工作日内到期", now,
                             [col(Task.due_at) >= now, col(Task.due_at) <= cutoff, *scope],
                             due_soon_total(counts)),
        sections.plain(session, "本期新增", now, [col(Task.created_at) >= since,
                                              col(Task.created_at) <= now, *scope],
                       [col(Task.id)]),
        sections.plain(session, "本期办结", now,
                       [Task.status == TaskStatus.CLOSED, col(Task.closed_at) >= since,
                        col(Task.closed_at) <= now, *scope], [col(Task.closed_at)]),
        sections.stale(session, scope, now, policy, whole),
        sections.pending_extensions(session, scope, now),
        sections.plain(session, "今日升级督办", now, [col(Task.id).in_(
            select(AuditEvent.entity_id).where(AuditEvent.action == "escalate",
                                               col(AuditEvent.at) >= since,
                                               col(AuditEvent.at) <= now)), *scope],
            [col(Task.escalation_level).desc()]),
    ]
    return data


def leaders_with_scope(session: Session) -> list[Person]:
    """Leaders who receive a scoped summary: those with supervised units or tasks."""
    leaders = [p for p in session.exec(select(Person).where(col(Person.active).is_(True))).all()
               if Role.LEADER in p.roles]
    return [p for p in leaders if not p.top_leader]
