"""A database file that is damaged, not a database, or read-only is named as such (exit 1),
and a refused ``summary`` writes no report."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from engine.summary.daily import run_daily_summary
from tests.cli import assert_refused, invoke
from tests.factories import at, operator


@pytest.mark.parametrize("content", [b"hello, this is a text file and not a database" * 50,
                                     b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_damaged_or_foreign_file_is_named(content: bytes, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "duban.db"
    path.write_bytes(content)
    for argv in (["task", "list"], ["summary"], ["init"], ["audit", "verify"]):
        assert_refused(invoke(capsys, f"sqlite:///{path}", *argv), 1, "已损坏或不是 duban 数据库")
    assert path.read_bytes() == content
    assert not (tmp_path / "duban-error.log").exists()
    assert not (tmp_path / "reports").exists()


def test_a_directory_is_not_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "db").mkdir()
    assert_refused(invoke(capsys, f"sqlite:///{tmp_path}/db", "task", "list"), 1, "是一个目录")


def test_a_read_only_database_says_so_and_summary_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/duban.db"
    assert invoke(capsys, url, "init").code == 0
    # The process may not write the file (as for any user but root on a chmod 444 file).
    import cli.runtime

    monkeypatch.setattr(cli.runtime, "sqlite_writable", lambda path: False)
    for argv in (["summary", "--reports", str(tmp_path / "reports")],
                 ["unit", "add", "NEW", "新单位"], ["tick"]):
        assert_refused(invoke(capsys, url, *argv), 1, "只读")
    assert not (tmp_path / "reports").exists()
    assert invoke(capsys, url, "task", "list").code == 0  # reading still works


def test_summary_writes_no_report_when_the_database_refuses_the_write(tmp_path: Path) -> None:
    """Even where the permission check cannot tell (root, a read-only mount): SQLite itself
    refuses, and no report file is left behind."""
    from cli.main import run

    url = f"sqlite:///{tmp_path}/duban.db"
    assert run(["--db", url, "init"]) == 0
    read_only = create_engine(f"sqlite:///file:{tmp_path}/duban.db?mode=ro&uri=true")
    reports = tmp_path / "reports"
    with Session(read_only) as session, pytest.raises(Exception, match="readonly"):
        run_daily_summary(session=session, actor=operator(), now=at("2024-03-05", "15:00"),
                          reports_dir=reports, send=True)
    read_only.dispose()
    assert not reports.exists() or list(reports.iterdir()) == []


def test_json_output_stays_valid_with_an_infinite_amount_stored_earlier(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from sqlalchemy import text

    from engine.store.db import make_engine

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/duban.db"
    assert invoke(capsys, url, "init", "--simulation").code == 0
    assert invoke(capsys, url, "unit", "add", "FIRE", "消防").code == 0
    assert invoke(capsys, url, "directive", "add", "--kind", "instruction", "--title", "批示",
                  "--now", "2024-03-04T10:00").code == 0
    assert invoke(capsys, url, "task", "add", "--directive", "1", "--title", "事项", "--lead",
                  "FIRE", "--due", "3月31日前", "--target", "10", "--now",
                  "2024-03-04T10:00").code == 0
    engine = make_engine(url)
    with engine.begin() as conn:  # what the old code let `--achieved inf` store
        conn.execute(text("UPDATE task SET achieved = 9e999"))
    engine.dispose()
    result = invoke(capsys, url, "task", "list", "--json")
    assert result.code == 0 and "Infinity" not in result.out
    assert json.loads(result.out)[0]["achieved"] is None
