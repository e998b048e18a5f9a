"""The daily 15:00 scheduling summary (每日调度): the data, for the whole and per leader's scope.

It covers assigned work (交办 to 申请办结); drafts not yet assigned are the office's own queue.

Counts are computed by SQL aggregates (light is derivable in SQL: red = due passed; yellow = due
before :func:`engine.calendar.lights.yellow_cutoff` or escalated; else green); only the listed items are
loaded, each list capped at ``LIST_LIMIT`` rows (its full count is kept beside it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from engine.calendar.lights import yellow_cutoff
from engine.calendar.timefmt import local_text
from engine.org.setup import leader_scope_unit_ids
from engine.read.tasks import task_rows
from engine.store.policy import get_policy, zone_for
from engine.tasks import lifecycle
from engine.tasks.audit import anchor_text
from models import AuditEvent, ExtensionRequest, Person, SummaryRun, Task, Unit

LIST_LIMIT = 50
"""Rows shown per list in a summary (the counts always cover everything)."""


@dataclass
class Section:
    title: str
    total: int
    rows: list[dict[str, Any]]


@dataclass
class SummaryData:
    scope: str
    built_at: str
    since: str
    lights: dict[str, int]
    by_unit: list[dict[str, Any]]
    sections: list[Section] = field(default_factory=list)
    anchor: str = ""
    """The audit chain's anchor when built ("审计锚点：SEQ:HASH"), published with every summary."""

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "built_at": self.built_at, "since": self.since,
                "lights": self.lights, "by_unit": self.by_unit, "anchor": self.anchor,
                "sections": [{"title": s.title, "total": s.total, "rows": s.rows}
                             for s in self.sections if s.total]}


def previous_summary_at(session: Session, now: datetime) -> datetime | None:
    """When the previous summary was built (``None``: this is the first)."""
    return session.exec(
        select(SummaryRun.built_at).where(col(SummaryRun.built_at) < now)
        .order_by(col(SummaryRun.built_at).desc()).limit(1)
    ).first()


def since_text(since: datetime | None, tz: Any) -> str:
    """"上次调度 2024-03-04 15:00", or what a first summary covers instead."""
    return f"上次调度 {local_text(since, tz)}" if since is not None else "首次调度，新增、办结按近24小时统计"


def build_summary(session: Session, *, now: datetime, leader: Person | None = None) -> SummaryData:
    """The summary for ``leader``'s scope (the units they supervise and tasks they supervise),
    or for the whole when ``leader`` is ``None``."""
    policy = get_policy(session)
    tz = zone_for(policy)
    scope = _scope_filter(session, leader)
    previous = previous_summary_at(session, now)
    since = previous if previous is not None else now - timedelta(days=1)
    cutoff = yellow_cutoff(now, policy)
    data = SummaryData(
        scope=f"{leader.name}{leader.title}分管范围" if leader else "全市",
        built_at=local_text(now, tz), since=since_text(previous, tz),
        lights=_light_counts(session, scope, now, cutoff),
        by_unit=_unit_counts(session, scope, now, cutoff),
        anchor=anchor_text(session),
    )
    data.sections = [
        _section(session, "逾期事项（按逾期天数）", scope, now,
                 [col(Task.status).in_(lifecycle.ACTIVE_STATUSES), col(Task.due_at) < now],
                 [col(Task.due_at)]),
        _section(session, "3个工作日内到期", scope, now,
                 [col(Task.status).in_(lifecycle.ACTIVE_STATUSES), col(Task.due_at) >= now,
                  col(Task.due_at) <= cutoff], [col(Task.due_at)]),
        _section(session, "本期新增", scope, now, [col(Task.created_at) >= since,
                                               col(Task.created_at) <= now], [col(Task.id)]),
        _section(session, "本期办结", scope, now,
                 [Task.status == "closed", col(Task.closed_at) >= since,
                  col(Task.closed_at) <= now], [col(Task.closed_at)]),
        _section(session, "进展滞后（超过报送周期未反馈）", scope, now, _stale_filter(now, policy),
                 [col(Task.last_progress_at)]),
        _section(session, "待审批延期申请", scope, now, [col(Task.id).in_(
            select(ExtensionRequest.task_id).where(ExtensionRequest.status == "pending"))],
            [col(Task.id)]),
        _section(session, "今日升级督办", scope, now, [col(Task.id).in_(
            select(AuditEvent.entity_id).where(AuditEvent.action == "escalate",
                                               col(AuditEvent.at) >= since,
                                               col(AuditEvent.at) <= now))],
            [col(Task.escalation_level).desc()]),
    ]
    return data


def _scope_filter(session: Session, leader: Person | None) -> list[Any]:
    if leader is None:
        return []
    unit_ids = leader_scope_unit_ids(session, leader)
    return [(col(Task.lead_unit_id).in_(unit_ids)) | (Task.leader_id == leader.id)]


def _light_case(now: datetime, cutoff: datetime) -> Any:
    return case((col(Task.due_at) < now, "red"),
                ((col(Task.due_at) <= cutoff) | (col(Task.escalation_level) >= 1), "yellow"),
                else_="green")


def _light_counts(session: Session, scope: list[Any], now: datetime,
                  cutoff: datetime) -> dict[str, int]:
    colour = _light_case(now, cutoff).label("light")
    rows = session.exec(
        select(colour, func.count()).where(col(Task.status).in_(lifecycle.ACTIVE_STATUSES), *scope)
        .group_by(colour)
    ).all()
    counts = {"red": 0, "yellow": 0, "green": 0}
    counts.update({str(k): int(v) for k, v in rows})
    return counts


def _unit_counts(session: Session, scope: list[Any], now: datetime,
                 cutoff: datetime) -> list[dict[str, Any]]:
    colour = _light_case(now, cutoff)
    red = func.sum(case((colour == "red", 1), else_=0))
    yellow = func.sum(case((colour == "yellow", 1), else_=0))
    rows = session.exec(
        select(Unit.name, red, yellow, func.count())
        .join(Unit, Unit.id == Task.lead_unit_id)  # type: ignore[arg-type]
        .where(col(Task.status).in_(lifecycle.ACTIVE_STATUSES), *scope)
        .group_by(Unit.name)
    ).all()
    out = [{"unit": n, "red": int(r or 0), "yellow": int(y or 0),
            "green": int(t) - int(r or 0) - int(y or 0), "open": int(t)} for n, r, y, t in rows]
    return sorted(out, key=lambda r: (-r["red"], -r["yellow"], r["unit"]))


def _stale_filter(now: datetime, policy: Any) -> list[Any]:
    limit = now - timedelta(days=policy.progress_cadence_days)
    last = func.coalesce(col(Task.last_progress_at), col(Task.assigned_at))
    return [col(Task.status).in_(lifecycle.LADDER_STATUSES), last < limit]


def _section(session: Session, title: str, scope: list[Any], now: datetime,
             where: list[Any], order: list[Any]) -> Section:
    total = session.exec(select(func.count()).select_from(Task).where(*where, *scope)).one()
    tasks = session.exec(select(Task).where(*where, *scope).order_by(*order, col(Task.id))
                         .limit(LIST_LIMIT)).all() if total else []
    return Section(title=title, total=int(total), rows=task_rows(session, list(tasks), now))


def leaders_with_scope(session: Session) -> list[Person]:
    """Leaders who receive a scoped summary: those with supervised units or tasks."""
    leaders = [p for p in session.exec(select(Person).where(Person.active == True)).all()  # noqa: E712
               if "leader" in p.roles]
    return [p for p in leaders if not p.top_leader]
