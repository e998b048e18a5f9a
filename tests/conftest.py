"""Shared fixtures: every database test runs on SQLite and, where reachable, on PostgreSQL.

PostgreSQL is found at ``DUBAN_TEST_PG_URL`` (default: the local server's ``test`` database).
When it cannot be reached the PostgreSQL variants skip — unless ``DUBAN_REQUIRE_PG=1`` (set by
``.ci/run``), which turns that skip into a failure so CI always runs them.

Each test process works in its own schema of that database (``duban_test_<pid>``, through the
connection's ``search_path``), so xdist workers and concurrent runs never truncate each other's
rows; ``PG_URL`` points into that schema and the schema is dropped when the process ends.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel

import models  # noqa: F401  (registers the tables)
from engine.store.db import make_engine
from engine.store.mode import set_simulation

# The audit chain is keyed (engine.tasks.audit_key): every test process, and every process it
# starts, signs with this test key unless a test sets up its own.
os.environ.setdefault("DUBAN_AUDIT_KEY", "duban-test-audit-key-" + "5" * 43)


def _cheap_password_hashing() -> None:
    """argon2id at test cost (1 pass, 1 MiB): the same code paths, ~1 ms instead of ~170 ms a
    hash. Processes a test starts keep the production parameters."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from engine.org.passwords import use_hasher

    use_hasher(PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),)))


_cheap_password_hashing()

PG_BASE_URL = os.environ.get("DUBAN_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")
PG_SCHEMA = f"duban_test_{os.getpid()}"
PG_URL = f"{PG_BASE_URL}{'&' if '?' in PG_BASE_URL else '?'}options=-csearch_path%3D{PG_SCHEMA}"
REQUIRE_PG = os.environ.get("DUBAN_REQUIRE_PG") == "1"

# The browser and the live web console (tests/support): fixtures for any test that asks for them;
# the browser's skip becomes a failure under DUBAN_REQUIRE_BROWSER=1, as PostgreSQL's does here.
pytest_plugins = ["tests.support.browser", "tests.support.live_server"]

_pg_state: dict[str, object] = {}


def _pg_engine() -> Engine:
    """One engine per test session with a freshly created schema, or skip/fail."""
    if "engine" in _pg_state:
        return _pg_state["engine"]  # type: ignore[return-value]
    if "error" in _pg_state:
        _unreachable(str(_pg_state["error"]))
    try:
        _create_schema()
        engine = make_engine(PG_URL)
        SQLModel.metadata.create_all(engine)
    except Exception as exc:  # noqa: BLE001 - any failure to reach PG is reported below
        _pg_state["error"] = exc
        _unreachable(str(exc))
    _pg_state["engine"] = engine
    return engine


def _create_schema() -> None:
    base = make_engine(PG_BASE_URL)
    try:
        with base.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
    finally:
        base.dispose()
    atexit.register(_drop_schema)


def _drop_schema() -> None:
    engine = _pg_state.get("engine")
    if isinstance(engine, Engine):
        engine.dispose()
    base = make_engine(PG_BASE_URL)
    try:
        with base.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
    except Exception:  # noqa: BLE001 - best effort at exit; a leftover schema harms nobody
        pass
    finally:
        base.dispose()


def _unreachable(reason: str) -> None:
    message = f"PostgreSQL unreachable at {PG_BASE_URL}: {reason.splitlines()[0]}"
    if REQUIRE_PG:
        pytest.fail(message + " (DUBAN_REQUIRE_PG=1)")
    pytest.skip(message)


def truncate_all(engine: Engine) -> None:
    """Empty every table and restart the id sequences.

    DELETE rather than TRUNCATE: on tables of a few rows it is several times faster (TRUNCATE
    swaps every table's and index's files), and this runs before every PostgreSQL test.
    """
    with engine.begin() as conn:
        sequences = conn.execute(text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND n.nspname = current_schema()")).scalars().all()
        statements = [f'DELETE FROM "{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables)]
        statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
        conn.exec_driver_sql("; ".join(statements))


def mark_simulation(engine: Engine) -> None:
    """Mark the database as a simulation: tests play the clock (``now``) at will."""
    with Session(engine) as session:
        set_simulation(session, wall_clock=datetime.now(UTC))
        session.commit()


def _memory_sqlite() -> Engine:
    """An in-memory SQLite database, one connection shared by every thread of the test."""
    return make_engine("sqlite://", poolclass=StaticPool,
                       connect_args={"check_same_thread": False})


def _fresh_database(backend: str, sqlite: Callable[[], Engine], *,
                    simulation: bool) -> Iterator[Engine]:
    """The current schema with no other rows on ``backend`` (SQLite: made by ``sqlite``;
    PostgreSQL: the session's schema, emptied), marked a simulation if asked."""
    eng = sqlite() if backend == "sqlite" else _pg_engine()
    if backend == "sqlite":
        SQLModel.metadata.create_all(eng)
    else:
        truncate_all(eng)
    if simulation:
        mark_simulation(eng)
    yield eng
    if backend == "sqlite":
        eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A simulation database with the current schema and no other rows, on each backend
    (``production_engine`` for one that runs on the real clock)."""
    yield from _fresh_database(request.param, _memory_sqlite, simulation=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def production_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A database that is not a simulation: writes happen at the real clock only."""
    yield from _fresh_database(request.param, _memory_sqlite, simulation=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_engine(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A simulation database that several connections use at once, on each backend: the tests
    of people acting at the same moment (``engine`` shares one SQLite connection between
    threads; here SQLite is a file, with its write lock, as ``duban web`` uses it)."""
    def sqlite_file() -> Engine:
        return make_engine(f"sqlite:///{tmp_path_factory.mktemp('shared') / 'duban.db'}")

    yield from _fresh_database(request.param, sqlite_file, simulation=True)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def pg_engine() -> Engine:
    """PostgreSQL only (for tests of SKIP LOCKED and concurrent workers); a simulation."""
    eng = _pg_engine()
    truncate_all(eng)
    mark_simulation(eng)
    return eng
