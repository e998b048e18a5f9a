"""Shared by the generator and the benchmarks: the benchmark's clock, URLs and raw connections.

Every figure is measured at :data:`NOW` (a Wednesday, 15:00 in Asia/Shanghai): the generator
lays deadlines, steps and ``next_check_at`` out around it so that a chosen fraction of the tasks
is due for an escalation step at that moment.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NOW = datetime(2025, 6, 18, 7, 0, tzinfo=UTC)
"""15:00 Asia/Shanghai on Wednesday 2025-06-18: inside chinese_calendar's range."""

PG_ADMIN_URL = "postgresql://127.0.0.1:5432/postgres"


def kind_of(url: str) -> str:
    return "postgresql" if url.startswith(("postgresql", "postgres")) else "sqlite"


def sqlite_file(url: str) -> str:
    return url.split("///", 1)[1] if "///" in url else url


def sqlite_text(value: datetime | None) -> str | None:
    """A datetime exactly as SQLAlchemy stores it in SQLite (naive UTC, microseconds)."""
    if value is None:
        return None
    text = (value if value.tzinfo is UTC else value.astimezone(UTC)).replace(tzinfo=None).isoformat(" ")
    return text if len(text) > 19 else text + ".000000"


def raw_connect(url: str, *, any_thread: bool = False) -> Any:
    """A DB-API connection without SQLAlchemy: sqlite3 or psycopg (autocommit off).
    ``any_thread``: a SQLite connection that threads other than its creator's may use, one at
    a time (a test client's server thread)."""
    if kind_of(url) == "sqlite":
        import sqlite3

        conn = sqlite3.connect(sqlite_file(url), isolation_level=None, timeout=30,
                               check_same_thread=not any_thread)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def ensure_pg_database(url: str, *, recreate: bool) -> None:
    """Create the database named in ``url`` (dropping it first with ``recreate``)."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and recreate:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
