"""A real ``prefect server start`` for tests, with its services (the scheduler among them) on.

The server keeps its state in a fresh PostgreSQL database of its own (asyncpg, as in production;
Prefect's migrations take seconds there, most of a minute on SQLite), dropped afterwards. It is
meant to be started once per test session (``tests/flows/conftest.py``). The scheduler's loops
are shortened through Prefect's own settings so that new deployments get their runs within
seconds; nothing else differs from ``docs/deploy.md``.

Every process started here runs in a session of its own and is stopped, process group and all,
whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine.store.db import make_engine, normalise_url

BIN = Path(sys.executable).parent
PREFECT = str(BIN / "prefect")
DUBAN = str(BIN / "duban")
AUTH = "duban:test-auth-string"
"""The server requires HTTP basic auth of its clients, as docs/deploy.md sets it up."""
HEALTH_LIMIT = 120.0
"""Seconds for a fresh server to migrate its database and answer /api/health (6–20 s seen on
PostgreSQL; the margin is for a loaded CI machine)."""


@dataclass
class PrefectServer:
    api_url: str
    home: Path
    log: Path
    healthy_after: float
    """Seconds from start to the first healthy answer."""

    def client_env(self, **extra: str) -> dict[str, str]:
        """An environment for a Prefect client process talking to this server."""
        return clean_env(PREFECT_API_URL=self.api_url, PREFECT_API_AUTH_STRING=AUTH, **extra)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ``PREFECT_*`` or ``DUBAN_*`` variable, telemetry
    off, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DUBAN_"))}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_group(argv: list[str], env: dict[str, str], cwd: Path,
                log: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session (its own process group), output appended to ``log``."""
    with open(log, "ab") as handle:
        return subprocess.Popen(argv, env=env, cwd=cwd, stdout=handle, stderr=handle,
                                start_new_session=True)


def signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def stop_group(proc: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM to the process group, then SIGKILL to whatever of it lingers."""
    if proc.poll() is None:
        signal_group(proc, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    signal_group(proc, signal.SIGKILL)  # children (flow runs, uvicorn) too
    if proc.poll() is None:
        proc.wait(timeout=10)


@contextlib.contextmanager
def fresh_pg_database(base_url: str, name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database ``name`` on the server of ``base_url`` (dropped after);
    yields its ``postgresql://`` URL. Raises ``OperationalError`` when the server is unreachable."""
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(normalise_url(base_url)).set(drivername="postgresql", database=name,
                                                    query={})
        yield url.render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(Exception), admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wait_healthy(api_url: str, proc: subprocess.Popen[bytes], log: Path,
                 limit: float = HEALTH_LIMIT) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        with contextlib.suppress(OSError, ValueError), \
                urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            if response.status == 200 and json.loads(response.read()) is True:
                return
        time.sleep(0.5)
    raise AssertionError(f"Prefect server not healthy within {limit} s:\n"
                         + log.read_text(errors="replace")[-3000:])


@contextlib.contextmanager
def running_prefect_server(folder: Path, database_url: str) -> Iterator[PrefectServer]:
    """``prefect server start`` with services on, its state in ``database_url`` (PostgreSQL)."""
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log, home = folder / "server.log", folder / "server-home"
    asyncpg = make_url(database_url).set(drivername="postgresql+asyncpg")
    env = clean_env(
        PREFECT_HOME=str(home),
        PREFECT_API_DATABASE_CONNECTION_URL=asyncpg.render_as_string(hide_password=False),
        PREFECT_SERVER_API_AUTH_STRING=AUTH,
        # The scheduler's loops, shortened: a new deployment gets its runs within seconds.
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5",
        PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS="2",
    )
    started = time.monotonic()
    server = start_group([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port),
                          "--no-ui"], env, folder, log)
    try:
        wait_healthy(api_url, server, log)
        yield PrefectServer(api_url=api_url, home=home, log=log,
                            healthy_after=time.monotonic() - started)
    finally:
        stop_group(server)


@contextlib.contextmanager
def prefect_client(server: PrefectServer) -> Iterator[Any]:
    """A synchronous Prefect client on ``server`` (not a temporary server of this process)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: server.api_url,
                                     PREFECT_API_AUTH_STRING: AUTH}), \
            get_client(sync_client=True) as client:
        yield client


def runs_of(client: Any, deployment_id: Any) -> list[Any]:
    """Every flow run of one deployment."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    return list(client.read_flow_runs(deployment_filter=DeploymentFilter(
        id=DeploymentFilterId(any_=[deployment_id]))))


def finished_runs(client: Any, deployment_id: Any) -> list[dict[str, Any]]:
    """The finished runs of one deployment: state, times, whether the scheduler made it, how
    often it ran, the worker that submitted it (from its log) and its log."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    out = []
    for run in runs_of(client, deployment_id):
        if run.state is None or not run.state.is_final():
            continue
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
        text = "\n".join(entry.message for entry in logs)
        worker = re.search(r"Worker '([^']+)' submitting", text)
        out.append({"state": run.state, "start": run.start_time, "end": run.end_time,
                    "auto": run.auto_scheduled, "runs": run.run_count,
                    "worker": worker.group(1) if worker else None, "log": text})
    return out


def start_worker(server: PrefectServer, name: str, folder: Path, *, queues: tuple[str, ...],
                 shell: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path, int]:
    """``prefect worker start --pool duban`` as docs/deploy.md's unit runs it (``--limit``,
    ``--with-healthcheck`` on a port of its own), polling ``queues``, started in an empty
    folder with ``shell`` added to its environment. Returns the process, folder and port."""
    workdir, port = folder / f"worker-{name}", free_port()
    workdir.mkdir()
    env = server.client_env(PREFECT_HOME=str(folder / f"worker-{name}-home"),
                            PREFECT_WORKER_QUERY_SECONDS="1",
                            PREFECT_WORKER_WEBSERVER_PORT=str(port), **shell)
    argv = [PREFECT, "worker", "start", "--pool", "duban", "--name", f"duban-worker-{name}",
            "--limit", "3", "--with-healthcheck"]
    for queue in queues:
        argv += ["--work-queue", queue]
    return start_group(argv, env, workdir, folder / f"worker-{name}.log"), workdir, port


def stop_worker(proc: subprocess.Popen[bytes]) -> bool:
    """Stop a worker as docs/deploy.md's unit does: SIGTERM to the worker alone (it takes the
    first as "finish up" and goes on), a second one (it then kills itself); whether it exited.
    Its flow runs still going are killed afterwards."""
    proc.send_signal(signal.SIGTERM)
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
        stopped = True
    except subprocess.TimeoutExpired:
        stopped = False
    stop_group(proc, grace=1)
    return stopped
