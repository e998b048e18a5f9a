"""Turns: checks and writes on one key made one after another, across workers.

A rule of the form "refuse if it was done already, else do it and record it" is only a rule if
two requests cannot both check before either records. :func:`take_turns` makes the rest of the
caller's transaction the only one holding its keys: on PostgreSQL a transaction-scoped advisory
lock per key (released at commit or rollback), taken in one fixed order so that two callers
never wait on each other; SQLite needs nothing, as a write transaction holds the database's one
write lock from its first statement (``BEGIN IMMEDIATE``, :mod:`engine.store.db`).

No row is locked: the keys name things that may not exist yet (the first record of a document,
the failures of a name nobody has).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session


def take_turns(session: Session, *keys: str) -> None:
    """Hold each of ``keys`` until ``session``'s transaction ends (waiting for its holder)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
