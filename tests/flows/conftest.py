"""Fixtures shared by the flow tests: one real Prefect server per test session, and an empty
SQLite database at the current schema."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from engine.store.db import make_engine
from engine.store.schema import upgrade
from tests.conftest import PG_BASE_URL, REQUIRE_PG, mark_simulation
from tests.support.prefect_server import PrefectServer, fresh_pg_database, running_prefect_server


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """``prefect server start`` with its services on, its state in a fresh PostgreSQL database
    (skipped when PostgreSQL is unreachable, unless ``DUBAN_REQUIRE_PG=1``)."""
    folder = tmp_path_factory.mktemp("prefect-server")
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(fresh_pg_database(PG_BASE_URL, f"duban_prefect_{os.getpid()}"))
        except OperationalError as exc:
            if REQUIRE_PG:
                raise
            pytest.skip(f"PostgreSQL unreachable at {PG_BASE_URL}: {str(exc).splitlines()[0]}")
        yield stack.enter_context(running_prefect_server(folder, url))


@pytest.fixture
def migrated_db(tmp_path: Path) -> str:
    """The URL of an empty SQLite file brought to the current schema revision by Alembic, marked
    as a simulation (tests pass their own ``now``)."""
    url = f"sqlite:///{tmp_path}/migrated.db"
    engine = make_engine(url)
    upgrade(engine)
    mark_simulation(engine)
    engine.dispose()
    return url
