"""Simulation databases: the only ones that accept a moved clock.

``duban init --simulation`` marks a new database as a simulation (the demo, tests, benchmarks,
training). There, every service may be called at any ``now`` — a month can be played in a
minute — and each audit event keeps the real wall-clock time of its write beside the simulated
moment. On any other database time is the real clock: every audited write is refused when its
``now`` is further than :data:`CLOCK_TOLERANCE` from the wall clock the front end read, so
nobody can acknowledge "yesterday" or run a pass "next year", whichever front end they use.

The mark lives in the ``setting`` table and is written only while the database is empty; it
cannot be set on a database that holds records, nor removed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from engine.errors import PolicyViolation, Remedy
from models import AuditEvent, Setting

SIMULATION_KEY = "simulation"
_CACHE = "duban.simulation"

CLOCK_TOLERANCE = timedelta(minutes=5)
"""How far a write's ``now`` may be from the wall clock on a production database (time for a
request to travel between reading the clock and writing)."""


def is_simulation(session: Session) -> bool:
    """Whether the database is marked as a simulation; cached on the session."""
    cached = session.info.get(_CACHE)
    if cached is None:
        row = session.get(Setting, SIMULATION_KEY)
        cached = session.info[_CACHE] = bool(row is not None and row.value.get("simulation"))
    return bool(cached)


def set_simulation(session: Session, *, wall_clock: datetime) -> bool:
    """Mark a database that holds no records yet as a simulation, in the caller's transaction
    (the service is :func:`engine.org.setup.mark_simulation`); ``False`` if it already was.

    Refused on a database with any audit event: a production history cannot be turned into a
    playground where the clock moves.
    """
    if is_simulation(session):
        return False
    if session.exec(select(AuditEvent.id).limit(1)).first() is not None:
        raise PolicyViolation("数据库中已有业务记录，不能再标记为模拟数据库；请用新的数据库演练")
    session.add(Setting(key=SIMULATION_KEY, value={"simulation": True,
                                                   "since": wall_clock.isoformat()},
                        updated_at=wall_clock))
    session.info[_CACHE] = True
    return True


def check_moment(session: Session, *, now: datetime, wall_clock: datetime) -> None:
    """Refuse, on a production database, a write at a moment far from the real clock."""
    if is_simulation(session) or abs(now - wall_clock) <= CLOCK_TOLERANCE:
        return
    raise PolicyViolation("本数据库不是模拟数据库，只能按当前真实时间办理，不能指定其他时间",
                          remedy=Remedy.SIMULATION)
