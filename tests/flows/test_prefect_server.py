"""Scale-out for real: a ``prefect server start`` on 127.0.0.1, a process serving a deployment of
the escalation flow, a triggered run, and its effect in duban's database.

Deliberately unmarked, so the default suite (and CI) runs it; it takes about a minute (server
start-up and two Prefect interpreters dominate). The server keeps its own state in a fresh
PostgreSQL database, as in the scale-out set-up (SQLite when PostgreSQL is unavailable and not
required). Both subprocesses run in sessions of their own and are stopped, process group and
all, whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from engine.store.db import make_engine, normalise_url
from engine.store.schema import upgrade
from models import OutboxMessage
from tests.conftest import PG_BASE_URL, REQUIRE_PG, mark_simulation
from tests.factories import make_city, make_task

ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))
DEPLOYMENT = "duban-escalate/integration"
HEALTH_LIMIT = 120.0
"""Seconds for a fresh server to migrate its database and answer /api/health (15–45 s seen;
the margin is for a loaded CI machine)."""
SERVE = r"""
import os, sys, time, urllib.request

from prefect import serve  # imported while the server is still starting

from flows.escalate import escalate_flow

deadline = time.monotonic() + float(sys.argv[3])
while True:
    try:
        with urllib.request.urlopen(os.environ["PREFECT_API_URL"] + "/health", timeout=2):
            break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("Prefect server never became healthy")
        time.sleep(0.5)
deployment = escalate_flow.to_deployment(
    name="integration", parameters={"now": sys.argv[1], "database_url": sys.argv[2]})
serve(deployment, print_starting_message=True)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prefect_env(home: Path, api_url: str | None) -> dict[str, str]:
    # The audit key is the one DUBAN_ setting every process that writes must share.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "DUBAN_")) or k == "DUBAN_AUDIT_KEY"}
    env.update({"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_RUNNER_POLL_FREQUENCY": "1", "PREFECT_LOGGING_LEVEL": "INFO",
                "DUBAN_NOTIFIERS": '["console"]'})
    if api_url is not None:
        env["PREFECT_API_URL"] = api_url
    return env


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as handle:
        return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=handle, stderr=handle,
                                start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group we started, then SIGKILL if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # the runner's or server's children too
    if proc.poll() is None:
        proc.wait(timeout=10)


def _wait_healthy(api_url: str, server: subprocess.Popen[bytes], log: Path, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200 and json.loads(response.read()) is True:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"Prefect server not healthy within {limit} s:\n"
                         + log.read_text(errors="replace")[-3000:])


@pytest.fixture
def prefect_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for the server (Prefect's migrations take seconds there and
    most of a minute on SQLite), dropped afterwards; ``None`` (SQLite in ``PREFECT_HOME``) when
    PostgreSQL cannot be reached and is not required."""
    name = f"duban_prefect_{os.getpid()}"
    admin = make_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        if REQUIRE_PG:
            raise
        yield None
        return
    url = make_url(normalise_url(PG_BASE_URL)).set(
        drivername="postgresql+asyncpg", database=name, query={})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def city_db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path}/duban.db"
    engine = make_engine(url)
    upgrade(engine)
    mark_simulation(engine)
    with Session(engine, expire_on_commit=False) as session:
        city = make_city(session)
        make_task(session, city, due="3月15日前", title="消防通道占用整治")
    engine.dispose()
    yield url


def test_a_served_deployment_runs_on_a_real_prefect_server(
        city_db: str, prefect_database: str | None, tmp_path: Path) -> None:
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    server_log, serve_log = tmp_path / "server.log", tmp_path / "serve.log"
    server_env = _prefect_env(tmp_path / "prefect-home", None)
    if prefect_database is not None:
        server_env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = prefect_database
    server = _start([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port),
                     "--no-ui", "--analytics-off", "--no-services"], server_env, server_log)
    # The runner starts at once and waits for the server itself: its imports overlap start-up.
    runner = _start([sys.executable, "-c", SERVE, "2024-03-18T10:00:00+08:00", city_db,
                     str(HEALTH_LIMIT)], _prefect_env(tmp_path / "runner-home", api_url), serve_log)
    started = time.monotonic()
    try:
        _wait_healthy(api_url, server, server_log, limit=HEALTH_LIMIT)
        healthy = time.monotonic()
        from prefect.deployments import run_deployment
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            flow_run = _trigger(run_deployment, runner, serve_log)
        print(f"\nserver healthy after {healthy - started:.1f} s; "
              f"deployment served, run and finished {time.monotonic() - healthy:.1f} s later")
        assert flow_run.state is not None
        assert flow_run.state.is_completed(), (flow_run.state, serve_log.read_text(errors="replace"))
    finally:
        _stop(runner)
        _stop(server)
    engine = make_engine(city_db)
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "escalation")
                            .order_by(col(OutboxMessage.id))).all()
    engine.dispose()
    # Monday 03-18 is the first working day after the deadline: 催办 to the fire unit.
    assert rows and {r.level for r in rows} == {1}
    assert {r.dedupe_key.split(":")[0] for r in rows} == {"escalation"}


def _trigger(run_deployment: Any, runner: subprocess.Popen[bytes], log: Path) -> Any:
    """Wait until the runner has registered the deployment, then run it and wait for the end."""
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + 90
    while True:
        assert runner.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            return run_deployment(DEPLOYMENT, timeout=90, poll_interval=1)
        except ObjectNotFound:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
