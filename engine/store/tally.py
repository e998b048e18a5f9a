"""Keeping the task tallies (:mod:`models.tally`): installing their triggers, recounting them
from the tasks, and folding the triggers' appended changes into the counts.

The triggers make every committed change to ``task`` (whoever writes it: the engine, a bulk
import, a hand-run UPDATE) change the tallies in the same transaction, so the counts are never
stale. :func:`compact` only keeps the appended changes few (readers sum both tables).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from config.defaults import TIMEZONE
from models.tally import OFFSET_SQL, measure_rows, trigger_ddl

Key = tuple[str, str, int, int]
"""(measure, day, lead unit id, escalated)."""

_KEY = "measure, day, lead_unit_id, escalated"


def _recount_sql(dialect: str, offset: int) -> str:
    union = measure_rows(dialect, "task", 1, source=" FROM task", offset=str(int(offset)))
    return f"SELECT measure, day, u, e, SUM(n) FROM ({union}) AS x GROUP BY measure, day, u, e"


OFFSET_REFERENCE = datetime(2025, 1, 1, tzinfo=UTC)
"""The moment whose UTC offset a zone's buckets use (a fixed date: the engine reads no clock;
a zone whose offset moves — daylight saving — fails the readers' check half the year, and
they then count from the tasks)."""


def zone_offset(zone: str) -> int:
    """Minutes east of UTC of ``zone`` at :data:`OFFSET_REFERENCE`."""
    delta = OFFSET_REFERENCE.astimezone(ZoneInfo(zone)).utcoffset()
    return int(delta.total_seconds() // 60) if delta is not None else 0


def offset_for_stored_policy(connection: Connection) -> int:
    """The offset of the zone in the stored policy (the default zone's without one)."""
    row = connection.execute(text("SELECT value FROM setting WHERE key = 'policy'")).first()
    value = row[0] if row is not None else None
    if isinstance(value, str):
        value = json.loads(value)
    zone = (value or {}).get("timezone") or TIMEZONE
    return zone_offset(zone)


def follow_zone(session: Session, zone: str) -> None:
    """Re-bucket the tallies when the policy's zone moves to another offset (a full recount in
    the caller's transaction; nothing when the offset is unchanged)."""
    wanted = zone_offset(zone)
    if session.execute(text(f"SELECT {OFFSET_SQL}")).scalar_one() != wanted:
        install(session.connection(), offset_minutes=wanted)


def install(connection: Connection, *, offset_minutes: int) -> None:
    """(Re)install the triggers and recount every tally for local buckets at ``offset_minutes``
    from UTC. Writers are held off meanwhile (the recount and the triggers start together)."""
    dialect = connection.dialect.name
    if dialect != "sqlite":
        connection.exec_driver_sql("LOCK TABLE task IN SHARE ROW EXCLUSIVE MODE")
    for statement in trigger_ddl(dialect):
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("DELETE FROM task_tally_meta")
    connection.execute(text("INSERT INTO task_tally_meta (id, offset_minutes) VALUES (1, :o)"),
                       {"o": offset_minutes})
    connection.exec_driver_sql("DELETE FROM task_tally_delta")
    connection.exec_driver_sql("DELETE FROM task_tally")
    connection.exec_driver_sql(f"INSERT INTO task_tally ({_KEY}, n) "
                               f"{_recount_sql(dialect, offset_minutes)}")


def recount(connection: Connection) -> Counter[Key]:
    """The tallies as a full recount of ``task`` would give them (non-zero counts only)."""
    offset = connection.exec_driver_sql(f"SELECT {OFFSET_SQL}").scalar_one()
    rows = connection.exec_driver_sql(_recount_sql(connection.dialect.name, offset)).all()
    return Counter({(m, d, int(u), int(e)): int(n) for m, d, u, e, n in rows if n})


def current(connection: Connection) -> Counter[Key]:
    """The tallies as readers see them: the counts plus the changes not folded in yet."""
    rows = connection.exec_driver_sql(
        f"SELECT {_KEY}, SUM(n) FROM (SELECT {_KEY}, n FROM task_tally UNION ALL "
        f"SELECT {_KEY}, n FROM task_tally_delta) AS x GROUP BY {_KEY}").all()
    return Counter({(m, d, int(u), int(e)): int(n) for m, d, u, e, n in rows if n})


def compact(session: Session) -> int:
    """Fold the appended changes into the counts; returns how many were folded.

    On PostgreSQL the changes are taken by one ``DELETE … RETURNING`` (what is folded is
    exactly what is removed, whatever commits meanwhile) and compactions queue on the meta row;
    SQLite has one writer at a time. The caller commits.
    """
    dialect = session.get_bind().dialect.name
    upsert = (f"ON CONFLICT ({_KEY}) DO UPDATE SET n = task_tally.n + excluded.n")
    if dialect == "sqlite":
        last = session.execute(text("SELECT MAX(id) FROM task_tally_delta")).scalar()
        if last is None:
            return 0
        session.execute(text(f"INSERT INTO task_tally ({_KEY}, n) SELECT {_KEY}, SUM(n) "
                             f"FROM task_tally_delta WHERE id <= :last GROUP BY {_KEY} {upsert}"),
                        {"last": last})
        moved: Any = session.execute(text("DELETE FROM task_tally_delta WHERE id <= :last"),
                                     {"last": last})
        return int(moved.rowcount or 0)
    session.execute(text("SELECT id FROM task_tally_meta WHERE id = 1 FOR UPDATE"))
    folded = session.execute(text(
        f"WITH moved AS (DELETE FROM task_tally_delta RETURNING {_KEY}, n), "
        f"folded AS (INSERT INTO task_tally ({_KEY}, n) SELECT {_KEY}, SUM(n) FROM moved "
        f"GROUP BY {_KEY} {upsert} RETURNING 1) SELECT (SELECT COUNT(*) FROM moved)")).scalar()
    return int(folded or 0)
