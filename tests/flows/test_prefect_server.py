"""Scale-out for real: a Prefect server with its services on, ``duban deploy`` (the work pool,
then ``prefect deploy --all`` on ``prefect.yaml``), the scheduler, two process workers, and the
effect in duban's PostgreSQL database.

The scenario, as an operator would run it (docs/deploy.md):

1. ``duban deploy`` creates the pool and the four deployments; each carries duban's whole
   configuration in its ``job_variables.env`` (the database, the "file" channel writing delivered
   ids to a file, an absolute reports folder);
2. the scheduler gives the four real crons their future runs (with SQLAlchemy 2.1 it never did),
   and ``prefect deployment inspect`` shows the summary's cron and zone;
3. the real crons run on the real clock, which is not the engine's: they are paused, and copies
   of the deployments get interval schedules that fire within the test, with the engine's ``now``
   as a deployment parameter (escalation at Monday 2024-03-25 10:00, the summary at 15:00);
   the two dispatch copies fire together, one on each worker's own queue, so that two
   dispatchers on two workers really share the outbox at the same moment;
4. two workers start in an empty folder with a misleading ``DUBAN_*`` environment of their own,
   which the deployments override;
5. checked in duban's database and on disk: escalation levels 1/2/3 written, every outbox row
   delivered exactly once across both workers, the report in the configured folder, nothing
   created in the workers' folder; and a deployment with no database refuses in Chinese.

Deliberately unmarked, so the default suite (and CI) runs it; about two minutes.
"""

from __future__ import annotations

import json
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
from tests.conftest import PG_BASE_URL
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
SEND_DELAY = 0.02
"""Seconds per delivery: a few hundred messages keep two dispatchers busy for seconds."""
EFFECT_LIMIT = 240.0
"""Seconds for the scheduled runs to do everything once the copies exist."""
WORKERS = ("a", "b")


@pytest.fixture
def duban_db() -> Iterator[str]:
    """A fresh PostgreSQL database at the current schema: the small city, and tasks due on
    each of the three deadlines."""
    with fresh_pg_database(PG_BASE_URL, "duban_scale_out") as url:
        engine = make_engine(url)
        upgrade(engine)
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
        copies, created_at = _fire_copies(client, real, shared)
        workers = [_start_worker(prefect_server, name, tmp_path) for name in WORKERS]
        try:
            _wait_for_effects(client, duban_db, shared, workers, copies)
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
    """``duban deploy --json`` as an operator runs it: the configuration in its environment."""
    env = server.client_env(
        PREFECT_HOME=str(tmp_path / "operator-home"), DUBAN_DATABASE_URL=database,
        DUBAN_REPORTS_DIR=str(shared / "reports"), DUBAN_NOTIFIERS='["file"]',
        DUBAN_FILE_CHANNEL_PATH=str(shared / "deliveries-real.txt"),
        DUBAN_FILE_CHANNEL_DELAY=str(SEND_DELAY), DUBAN_HOME=str(ROOT))
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


def _fire_copies(client: Any, real: dict[str, Any],
                 shared: Path) -> tuple[dict[str, Any], datetime]:
    """Copies of the real deployments with interval schedules starting within seconds."""
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.client.schemas.schedules import IntervalSchedule

    now = datetime.now(UTC)
    plans = {  # copy: (real deployment, parameters, queue, delivery file, first fire, interval)
        "escalate-now": ("escalate", {"now": NOW}, "default", None, 2, 60),
        "summary-now": ("daily-summary", {"now": SUMMARY_AT}, "default", "summary", 30, 60),
        "dispatch-a": ("dispatch", {}, "a", "a", 12, 15),
        "dispatch-b": ("dispatch", {}, "b", "b", 12, 15),
        "escalate-unconfigured": ("escalate", {"now": NOW}, "default", None, 5, 600),
    }
    copies = {}
    for copy, (source, parameters, queue, deliveries, first, every) in plans.items():
        original = real[source]
        variables = deepcopy(original.job_variables)
        if deliveries:
            variables["env"]["DUBAN_FILE_CHANNEL_PATH"] = str(shared / f"deliveries-{deliveries}.txt")
        if copy == "escalate-unconfigured":
            variables["env"]["DUBAN_DATABASE_URL"] = ""  # as if deployed with none
        schedule = IntervalSchedule(interval=timedelta(seconds=every),
                                    anchor_date=now + timedelta(seconds=first))
        copies[copy] = client.create_deployment(
            flow_id=original.flow_id, name=copy, entrypoint=original.entrypoint,
            path=original.path, pull_steps=original.pull_steps, job_variables=variables,
            parameters=parameters, parameter_openapi_schema=original.parameter_openapi_schema,
            work_pool_name=original.work_pool_name, work_queue_name=queue,
            schedules=[DeploymentScheduleCreate(schedule=schedule)])
    return copies, now


