"""A scheduled job never creates a database and refuses, in Chinese, one it cannot use; a
deployed summary needs an absolute reports folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from config.settings import reset_settings
from engine.store.db import make_engine
from flows.jobs import dispatch_job, escalate_job, recheck_job, summary_job
from flows.preflight import JobRefused, check_job_database, deployed_reports_dir
from tests.factories import at


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No ``DUBAN_*`` variable set, the current folder an empty temporary one."""
    for name in [k for k in os.environ if k.startswith("DUBAN_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    reset_settings()
    yield tmp_path
    reset_settings()


@pytest.mark.parametrize("job", [escalate_job, dispatch_job, summary_job, recheck_job])
def test_a_job_with_no_database_configured_refuses_and_creates_nothing(job, bare_env: Path) -> None:
    with pytest.raises(JobRefused, match="未配置督办数据库.*DUBAN_DATABASE_URL"):
        job(now=at("2024-03-18", "10:00"))
    assert list(bare_env.iterdir()) == []


def test_an_empty_database_variable_counts_as_none(bare_env: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_DATABASE_URL", "")
    reset_settings()
    with pytest.raises(JobRefused, match="未配置督办数据库"):
        escalate_job(now=at("2024-03-18", "10:00"))
    assert list(bare_env.iterdir()) == []


def test_a_missing_sqlite_file_is_refused_not_created(bare_env: Path) -> None:
    url = f"sqlite:///{bare_env}/nowhere/duban.db"
    with pytest.raises(JobRefused, match="数据库文件 .*duban.db 不存在.*duban init"):
        escalate_job(now=at("2024-03-18", "10:00"), database_url=url)
    assert list(bare_env.iterdir()) == []


def test_an_uninitialised_or_outdated_database_is_refused(bare_env: Path, migrated_db: str) -> None:
    empty = bare_env / "empty.db"
    engine = make_engine(f"sqlite:///{empty}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE unrelated (id INTEGER)"))
    engine.dispose()
    with pytest.raises(JobRefused, match="尚未初始化"):
        check_job_database(f"sqlite:///{empty}")
    engine = make_engine(migrated_db)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    with pytest.raises(JobRefused, match="结构版本 0001 与程序.*不一致"):
        check_job_database(migrated_db)


def test_an_unreachable_server_and_a_bad_address_are_refused(bare_env: Path) -> None:
    with pytest.raises(JobRefused, match="无法连接督办数据库"):
        check_job_database("postgresql://127.0.0.1:1/nothing?connect_timeout=2")
    with pytest.raises(JobRefused, match="数据库地址无效"):
        check_job_database("nosuchdriver://x/y")


def test_the_configured_database_is_used_when_none_is_passed(
        bare_env: Path, migrated_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_DATABASE_URL", migrated_db)
    reset_settings()
    assert check_job_database(None) == migrated_db
    assert escalate_job(now=at("2024-03-18", "10:00")) == {"created": 0}


def test_a_deployed_summary_needs_an_absolute_reports_folder(
        bare_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(JobRefused, match="DUBAN_REPORTS_DIR"):
        deployed_reports_dir()
    monkeypatch.setenv("DUBAN_REPORTS_DIR", "reports")
    reset_settings()
    with pytest.raises(JobRefused, match="绝对路径"):
        deployed_reports_dir()
    monkeypatch.setenv("DUBAN_REPORTS_DIR", str(bare_env / "shared"))
    reset_settings()
    assert deployed_reports_dir() == bare_env / "shared"
