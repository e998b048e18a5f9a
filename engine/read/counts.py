"""Open tasks by lead unit and light (the board, the lights, the chart), as one reader may see
them.

Lights depend on ``now`` (red once the deadline passes, yellow within the warning window), so
no stored figure can hold them; what is counted here is exact as of ``now``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from engine.calendar.lights import LIT_STATUSES
from engine.read import tally
from engine.read.schemas import BoardRow, UnitLights
from engine.store.policy import get_policy, zone_for
from engine.values import TaskStatus
from models import Task, Unit


def _zero() -> dict[str, int]:
    return {"red": 0, "yellow": 0, "green": 0, "open": 0, "closed": 0, "escalated": 0}


def scoped_unit_counts(session: Session, where: list[Any], now: datetime,
                       cutoff: datetime) -> dict[int, dict[str, int]]:
    """``{lead unit id: counts}`` over assigned tasks matching ``where`` (a visibility scope),
    by SQL over the task table: ``red``, ``yellow``, ``green``, ``open`` (lit), ``closed``,
    ``escalated`` (lit and escalated at least once), ``soon`` (due from ``now`` to ``cutoff``)."""
    due, level = col(Task.due_at), col(Task.escalation_level)
    lit = col(Task.status).in_(LIT_STATUSES) & due.is_not(None)

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    # sqlalchemy's select: sqlmodel's overloads stop at four columns.
    rows = session.execute(
        sql_select(col(Task.lead_unit_id), count(lit & (due < now)),
               count(lit & (due >= now) & ((due <= cutoff) | (level >= 1))),
               count(lit), count(col(Task.status) == TaskStatus.CLOSED), count(lit & (level >= 1)),
               count(lit & (due >= now) & (due <= cutoff)))
        .where(col(Task.status) != TaskStatus.DRAFT, *where).group_by(col(Task.lead_unit_id))
    ).all()
    out: dict[int, dict[str, int]] = {}
    for unit_id, red, yellow, lit_n, closed, escalated, soon in rows:
        red, yellow, lit_n = int(red or 0), int(yellow or 0), int(lit_n or 0)
        out[unit_id or 0] = {"red": red, "yellow": yellow, "green": lit_n - red - yellow,
                             "open": lit_n, "closed": int(closed or 0),
                             "escalated": int(escalated or 0), "soon": int(soon or 0)}
    return out


def unit_counts(session: Session, scope: list[Any], whole: bool, now: datetime,
                cutoff: datetime) -> dict[int, dict[str, int]]:
    """Per lead unit (see :func:`scoped_unit_counts`): from the maintained tallies when the
    reader sees every assigned task (``whole``), else by SQL over their tasks."""
    if whole:
        counted = tally.unit_counts(session, now, cutoff, zone_for(get_policy(session)))
        if counted is not None:
            return counted
    return scoped_unit_counts(session, scope, now, cutoff)


def board_rows(session: Session, counts: dict[int, dict[str, int]]) -> list[BoardRow]:
    """The board from per-unit counts: units with any assigned task, red-heavy first."""
    names = dict(session.exec(select(Unit.id, Unit.name)).all())
    rows = [BoardRow(unit=names.get(uid, ""), red=c["red"], yellow=c["yellow"], green=c["green"],
                     open=c["open"], closed=c["closed"], escalated=c["escalated"])
            for uid, c in counts.items() if c["open"] or c["closed"]]
    return sorted(rows, key=lambda r: (-r.red, -r.yellow, r.unit))


def due_soon_total(counts: dict[int, dict[str, int]]) -> int:
    """Open tasks due from ``now`` to the cutoff the counts were made with."""
    return sum(c["soon"] for c in counts.values())


def light_totals(rows: list[BoardRow]) -> dict[str, int]:
    """Open tasks by light over the board."""
    total = _zero()
    for r in rows:
        total["red"] += r.red
        total["yellow"] += r.yellow
        total["green"] += r.green
    return {k: total[k] for k in ("red", "yellow", "green")}


def chart_rows(rows: list[BoardRow], limit: int) -> list[UnitLights]:
    """The ``limit`` units with the most red, then yellow, items that have any open item."""
    ranked = sorted((r for r in rows if r.open), key=lambda r: (-r.red, -r.yellow, -r.open, r.unit))
    return [UnitLights(unit=r.unit, red=r.red, yellow=r.yellow, green=r.green, open=r.open)
            for r in ranked[:limit]]
