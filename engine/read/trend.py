"""The home page's 30-day trend: per local day, tasks open and overdue at its end and tasks
closed during it (that day's closures, not a running total), over the tasks a reader may see.

Past days are reconstructed from each task's dates as they stand (its current deadline):

- open on day D: assigned before D ended (local midnight) and not closed by then;
- closed on day D: closed during D;
- overdue on day D: open on D and :func:`engine.calendar.lights.is_overdue` as of D's close,
  the moment a day's deadline is written as (:data:`DAY_END`, 23:59:59 local): its deadline is
  *before* D 23:59:59. So a task due on D ("3月8日前", due at 3月8日 23:59:59) is not overdue on
  D's point and is from D+1's on, as its light is red from D+1 on; a deadline earlier in D
  (an hourly one, "15时前") is overdue on D's point, as the task is red by that evening.

Cancelled tasks and drafts never count. Today's point is the live state (the same figures as
the lights): open = lit tasks, overdue = red ones, closed = closed since today began.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from engine.calendar.deadline_forms import DAY_END
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
    ``days[i]``; ``ends[i]`` the start of the next day (for today: ``now``); ``closes[i]`` the
    day's close (:data:`DAY_END`): a deadline before it is passed at the day's point."""

    days: list[date]
    starts: list[datetime]
    ends: list[datetime]
    closes: list[datetime]
    tz: tzinfo

    @classmethod
    def before(cls, now: datetime, tz: Any, count: int = TREND_DAYS) -> Days:
        today = now.astimezone(tz).date()
        days = [today - timedelta(days=count - 1 - i) for i in range(count)]
        starts = [datetime.combine(d, time.min, tzinfo=tz) for d in days]
        closes = [datetime.combine(d, DAY_END, tzinfo=tz) for d in days]
        return cls(days, starts, [*starts[1:], now], closes, tz)


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _is_lit() -> Any:
    return col(Task.status).in_(LIT_STATUSES)


def _is_closed() -> Any:
    return col(Task.status) == TaskStatus.CLOSED


def _open_at(end: datetime) -> Any:
    """Assigned before ``end`` and not closed by then (a cancelled task never counts)."""
    return and_(col(Task.assigned_at) < end,
                or_(_is_lit(), and_(_is_closed(), col(Task.closed_at) >= end)))


def reconstructed(session: Session, scope: list[Any], span: Days) -> list[tuple[int, int, int]]:
    """(open, closed, overdue) for each past day of ``span`` (all but the last), by the
    module's rule, by SQL over the visible lit tasks and the tasks closed since the span
    began."""
    closed_at, due = col(Task.closed_at), col(Task.due_at)
    columns: list[Any] = []
    for start, close, end in zip(span.starts[:-1], span.closes[:-1], span.ends[:-1], strict=True):
        open_then = _open_at(end)
        columns += [_count(open_then),
                    _count(and_(_is_closed(), closed_at >= start, closed_at < end)),
                    _count(and_(open_then, due < close))]
    if not columns:
        return []
    row = session.exec(select(*columns).where(
        or_(_is_lit(), and_(_is_closed(), closed_at >= span.starts[0])), *scope)).one()
    values = [int(v or 0) for v in row]
    return [(values[i], values[i + 1], values[i + 2]) for i in range(0, len(values), 3)]


def from_tallies(session: Session, span: Days) -> list[tuple[int, int, int]] | None:
    """What :func:`reconstructed` gives over every task, from the maintained tallies (``None``:
    their offset does not fit the zone). Their overdue buckets go by the day of the deadline
    plus one second (:data:`models.tally.PASSED`): the first day on whose close the deadline
    has passed, the module's rule."""
    return tally.trend_counts(session, span.days[:-1], span.ends[:-1], span.tz)


def closed_today(session: Session, scope: list[Any], span: Days) -> int:
    return int(session.exec(select(func.count()).select_from(Task).where(
        Task.status == TaskStatus.CLOSED, col(Task.closed_at) >= span.starts[-1], *scope)).one())


def trend(session: Session, scope: list[Any], span: Days, *, whole: bool, open_now: int,
          overdue_now: int) -> list[TrendPoint]:
    """The trend over ``span``; today's open and overdue are the live lights' figures. A reader
    who sees every assigned task (``whole``) gets the past days from the maintained tallies
    (the same rule, without a pass over every task: :func:`from_tallies`)."""
    past = from_tallies(session, span) if whole else None
    if past is None:
        past = reconstructed(session, scope, span)
    points = [TrendPoint(day=d.isoformat(), open=o, closed=c, overdue=v)
              for d, (o, c, v) in zip(span.days[:-1], past, strict=True)]
    points.append(TrendPoint(day=span.days[-1].isoformat(), open=open_now,
                             closed=closed_today(session, scope, span), overdue=overdue_now))
    return points
