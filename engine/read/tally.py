"""Whole-city figures from the maintained tallies (:mod:`models.tally`) instead of a pass over
every task: the lights per lead unit, and the trend's past days.

The tallies do not depend on ``now``; the lights are derived per bucket here: a task is red
when its deadline is before ``now``, so "red" is every month bucket before ``now``'s month plus,
within that month, what an index range over the deadline finds before ``now`` (likewise for the
yellow window's end). What is read is the counts plus the changes not yet folded in, in the
reader's own transaction: as exact as a recount.

The buckets are local days and months at the tallies' fixed UTC offset. When the policy zone's
offset differs at any moment involved (another zone, or daylight saving), these functions return
``None`` and the caller counts from the tasks.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import case, func, text
from sqlalchemy import select as sql_select
from sqlmodel import Session, col

from engine.calendar.lights import LIT_STATUSES
from models import Task
from models.tally import OFFSET_SQL

UnitCounts = dict[int, dict[str, int]]
_TREND = ("lit_a", "lit_ad", "cl_a", "cl_c", "cl_ac", "cl_ad", "cl_adc")


def _offset_fits(session: Session, tz: tzinfo, moments: list[datetime]) -> bool:
    offset = session.execute(text(f"SELECT {OFFSET_SQL}")).scalar_one()
    return all((m.astimezone(tz).utcoffset() or 0) == _minutes(offset) for m in moments)


def _minutes(offset: int) -> timedelta:
    return timedelta(minutes=int(offset))


def _rows(measures: str) -> str:
    """The tallies and their unfolded changes, for ``measures`` (an SQL list of literals)."""
    return (f"(SELECT day, lead_unit_id, escalated, n FROM task_tally WHERE measure IN ({measures})"
            f" UNION ALL SELECT day, lead_unit_id, escalated, n FROM task_tally_delta "
            f"WHERE measure IN ({measures})) AS t")


def _month_start(moment: datetime, tz: tzinfo) -> datetime:
    local = moment.astimezone(tz)
    return datetime.combine(date(local.year, local.month, 1), time.min, tzinfo=tz)


def unit_counts(session: Session, now: datetime, cutoff: datetime, tz: tzinfo) -> UnitCounts | None:
    """Per lead unit over every assigned task, as
    :func:`engine.read.counts.scoped_unit_counts` gives them (``None``: the offset does not
    fit)."""
    start_now, start_cut = _month_start(now, tz), _month_start(cutoff, tz)
    if not _offset_fits(session, tz, [now, cutoff, start_now, start_cut]):
        return None
    m_now, m_cut = f"{start_now:%Y-%m}", f"{start_cut:%Y-%m}"
    months = session.execute(text(
        "SELECT lead_unit_id, escalated, SUM(CASE WHEN day < :m_now THEN n ELSE 0 END), "
        "SUM(CASE WHEN day < :m_cut THEN n ELSE 0 END), SUM(n) FROM " + _rows("'due'")
        + " GROUP BY lead_unit_id, escalated"), {"m_now": m_now, "m_cut": m_cut}).all()
    due = col(Task.due_at)
    klass = case((due < now, 0), (due < start_cut, 1), else_=2)
    escalated = case((col(Task.escalation_level) >= 1, 1), else_=0)
    # The same expression objects in SELECT and GROUP BY (PostgreSQL matches them textually).
    window = session.execute(
        sql_select(col(Task.lead_unit_id), escalated, klass, func.count())
        .where(col(Task.status).in_(LIT_STATUSES), due >= start_now, due <= cutoff)
        .group_by(col(Task.lead_unit_id), escalated, klass)).all()
    part: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for unit, esc, k, n in window:
        part[(unit or 0, int(esc))][int(k)] += int(n)
    out: UnitCounts = defaultdict(lambda: dict.fromkeys(
        ("red", "yellow", "green", "open", "closed", "escalated"), 0))
    for unit, escalated, before_now, before_cut, total in months:
        inside = part.get((unit, int(escalated)), [0, 0, 0])
        late = int(before_now) + inside[0]
        by_cut = int(before_cut) + inside[2] + (inside[0] if m_cut == m_now else 0)
        entry, total = out[unit], int(total)
        entry["red"] += late
        entry["yellow"] += (total - late) if escalated else (by_cut - late)
        entry["green"] += 0 if escalated else total - by_cut
        entry["open"] += total
        entry["escalated"] += total if escalated else 0
    for unit, closed in session.execute(text(
            "SELECT lead_unit_id, SUM(n) FROM " + _rows("'closed'") + " GROUP BY lead_unit_id")):
        out[unit]["closed"] += int(closed)
    return dict(out)


def trend_counts(session: Session, days: list[date], ends: list[datetime],
                 tz: tzinfo) -> list[tuple[int, int, int]] | None:
    """(open, closed, overdue) at the end of each of ``days`` over every task, by the rule of
    :func:`engine.read.trend.reconstructed` (``None``: the offset does not fit)."""
    if not _offset_fits(session, tz, ends):
        return None
    names = ", ".join(f"'{m}'" for m in _TREND)
    rows = session.execute(text(
        "SELECT measure, day, SUM(n) FROM (SELECT measure, day, n FROM task_tally WHERE measure "
        f"IN ({names}) UNION ALL SELECT measure, day, n FROM task_tally_delta WHERE measure IN "
        f"({names})) AS t GROUP BY measure, day")).all()
    by_measure: dict[str, dict[str, int]] = defaultdict(dict)
    for measure, day, n in rows:
        by_measure[measure][day] = int(n)
    keys = [d.isoformat() for d in days]
    upto = {m: _cumulative(by_measure[m], keys) for m in _TREND}
    return [(upto["lit_a"][i] + upto["cl_a"][i] - upto["cl_ac"][i],
             by_measure["cl_c"].get(key, 0),
             upto["lit_ad"][i] + upto["cl_ad"][i] - upto["cl_adc"][i])
            for i, key in enumerate(keys)]


def _cumulative(counts: dict[str, int], keys: list[str]) -> list[int]:
    """For each of the sorted ``keys``: the sum of ``counts`` over buckets up to it."""
    ordered = sorted(counts.items())
    out, total, i = [], 0, 0
    for key in keys:
        while i < len(ordered) and ordered[i][0] <= key:
            total += ordered[i][1]
            i += 1
        out.append(total)
    return out
