"""The web console served for real: uvicorn on 127.0.0.1 in a background thread, for the browser.

The server runs ``web.app.create_app(WebConfig(...))`` — the same factory as ``duban web`` —
against a fresh simulation SQLite database seeded as ``duban init --simulation --config
config/example.yaml`` seeds one (the example city's units, people and policy). Its clock is a
:class:`SimClock` the test moves at will (a simulation database accepts a moved clock), so a
story can cross a deadline without waiting for it.

One server per test process (xdist worker); it is stopped when the session ends. The port is
bound before uvicorn starts, so two workers never race for it.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.engine import Engine
from sqlmodel import Session

from engine.store.db import make_engine
from tests.paths import ROOT

EXAMPLE_CONFIG = ROOT / "config" / "example.yaml"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
"""Where the simulated clock starts: Monday 2026-03-02, 09:00 in Shanghai (a working day)."""
STARTUP_LIMIT = 30.0
"""Seconds for uvicorn to import the app and start listening on a loaded CI machine."""


class SimClock:
    """The console's ``now``: a simulated moment the test sets or advances (thread-safe reads:
    the server thread only ever reads one attribute)."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now = self.now + delta
        return self.now


@dataclass
class LiveServer:
    url: str
    """Base URL without a trailing slash, e.g. ``http://127.0.0.1:41234``."""
    database_url: str
    clock: SimClock
    engine: Engine
    """An engine on the same database, for a test's own setup (passwords) and checks."""


def seed_simulation_database(database_url: str, *, now: datetime) -> Engine:
    """Create the newest schema at ``database_url``, mark it a simulation and load the example
    city, as ``duban init --simulation --config config/example.yaml`` does; returns an engine."""
    from config.orgfile import load_org_file
    from engine.org.actors import Actor
    from engine.org.setup import load_org, mark_simulation
    from engine.store.schema import upgrade

    engine = make_engine(database_url, create_dirs=True)
    upgrade(engine)
    operator = Actor.cli_operator("tests", wall_clock=datetime.now(UTC))
    with Session(engine, expire_on_commit=False) as session:
        mark_simulation(session=session, actor=operator)
        load_org(session=session, org=load_org_file(EXAMPLE_CONFIG), actor=operator, now=now)
    return engine


def _serve(app: object) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Start uvicorn for ``app`` in a daemon thread; return it once it listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # log_config=None: uvicorn must not reconfigure the test process's logging.
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,  # type: ignore[arg-type]
                            log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name=f"live-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_LIMIT
    while not server.started:  # readiness, not simulated time: uvicorn sets it once listening
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the web console did not start on port {port}")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The web console on a free 127.0.0.1 port over a seeded simulation database."""
    from web.app import create_app
    from web.config import WebConfig

    folder: Path = tmp_path_factory.mktemp("live-server")
    database_url = f"sqlite:///{folder / 'duban.db'}"
    clock = SimClock()
    engine = seed_simulation_database(database_url, now=clock())
    app = create_app(WebConfig(database_url=database_url, secret_key=secrets.token_hex(32),
                               public_url=None, clock=clock))
    server, thread, url = _serve(app)
    try:
        yield LiveServer(url=url, database_url=database_url, clock=clock, engine=engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()

