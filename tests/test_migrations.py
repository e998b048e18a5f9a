"""Alembic's ``upgrade head`` builds exactly the schema the models declare, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import models  # noqa: F401  (registers the tables)
from engine.store.db import make_engine
from engine.store.schema import MIGRATIONS_DIR, alembic_config, current_revision, upgrade


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # APScheduler's job store lives in the same database but is not part of our schema.
    return not (type_ == "table" and name == "apscheduler_jobs")


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _ours})
        return list(compare_metadata(context, SQLModel.metadata))


def _drop_everything(engine: Engine) -> None:
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database: a new SQLite file, or the test schema of PostgreSQL emptied."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path}/migrate.db", create_dirs=True)
        yield eng
        eng.dispose()
        return
    pg: Engine = request.getfixturevalue("pg_engine")
    _drop_everything(pg)
    try:
        yield pg
    finally:
        # Give the other tests back the schema conftest made (create_all, no alembic_version).
        _drop_everything(pg)
        SQLModel.metadata.create_all(pg)


def test_upgrade_head_matches_the_models(empty_engine: Engine) -> None:
    assert inspect(empty_engine).get_table_names() == []
    revision = upgrade(empty_engine)
    assert revision == _head()
    assert _differences(empty_engine) == []
    tables = set(inspect(empty_engine).get_table_names())
    assert {t.name for t in SQLModel.metadata.sorted_tables} | {"alembic_version"} == tables
    # ``duban init`` on an up-to-date database changes nothing.
    assert upgrade(empty_engine) == revision
    assert current_revision(empty_engine) == revision


def _head() -> str | None:
    config = alembic_config("sqlite://")
    return ScriptDirectory.from_config(config).get_current_head()  # type: ignore[arg-type]


def test_cli_knows_the_head_revision() -> None:
    """The CLI checks a database's revision without importing Alembic: keep it in step."""
    from engine.store import schema

    assert MIGRATIONS_DIR.is_dir()
    expected = getattr(schema, "SCHEMA_REVISION", None)
    assert expected is not None, "engine.store.schema must name the head revision"
    assert expected == _head()


def test_single_head() -> None:
    config = alembic_config("sqlite://")
    heads = ScriptDirectory.from_config(config).get_heads()  # type: ignore[arg-type]
    assert len(heads) == 1


def _triggers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            rows = conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema()")
        return {r[0] for r in rows}


def test_read_performance_migration_installs_and_removes_the_tally_triggers(
        empty_engine: Engine) -> None:
    """0007 installs the triggers keeping the task tallies (as create_all does); going back to
    0006 removes them with the tables, and forward again restores them."""
    from alembic import command

    upgrade(empty_engine)
    expected = {"task_tally_ins", "task_tally_del", "task_tally_upd"}
    assert _triggers(empty_engine) == expected
    with empty_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT offset_minutes FROM task_tally_meta").all() == [(480,)]
    cfg = alembic_config(empty_engine.url.render_as_string(hide_password=False))
    with empty_engine.begin() as connection:
        cfg.attributes["connection"] = connection  # type: ignore[attr-defined]
        command.downgrade(cfg, "0006")  # type: ignore[arg-type]
    assert _triggers(empty_engine) == set()
    assert "task_tally" not in inspect(empty_engine).get_table_names()
    upgrade(empty_engine)
    assert _triggers(empty_engine) == expected
