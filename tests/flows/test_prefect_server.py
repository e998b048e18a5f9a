"""Scale-out for real: a Prefect server with its services on, ``duban deploy`` (the work pool,
then ``prefect deploy --all`` on ``prefect.yaml``), the scheduler, two process workers, and the
effect in duban's PostgreSQL database.

The scenario, as an operator would run it (docs/deploy.md; the server requires HTTP basic auth):

1. ``duban deploy`` without the server's credentials is refused; with them, it creates the pool
   and the four deployments, each carrying duban's whole configuration in its
   ``job_variables.env`` (the database, the "file" channel writing delivered ids to a file, an
   absolute reports folder);
2. the scheduler gives the four real crons their future runs (with SQLAlchemy 2.1 it never did),
   and ``prefect deployment inspect`` shows the summary's cron and zone;
3. the real crons run on the real clock, which is not the engine's: they are paused, and two
   workers start in empty folders, with a misleading ``DUBAN_*`` environment of their own that
   the deployments override;
4. copies of the deployments get interval schedules that fire within the test, the engine's
   ``now`` as a deployment parameter, one stage after the other, each awaited in duban's
   database: the escalation pass at Monday 2024-03-25 10:00 (levels 1/2/3 written; a copy
   deployed without a database, run by hand, refuses in Chinese); two dispatch copies firing at
   the same moment, one on each worker's own queue, so that dispatchers on two workers share
   the outbox at once; the 15:00 summary, which saves its report and delivers what it queued;
5. checked: every outbox row delivered exactly once across the workers, the two dispatchers
   overlapping, the report in the configured folder, nothing written in the workers' folders.

Deliberately unmarked, so the default suite (and CI) runs it; about two minutes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from engine.store.db import make_engine
from engine.store.schema import upgrade
from flows.schedule import JOBS
from models import OutboxMessage, Task
from tests.conftest import PG_BASE_URL, mark_simulation
from tests.factories import make_city, make_task
from tests.support.prefect_server import (
    DUBAN,
    PREFECT,
    PrefectServer,
    finished_runs,
    fresh_pg_database,
    prefect_client,
    runs_of,
    start_worker,
    stop_worker,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = "2024-03-25T10:00:00+08:00"
SUMMARY_AT = "2024-03-25T15:00:00+08:00"
LEVEL_BY_DEADLINE = {"3月22日前": 1, "3月20日前": 2, "3月15日前": 3}
"""On Monday 03-25 these deadlines are 1, 3 and 6 working days past: 催办, 督办, 通报."""
TASKS_PER_DEADLINE = 30
SEND_DELAY = 0.04
"""Seconds per delivery: a few hundred messages keep two dispatchers busy for seconds."""
EFFECT_LIMIT = 360.0
"""Seconds for the scheduled runs to do everything once the copies exist."""
WORKERS = ("a", "b")


@pytest.fixture
def duban_db() -> Iterator[str]:
    """A fresh PostgreSQL simulation database at the current schema: the small city, and tasks
    due on each of the three deadlines."""
    with fresh_pg_database(PG_BASE_URL, "duban_scale_out") as url:
        engine = make_engine(url)
        upgrade(engine)
        mark_simulation(engine)  # the test plays the engine's clock
        with Session(engine, expire_on_commit=False) as session:
            city = make_city(session)
            for index in range(TASKS_PER_DEADLINE):
                for due in LEVEL_BY_DEADLINE:
                    make_task(session, city, due=due, lead=("FIRE", "EMERG")[index % 2],
                              title=f"隐患整改第{index + 1}项（{due}）")
        engine.dispose()
        yield url


def test_scheduled_runs_on_two_workers_escalate_and_deliver_once(
        prefect_server: PrefectServer, duban_db: str, tmp_path: Path) -> None:
    begun = time.monotonic()
    shared = tmp_path / "shared"
    shared.mkdir()
    root_before = {name: (ROOT / name).exists() for name in ("duban.db", "reports")}
    deployed, deploy_seconds = _duban_deploy(prefect_server, duban_db, shared, tmp_path)
    assert {d["name"].split("/")[1] for d in deployed["deployments"]} == {j.name for j in JOBS}

    with prefect_client(prefect_server) as client:
        real = {job.name: client.read_deployment_by_name(f"duban-{job.name}/{job.name}")
                for job in JOBS}
        scheduled_after = _wait_for_scheduled_runs(client, real)
        _inspect_shows_the_summary_cron(prefect_server)
        _park(client, real)
        for name in WORKERS:  # a worker polling a queue that does not exist polls nothing
            client.create_work_queue(name=name, work_pool_name="duban")
        workers = [_start_worker(prefect_server, name, tmp_path) for name in WORKERS]
        try:
            copies, created_at = _run_stages(client, real, duban_db, shared, workers)
            for _, _, port in workers:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as reply:
                    assert reply.status == 200  # --with-healthcheck
        finally:
            stopped = [stop_worker(proc) for proc, _, _ in workers]
        assert all(stopped), "a worker did not stop after its second SIGTERM"
        runs = {copy: finished_runs(client, id_) for copy, id_ in copies.items()}
    figures = _check_outcome(duban_db, shared, runs, created_at)
    for _, folder, _ in workers:
        assert list(folder.iterdir()) == [], "a flow run wrote into its worker's folder"
    assert {name: (ROOT / name).exists() for name in root_before} == root_before
    figures.update(server_healthy_s=round(prefect_server.healthy_after, 1),
                   duban_deploy_s=round(deploy_seconds, 1),
                   real_crons_scheduled_s=round(scheduled_after, 1),
                   test_s=round(time.monotonic() - begun, 1))
    print("\nscale-out figures:", json.dumps(figures, ensure_ascii=False))


def _duban_deploy(server: PrefectServer, database: str, shared: Path,
                  tmp_path: Path) -> tuple[dict[str, Any], float]:
    """``duban deploy --json`` as an operator runs it, the configuration in its environment
    (refused first without the server's credentials)."""
    env = server.client_env(
        PREFECT_HOME=str(tmp_path / "operator-home"), DUBAN_DATABASE_URL=database,
        DUBAN_REPORTS_DIR=str(shared / "reports"), DUBAN_NOTIFIERS='["file"]',
        DUBAN_FILE_CHANNEL_PATH=str(shared / "deliveries-real.txt"),
        DUBAN_FILE_CHANNEL_DELAY=str(SEND_DELAY), DUBAN_HOME=str(ROOT))
    anonymous = {k: v for k, v in env.items() if k != "PREFECT_API_AUTH_STRING"}
    refused = subprocess.run([DUBAN, "deploy"], env=anonymous, cwd=tmp_path, capture_output=True,
                             text=True, timeout=300, check=False)
    assert refused.returncode == 1 and "PREFECT_API_AUTH_STRING" in refused.stderr, refused.stderr
    started = time.monotonic()
    done = subprocess.run([DUBAN, "deploy", "--json"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout), time.monotonic() - started


def _wait_for_scheduled_runs(client: Any, real: dict[str, Any]) -> float:
    """Seconds until the scheduler service has given every real cron its future runs."""
    started, missing = time.monotonic(), set(real)
    while missing:
        assert time.monotonic() - started < 60, f"the scheduler never scheduled {missing}"
        for name in sorted(missing):
            runs = runs_of(client, real[name].id)
            if runs and all(r.auto_scheduled and r.state_type.value == "SCHEDULED" for r in runs):
                missing.discard(name)
        time.sleep(0.5)
    return time.monotonic() - started


def _inspect_shows_the_summary_cron(server: PrefectServer) -> None:
    shown = subprocess.run([PREFECT, "deployment", "inspect", "duban-daily-summary/daily-summary"],
                           env=server.client_env(), capture_output=True, text=True, timeout=120,
                           check=False)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "'cron': '0 15 * * *'" in shown.stdout
    assert "'timezone': 'Asia/Shanghai'" in shown.stdout
    assert "'DUBAN_DATABASE_URL': 'postgresql://" in shown.stdout


def _park(client: Any, real: dict[str, Any]) -> None:
    """Pause the real crons (the real clock is not the test's) and drop their scheduled runs."""
    for deployment in real.values():
        client.pause_deployment(deployment.id)
        for run in runs_of(client, deployment.id):
            client.delete_flow_run(run.id)


def _copy(client: Any, original: Any, name: str, parameters: dict[str, Any], *,
          queue: str = "default", every: float | None = None, first: datetime | None = None,
          env: dict[str, str] | None = None) -> Any:
    """A copy of a real deployment: its configuration with ``env`` changed, on ``queue``, with
    an interval schedule (from ``first``, default in 3 s) or none. The scheduler creates no run
    in the past: reaching the copy after ``first``, it fires one interval later."""
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.schedules import IntervalSchedule

    variables = deepcopy(original.job_variables)
    variables["env"].update(env or {})
    schedules = [] if every is None else [DeploymentScheduleCreate(schedule=IntervalSchedule(
        interval=timedelta(seconds=every),
        anchor_date=first or datetime.now(UTC) + timedelta(seconds=3)))]
    return client.create_deployment(
        flow_id=original.flow_id, name=name, entrypoint=original.entrypoint, path=original.path,
        pull_steps=original.pull_steps, job_variables=variables, parameters=parameters,
        parameter_openapi_schema=original.parameter_openapi_schema,
        work_pool_name=original.work_pool_name, work_queue_name=queue, schedules=schedules)


def _run_stages(client: Any, real: dict[str, Any], database: str, shared: Path,
                workers: list[Any]) -> tuple[dict[str, Any], datetime]:
    """Three stages in the engine's order, each fired by a schedule and awaited in the database:
    the 10:00 escalation (and, run by hand, a copy with no database); two dispatchers at the
    same moment, one on each worker's queue; the 15:00 summary, which delivers what it queues."""
    wait = _Waiter(database, shared, workers)
    created_at = datetime.now(UTC)
    copies = {"escalate-now": _copy(client, real["escalate"], "escalate-now", {"now": NOW},
                                    every=20),
              "escalate-unconfigured": _copy(client, real["escalate"], "escalate-unconfigured",
                                             {"now": NOW}, env={"DUBAN_DATABASE_URL": ""})}
    client.create_flow_run_from_deployment(copies["escalate-unconfigured"])
    wait.until("escalation levels 1-3 and the refusal", lambda levels, _: set(levels) == {1, 2, 3}
               and _ended(client, copies["escalate-unconfigured"]))
    client.pause_deployment(copies["escalate-now"])
    together = datetime.now(UTC) + timedelta(seconds=5)
    for name in WORKERS:
        copies[f"dispatch-{name}"] = _copy(
            client, real["dispatch"], f"dispatch-{name}", {}, queue=name, every=30, first=together,
            env={"DUBAN_FILE_CHANNEL_PATH": str(shared / f"deliveries-{name}.txt")})
    wait.until("every message sent", lambda _, rows: {status for _, status in rows} == {"sent"})
    for name in WORKERS:
        _quiesce(client, copies[f"dispatch-{name}"], wait)
    copies["summary-now"] = _copy(
        client, real["daily-summary"], "summary-now", {"now": SUMMARY_AT}, every=20,
        env={"DUBAN_FILE_CHANNEL_PATH": str(shared / "deliveries-summary.txt")})
    wait.until("the summary saved and sent", lambda _, rows: wait.report.is_file()
               and rows[("summary", "sent")] == sum(n for (k, _), n in rows.items() if k == "summary") > 0)
    return copies, created_at


def _quiesce(client: Any, deployment_id: Any, wait: _Waiter) -> None:
    """Pause a copy, drop its runs not yet started and wait for those under way to end: a
    dispatcher run already scheduled would otherwise deliver what the next stage queues (the
    summary's messages went to a dispatcher's file instead of the summary's own)."""
    client.pause_deployment(deployment_id)
    for run in runs_of(client, deployment_id):
        if run.state is not None and run.state.is_scheduled():
            client.delete_flow_run(run.id)
    wait.until("the paused dispatcher idle", lambda *_: all(
        r.state is not None and r.state.is_final() for r in runs_of(client, deployment_id)))


def _start_worker(server: PrefectServer, name: str,
                  tmp_path: Path) -> tuple[Any, Path, int]:
    """A worker on the default queue and its own, in an empty folder, its shell holding
    settings that must lose to the deployments'."""
    return start_worker(server, name, tmp_path, queues=("default", name), shell={
        "DUBAN_DATABASE_URL": "sqlite:///worker-shell.db", "DUBAN_NOTIFIERS": '["console"]',
        "DUBAN_REPORTS_DIR": "reports",
        # The audit key is the host's own (docs/deploy.md); deployments never carry it.
        "DUBAN_AUDIT_KEY": os.environ["DUBAN_AUDIT_KEY"]})


class _Waiter:
    """Polls duban's database until a stage's effect is there, within :data:`EFFECT_LIMIT`
    for all stages together (the workers' logs are shown if it never comes)."""

    def __init__(self, database: str, shared: Path, workers: list[Any]) -> None:
        self.database, self.shared, self.workers = database, shared, workers
        self.deadline = time.monotonic() + EFFECT_LIMIT
        self.report = shared / "reports" / "summary-2024-03-25.md"

    def until(self, what: str, done: Any) -> None:
        while True:
            for proc, _, _ in self.workers:
                assert proc.poll() is None, "a worker exited"
            rows, levels = _progress(self.database)
            if done(levels, rows):
                return
            if time.monotonic() > self.deadline:
                logs = "\n".join(p.read_text(errors="replace")[-2000:]
                                 for p in sorted(self.shared.parent.glob("worker-*.log")))
                raise AssertionError(f"not within {EFFECT_LIMIT} s: {what}; outbox {rows}, "
                                     f"levels {levels}\n{logs}")
            time.sleep(1)


def _progress(database: str) -> tuple[Counter[tuple[str, str]], Counter[int]]:
    """Outbox rows by (kind, status), and tasks by escalation level."""
    engine = make_engine(database)
    try:
        with Session(engine) as session:
            rows = session.exec(select(OutboxMessage.kind, OutboxMessage.status)).all()
            levels = session.exec(select(Task.escalation_level)).all()
            return Counter(rows), Counter(levels)
    finally:
        engine.dispose()


def _ended(client: Any, deployment_id: Any) -> bool:
    return any(r.state is not None and r.state.is_final() for r in runs_of(client, deployment_id))


def _check_outcome(database: str, shared: Path, runs: dict[str, list[dict[str, Any]]],
                   created_at: datetime) -> dict[str, Any]:
    """The assertions on the database, the delivery files and the runs; returns the figures."""
    planned = _check_database(database)
    delivered = _check_deliveries(database, shared)
    _check_refusal(runs["escalate-unconfigured"])
    overlapping = _check_dispatchers(runs)
    escalations = [r for r in runs["escalate-now"] if r["state"].is_completed()]
    assert escalations and all(r["auto"] and r["runs"] == 1 for r in escalations)
    # However many passes the schedule fired, each message was planned once across them.
    created = [re.search(r"escalate_job: \{'created': (\d+)", r["log"]) for r in escalations]
    assert sum(int(found.group(1)) for found in created if found) == planned
    first = min(r["start"] for r in escalations)
    return {"first_scheduled_escalation_started_s": round((first - created_at).total_seconds(), 1),
            "completed_runs": {copy: sum(r["state"].is_completed() for r in rs)
                               for copy, rs in runs.items()},
            "messages": delivered, "duplicates": 0, "overlapping_dispatch_pairs": overlapping}


def _check_database(database: str) -> int:
    """Each task at the level of its deadline; returns how many messages the passes planned."""
    engine = make_engine(database)
    with Session(engine) as session:
        for task in session.exec(select(Task)).all():
            assert task.escalation_level == LEVEL_BY_DEADLINE[task.title.split("（")[1][:-1]]
        kinds = Counter(session.exec(select(OutboxMessage.kind)).all())
        escalated = session.exec(select(OutboxMessage.level).where(
            OutboxMessage.kind == "escalation")).all()
        assert set(escalated) == {1, 2, 3}
    engine.dispose()
    # Assignment notices were queued when the tasks were assigned, the summary by its run.
    return sum(kinds.values()) - kinds["assigned"] - kinds["summary"]


def _check_deliveries(database: str, shared: Path) -> dict[str, int]:
    """Every outbox row sent once: the ids in the delivery files, across both workers."""
    engine = make_engine(database)
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    engine.dispose()
    assert rows and {(r.status, r.channel) for r in rows} == {("sent", "file")}
    files = {f.stem.removeprefix("deliveries-"): f.read_text().split()
             for f in shared.glob("deliveries-*.txt")}
    counts = Counter(i for ids in files.values() for i in ids)
    twice = {i: [name for name, ids in files.items() if i in ids]
             for i, n in counts.items() if n > 1}
    assert twice == {}, f"delivered more than once (id: delivery files): {twice}"
    assert set(counts) == {str(r.id) for r in rows}
    assert "real" not in files  # the parked real crons never ran
    assert files.get("a") and files.get("b") and files.get("summary")
    return {"rows": len(rows), **{k: len(v) for k, v in sorted(files.items())}}


def _check_refusal(runs: list[dict[str, Any]]) -> None:
    (refused,) = runs
    assert refused["state"].is_failed()
    assert "未配置督办数据库" in (refused["state"].message or "")
    # One line from duban; Prefect's engine then logs its own traceback for any failed run,
    # which must hold no frame of duban's code (the refusal is not a crash).
    assert "escalate_job refused: 未配置督办数据库" in refused["log"]
    for package in ("flows", "engine", "config"):
        assert f'File "{ROOT / package}/' not in refused["log"], refused["log"]


def _check_dispatchers(runs: dict[str, list[dict[str, Any]]]) -> int:
    """Runs of dispatch-a ran on worker a, of dispatch-b on worker b; at least one pair of
    them overlapped in time with both delivering."""
    def sent(run: dict[str, Any]) -> int:
        found = re.search(r"dispatch_pass: \{'sent': (\d+)", run["log"])
        return int(found.group(1)) if found else 0

    for name in WORKERS:
        assert {r["worker"] for r in runs[f"dispatch-{name}"]} == {f"duban-worker-{name}"}
    pairs = sum(1 for a in runs["dispatch-a"] for b in runs["dispatch-b"]
                if sent(a) and sent(b) and a["start"] < b["end"] and b["start"] < a["end"])
    assert pairs >= 1, "the two workers never delivered at the same time"
    return pairs
