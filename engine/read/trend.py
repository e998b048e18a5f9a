"""The home page's 30-day trend: per local day, tasks open and overdue at its end and tasks
closed during it, over the tasks a reader may see.

Past days are reconstructed from each task's dates as they stand: a task counts as open on a
day when it was assigned before the day ended and not closed by then, and as overdue when, on
top of that, its (current) deadline had passed. Cancelled tasks and drafts never count. Today's
point is the live state (the same figures as the lights): open = lit tasks, overdue = red ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from engine.calendar.lights import LIT_STATUSES
from engine.read import tally
from engine.read.overview_schemas import TrendPoint
from engine.values import TaskStatus
from models import Task

TREND_DAYS = 30
"""Days in the trend, today included."""


@dataclass(frozen=True)
class Days:
    """The trend's local days and their bounds (aware datetimes): ``starts[i]`` is the start of
    ``days[i]``; ``ends[i]`` the start of the next day (for today: ``now``)."""

    days: list[date]
    starts: list[datetime]
    ends: list[datetime]
    tz: tzinfo

    @classmethod
    def before(cls, now: datetime, tz: Any, count: int = TREND_DAYS) -> Days:
        today = now.astimezone(tz).date()
        days = [today - timedelta(days=count - 1 - i) for i in range(count)]
        starts = [datetime.combine(d, time.min, tzinfo=tz) for d in days]
        return cls(days, starts, [*starts[1:], now], tz)


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def reconstructed(session: Session, scope: list[Any], span: Days) -> list[tuple[int, int, int]]:
    """(open, closed, overdue) for each past day of ``span`` (all but the last), by SQL over
    the visible lit tasks and the tasks closed since the span began."""
    assigned, closed_at, due = col(Task.assigned_at), col(Task.closed_at), col(Task.due_at)
    is_lit = col(Task.status).in_(LIT_STATUSES)
    is_closed = col(Task.status) == TaskStatus.CLOSED
    columns: list[Any] = []
    for start, end in zip(span.starts[:-1], span.ends[:-1], strict=True):
        open_then = and_(assigned < end, or_(is_lit, and_(is_closed, closed_at >= end)))
        columns += [_count(open_then), _count(and_(is_closed, closed_at >= start, closed_at < end)),
                    _count(and_(open_then, due < end))]
    if not columns:
        return []
    row = session.exec(select(*columns).where(
        or_(is_lit, and_(is_closed, closed_at >= span.starts[0])), *scope)).one()
    values = [int(v or 0) for v in row]
    return [(values[i], values[i + 1], values[i + 2]) for i in range(0, len(values), 3)]


def closed_today(session: Session, scope: list[Any], span: Days) -> int:
    return int(session.exec(select(func.count()).select_from(Task).where(
        Task.status == TaskStatus.CLOSED, col(Task.closed_at) >= span.starts[-1], *scope)).one())


def trend(session: Session, scope: list[Any], span: Days, *, whole: bool, open_now: int,
          overdue_now: int) -> list[TrendPoint]:
    """The trend over ``span``; today's open and overdue are the live lights' figures. A reader
    who sees every assigned task (``whole``) gets the past days from the maintained tallies
    (the same rule, without a pass over the tasks)."""
    past = tally.trend_counts(session, span.days[:-1], span.ends[:-1], span.tz) if whole else None
    if past is None:
        past = reconstructed(session, scope, span)
    points = [TrendPoint(day=d.isoformat(), open=o, closed=c, overdue=v)
              for d, (o, c, v) in zip(span.days[:-1], past, strict=True)]
    points.append(TrendPoint(day=span.days[-1].isoformat(), open=open_now,
                             closed=closed_today(session, scope, span), overdue=overdue_now))
    return points
