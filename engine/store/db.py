"""Database engines and sessions: SQLite (default, embedded) and PostgreSQL.

Guarantees: SQLite connections run in WAL mode with ``foreign_keys=ON`` and a busy timeout, and
every SQLite transaction starts with ``BEGIN IMMEDIATE`` so that two writers queue instead of
failing on lock upgrade (SQLite ignores ``FOR UPDATE SKIP LOCKED``; the write lock is its
equivalent). PostgreSQL uses psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from engine.store import lengths  # noqa: F401  (the same length limits on every database)

READ_ONLY = "duban_read_only"
"""Execution option marking an engine/connection whose transactions only read."""

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""Milliseconds a SQLite writer waits for the lock before giving up."""


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and plain paths; return a SQLAlchemy URL with a real driver."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (``None`` for other backends and in-memory databases)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str, *, create_dirs: bool = False, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the per-backend settings above.

    A SQLite file's folder is created only with ``create_dirs`` (``duban init``).
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        path = sqlite_path(url)
        if path is not None and create_dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, **kwargs.pop("connect_args", {})}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine, in_memory=database in ("", ":memory:"))
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below emit BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers (listings, exports) need no write lock: a plain BEGIN lets them run beside
        # the scheduler's writes under WAL.
        readonly = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def reader(engine: Engine) -> Engine:
    """``engine`` for transactions that only read: on SQLite a plain BEGIN (no write lock); on
    PostgreSQL no transaction at all — under READ COMMITTED each statement reads its own
    snapshot whether or not a transaction surrounds it, so BEGIN and ROLLBACK would only add
    two round trips to every page."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    return engine.execution_options(**options)


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session that is rolled back if the block raises (services commit what they change).

    ``read_only`` sessions take no SQLite write lock; they must not write.
    """
    bind = reader(engine) if read_only else engine
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
