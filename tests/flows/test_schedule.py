"""One table of jobs: ``prefect.yaml`` mirrors it, every entrypoint is a Prefect flow, and the
embedded APScheduler runner built from it is deterministic, persistent and exclusive."""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import text
from sqlmodel import Session, select

from cli.main import run
from config import defaults
from config.policy import Policy, SummaryPolicy
from engine.errors import AlreadyRunning
from engine.store.db import make_engine
from engine.store.policy import save_policy
from flows.embedded import JOBSTORE_TABLE, ServeOptions, _policy_jobs, build_scheduler, serve
from flows.schedule import JOBS, jobs
from models import Lease
from tests.factories import at

ROOT = Path(__file__).resolve().parents[2]
DUBAN = str(Path(sys.executable).with_name("duban"))


def _deployments() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return {d["name"]: d for d in data["deployments"]}


def test_prefect_yaml_matches_the_job_table() -> None:
    deployments = _deployments()
    assert set(deployments) == {job.name for job in JOBS}
    for job in JOBS:
        deployment = deployments[job.name]
        assert deployment["entrypoint"] == job.flow
        assert deployment["schedules"] == [{"cron": job.cron, "timezone": job.timezone}]
        assert deployment["description"] == job.description
    summary = next(job for job in JOBS if job.name == "daily-summary")
    assert (summary.cron, summary.timezone) == ("0 15 * * *", "Asia/Shanghai")
    assert deployments["daily-summary"]["schedules"][0] == {"cron": "0 15 * * *",
                                                            "timezone": "Asia/Shanghai"}


def test_every_entrypoint_is_a_prefect_flow_taking_now_and_database() -> None:
    from prefect import Flow

    for job in JOBS:
        path, _, function = job.flow.partition(":")
        assert (ROOT / path).is_file(), path
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, function)
        assert isinstance(flow, Flow), job.flow
        assert flow.name.startswith("duban-")
        assert {"now", "database_url"} <= set(flow.parameters.properties)
        assert job.run.__module__ == "flows.jobs" and callable(job.run)


def test_the_policy_sets_the_summary_time_and_timezone() -> None:
    policy = Policy(timezone="Asia/Urumqi", summary=SummaryPolicy(time="16:30"))
    table = {job.name: job for job in jobs(policy)}
    assert table["daily-summary"].cron == "30 16 * * *"
    assert {job.timezone for job in table.values()} == {"Asia/Urumqi"}
    assert [job.name for job in jobs(policy)] == [job.name for job in JOBS]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path}/serve.db"
    assert run(["--db", url, "init", "--simulation"]) == 0
    yield url


def _stored_jobs(url: str, table: list[Any], timezone: str) -> tuple[Any, list[Any]]:
    """Start a paused scheduler on the persistent store; return it and its jobs, then stop it."""

    async def go() -> tuple[Any, list[Any]]:
        scheduler = build_scheduler(ServeOptions(database_url=url), table, timezone)
        scheduler.start(paused=True)
        found = scheduler.get_jobs()
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0.05)  # shutdown is scheduled on the loop
        return scheduler, found

    return asyncio.run(go())


def test_embedded_scheduler_is_deterministic_and_replaces_its_jobs(database: str) -> None:
    table, timezone = _policy_jobs(database)
    assert timezone == defaults.TIMEZONE
    scheduler, first = _stored_jobs(database, table, timezone)
    assert sorted(j.id for j in first) == sorted(job.name for job in JOBS)
    assert scheduler.timezone == ZoneInfo("Asia/Shanghai")
    for job in first:
        assert job.coalesce is True
        assert job.misfire_grace_time == defaults.MISFIRE_GRACE_SECONDS
        assert job.max_instances == 1
        assert job.kwargs == {"database_url": database}
    # The policy changes; a second build on the same store replaces, never duplicates.
    engine = make_engine(database)
    with Session(engine) as session:
        save_policy(session, now=at("2024-03-01"),
                    policy=Policy(timezone="Asia/Urumqi", summary=SummaryPolicy(time="16:30")))
        session.commit()
    table, timezone = _policy_jobs(database)
    assert timezone == "Asia/Urumqi"
    scheduler, second = _stored_jobs(database, table, timezone)
    assert sorted(j.id for j in second) == sorted(j.id for j in first)
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {JOBSTORE_TABLE}")).scalar() == len(JOBS)
    engine.dispose()
    assert scheduler.timezone == ZoneInfo("Asia/Urumqi")
    summary = next(j for j in second if j.id == "daily-summary")
    assert summary.trigger.timezone == ZoneInfo("Asia/Urumqi")
    fields = {f.name: str(f) for f in summary.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("16", "30")
    local = summary.next_run_time.astimezone(ZoneInfo("Asia/Urumqi"))
    assert (local.hour, local.minute) == (16, 30)


def _wait_for(path: Path, needle: str, proc: subprocess.Popen[bytes], limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if path.exists() and needle in path.read_text(encoding="utf-8", errors="replace"):
            return
        assert proc.poll() is None, path.read_text(encoding="utf-8", errors="replace")
        time.sleep(0.1)
    raise AssertionError(f"no “{needle}” within {limit} s")


def test_one_serve_per_database_and_sigterm_stops_it_cleanly(
        database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DUBAN_") or k == "DUBAN_AUDIT_KEY"}  # the shared audit key stays
    env.update({"DUBAN_NOTIFIERS": '["console"]', "DUBAN_REPORTS_DIR": str(tmp_path / "reports")})
    with open(log, "wb") as handle:
        proc = subprocess.Popen([DUBAN, "--db", database, "serve", "--no-bot", "--no-web",
                                 "--dispatch-interval", "0.2"], env=env, cwd=tmp_path,
                                stdout=handle, stderr=handle)
    try:
        _wait_for(log, "duban serve 已启动", proc)
        assert "网页控制台" not in log.read_text(encoding="utf-8")  # --no-web
        with pytest.raises(AlreadyRunning) as refused:
            asyncio.run(serve(ServeOptions(database_url=database, with_bot=False)))
        assert f":{proc.pid}）" in str(refused.value)
        assert "同一数据库只能有一个" in str(refused.value)
        capsys.readouterr()
        assert run(["--db", database, "serve", "--no-bot"]) == 1
        err = capsys.readouterr().err
        assert "duban serve 已在运行" in err and "Traceback" not in err
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text(encoding="utf-8")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert "duban serve 已停止" in log.read_text(encoding="utf-8")
    engine = make_engine(database)
    with Session(engine) as session:
        assert session.exec(select(Lease)).all() == []
    engine.dispose()
