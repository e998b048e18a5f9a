"""Helpers for the CLI tests: run ``duban`` in-process, dump a database to compare, and provide a
database URL on each backend (a fresh SQLite file, or PostgreSQL emptied for Alembic)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from engine.store.db import make_engine

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_line(self) -> str:
        """stderr without rich's soft line breaks, for substring checks."""
        return self.err.replace("\n", "")


def invoke(capsys: pytest.CaptureFixture[str], url: str | None, *args: str) -> Result:
    """``duban [--db url] args…`` in this process, with its exit code and captured output."""
    from cli.main import run

    capsys.readouterr()
    argv = (["--db", url] if url is not None else []) + list(args)
    code = run(argv)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def dump(url: str) -> dict[str, Any]:
    """Row counts and every row of every table (alembic_version included), ordered."""
    engine = make_engine(url)
    try:
        return _dump(engine)
    finally:
        engine.dispose()


def _dump(engine: Engine) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
            out[name] = (len(rows), sorted((tuple(r) for r in rows), key=repr))
    return out


def drop_everything(engine: Engine) -> None:
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def pg_url_for_cli(request: pytest.FixtureRequest) -> Iterator[str]:
    """The PostgreSQL test schema emptied (``duban init`` runs Alembic on it); restored to the
    conftest's ``create_all`` state afterwards for the other tests of this process."""
    from tests.conftest import PG_URL

    engine: Engine = request.getfixturevalue("pg_engine")
    drop_everything(engine)
    try:
        yield PG_URL
    finally:
        drop_everything(engine)
        SQLModel.metadata.create_all(engine)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty, uninitialised database on each backend; the working directory is ``tmp_path``
    (so nothing the CLI might write lands in the repository)."""
    monkeypatch.chdir(tmp_path)
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/duban.db"
        return
    yield from pg_url_for_cli(request)


def assert_refused(result: Result, code: int, fragment: str = "") -> None:
    """Exit code 1 or 2 as expected, a Chinese message on stderr, nothing on stdout, and no
    traceback anywhere."""
    assert result.code == code, (result.code, result.err)
    assert "Traceback" not in result.out + result.err
    assert CJK.search(result.err), result.err
    assert result.out == "", result.out
    assert fragment in result.err_line, (fragment, result.err)