def _start_worker(server: PrefectServer, name: str,
                  tmp_path: Path) -> tuple[Any, Path, int]:
    """A worker on the default queue and its own, in an empty folder, its shell holding
    settings that must lose to the deployments'."""
    return start_worker(server, name, tmp_path, queues=("default", name), shell={
        "DUBAN_DATABASE_URL": "sqlite:///worker-shell.db", "DUBAN_NOTIFIERS": '["console"]',
        "DUBAN_REPORTS_DIR": "reports"})


def _wait_for_effects(client: Any, database: str, shared: Path, workers: list[Any],
                      copies: dict[str, Any]) -> None:
    """Until escalation ran, every row was delivered, the report exists and the unconfigured
    run has ended (the worker logs are shown if that never happens)."""
    deadline = time.monotonic() + EFFECT_LIMIT
    report = shared / "reports" / "summary-2024-03-25.md"
    while True:
        for proc, _, _ in workers:
            assert proc.poll() is None, "a worker exited"
        statuses, levels = _progress(database)
        kinds = {kind for kind, _ in statuses}
        if (report.is_file() and set(levels) == {1, 2, 3} and {"escalation", "summary"} <= kinds
                and {status for _, status in statuses} == {"sent"}
                and _ended(client, copies["escalate-unconfigured"])):
            return
        if time.monotonic() > deadline:
            logs = "\n".join(p.read_text(errors="replace")[-2000:]
                             for p in sorted(shared.parent.glob("worker-*.log")))
            raise AssertionError(f"effects missing after {EFFECT_LIMIT} s: outbox {statuses}, "
                                 f"levels {levels}, report {report.is_file()}\n{logs}")
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
    _check_database(database)
    delivered = _check_deliveries(database, shared)
    _check_refusal(runs["escalate-unconfigured"])
    overlapping = _check_dispatchers(runs)
    escalations = [r for r in runs["escalate-now"] if r["state"].is_completed()]
    assert escalations and all(r["auto"] and r["runs"] == 1 for r in escalations)
    first = min(r["start"] for r in escalations)
    return {"first_scheduled_escalation_started_s": round((first - created_at).total_seconds(), 1),
            "completed_runs": {copy: sum(r["state"].is_completed() for r in rs)
                               for copy, rs in runs.items()},
            "messages": delivered, "duplicates": 0, "overlapping_dispatch_pairs": overlapping}


def _check_database(database: str) -> None:
    engine = make_engine(database)
    with Session(engine) as session:
        tasks = session.exec(select(Task)).all()
        for task in tasks:
            assert task.escalation_level == LEVEL_BY_DEADLINE[task.title.split("（")[1][:-1]]
        escalated = session.exec(select(OutboxMessage.level).where(
            OutboxMessage.kind == "escalation")).all()
        assert set(escalated) == {1, 2, 3}
    engine.dispose()


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
    assert [i for i, n in counts.items() if n > 1] == []
    assert set(counts) == {str(r.id) for r in rows}
    assert "real" not in files  # the parked real crons never ran
    assert files.get("a") and files.get("b")
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
