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
from engine.values import LADDER_STATUSES
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
    fit). Red: months before ``now``'s, then its days before today, then today's deadlines
    before ``now`` (an index range of a day); due by ``cutoff`` (the end of a local day) alike."""
    today = now.astimezone(tz).date()
    start_now, start_cut = _month_start(now, tz), _month_start(cutoff, tz)
    day_start = datetime.combine(today, time.min, tzinfo=tz)
    if not _offset_fits(session, tz, [now, cutoff, start_now, start_cut, day_start]):
        return None
    keys = {"m_now": f"{start_now:%Y-%m}", "m_cut": f"{start_cut:%Y-%m}",
            "d_first": f"{start_now:%Y-%m-%d}", "d_cut_first": f"{start_cut:%Y-%m-%d}",
            "today": today.isoformat(), "d_cut": cutoff.astimezone(tz).date().isoformat()}
    months = session.execute(text(
        "SELECT lead_unit_id, escalated, SUM(CASE WHEN day < :m_now THEN n ELSE 0 END), "
        "SUM(CASE WHEN day < :m_cut THEN n ELSE 0 END), SUM(n) FROM " + _rows("'due'")
        + " GROUP BY lead_unit_id, escalated"), keys).all()
    days = _days(session, keys)
    late_today = _due_between(session, day_start, now)
    out: UnitCounts = defaultdict(lambda: dict.fromkeys(
        ("red", "yellow", "green", "open", "closed", "escalated", "soon"), 0))
    for unit, escalated, before_now, before_cut, total in months:
        key, total = (unit, int(escalated)), int(total)
        in_month = days.get(key, (0, 0))
        late = int(before_now) + in_month[0] + late_today.get(key, 0)
        by_cut = int(before_cut) + in_month[1]
        entry = out[unit]
        entry["red"] += late
        entry["yellow"] += (total - late) if escalated else (by_cut - late)
        entry["green"] += 0 if escalated else total - by_cut
        entry["open"] += total
        entry["escalated"] += total if escalated else 0
        entry["soon"] += by_cut - late
    for unit, closed in session.execute(text(
            "SELECT lead_unit_id, SUM(n) FROM " + _rows("'closed'") + " GROUP BY lead_unit_id")):
        out[unit]["closed"] += int(closed)
    return dict(out)


def _days(session: Session, keys: dict[str, str]) -> dict[tuple[int, int], tuple[int, int]]:
    """Per (unit, escalated), from the day buckets between the start of ``now``'s month and the
    cutoff's day: (deadlines on days before today, deadlines in the cutoff's month up to its
    day)."""
    window = ("measure = 'due_d' AND day >= :d_first AND day <= :d_cut")
    rows = session.execute(text(
        "SELECT lead_unit_id, escalated, SUM(CASE WHEN day < :today THEN n ELSE 0 END), "
        "SUM(CASE WHEN day >= :d_cut_first THEN n ELSE 0 END) FROM ("
        f"SELECT day, lead_unit_id, escalated, n FROM task_tally WHERE {window} UNION ALL "
        f"SELECT day, lead_unit_id, escalated, n FROM task_tally_delta WHERE {window}) AS t "
        "GROUP BY lead_unit_id, escalated"), keys).all()
    return {(u, int(e)): (int(a), int(b)) for u, e, a, b in rows}


def _due_between(session: Session, start: datetime, end: datetime) -> dict[tuple[int, int], int]:
    """Per (unit, escalated): lit tasks due in [start, end) — a covering index range."""
    escalated = case((col(Task.escalation_level) >= 1, 1), else_=0)
    # The same expression object in SELECT and GROUP BY (PostgreSQL matches them textually).
    rows = session.execute(
        sql_select(col(Task.lead_unit_id), escalated, func.count())
        .where(col(Task.status).in_(LIT_STATUSES), col(Task.due_at) >= start,
               col(Task.due_at) < end)
        .group_by(col(Task.lead_unit_id), escalated)).all()
    return {(u or 0, int(e)): int(n) for u, e, n in rows}


def trend_counts(session: Session, days: list[date], ends: list[datetime],
                 tz: tzinfo) -> list[tuple[int, int, int]] | None:
    """(open, closed, overdue) at the end of each of ``days`` over every task (``None``: the
    offset does not fit), by the rule of :func:`engine.read.trend.reconstructed`: overdue
    counts a deadline as passed from the day of the deadline plus one second
    (:data:`models.tally.PASSED`), so one at a day's close is passed from the next day."""
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


def status_counts(session: Session) -> dict[str, int]:
    """Every task by status (the whole city)."""
    rows = session.execute(text(
        "SELECT day, SUM(n) FROM " + _rows("'status'") + " GROUP BY day")).all()
    return {str(status): int(n) for status, n in rows if n}


def stale_count(session: Session, limit: datetime, tz: tzinfo) -> int | None:
    """Tasks the units owe work on whose last report — or, without one, their assignment — is
    before ``limit`` (the whole city; ``None``: the offset does not fit): the day buckets before
    ``limit``'s day, then that day's part before ``limit`` as covering index ranges."""
    day_start = datetime.combine(limit.astimezone(tz).date(), time.min, tzinfo=tz)
    if not _offset_fits(session, tz, [limit, day_start]):
        return None
    before = session.execute(text(
        "SELECT COALESCE(SUM(n), 0) FROM " + _rows("'prog'") + " WHERE day < :d"),
        {"d": f"{day_start:%Y-%m-%d}"}).scalar_one()
    reported, assigned = col(Task.last_progress_at), col(Task.assigned_at)
    partial = 0
    for status in LADDER_STATUSES:
        for where in ([reported >= day_start, reported < limit],
                      [reported.is_(None), assigned >= day_start, assigned < limit]):
            partial += session.execute(sql_select(func.count()).select_from(Task).where(
                col(Task.status) == status, *where)).scalar_one()
    return int(before) + int(partial)
