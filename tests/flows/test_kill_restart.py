"""SIGKILL reliability: a dispatcher killed at random moments and restarted delivers every message,
and repeats at most the one message in flight per kill (the window between a channel accepting
a message and the commit that marks it sent).

The dispatchers are real processes running the ``duban`` command (``dispatch``, or ``serve``)
with the "file" channel, which appends each delivered id to a file with flush + fsync before the
send returns. More than twenty restarts of a fresh interpreter would cost a second of imports
each, so the runs are forked from a "zygote" process that has paid the imports once; each child
then runs ``cli.main.run([...])`` exactly as the console script does, and is killed with
SIGKILL. The run that finishes the job is a fresh ``.venv/bin/duban`` process.

Kills are timed from a run's first delivery (most of them) or from its start (the rest, to hit
start-up, orphan release and the claim too), with seeded random delays of 0.05–0.4 s.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from cli.main import run
from engine.outbox import queue as outbox
from engine.store.db import make_engine
from models import Lease, OutboxMessage, Person
from tests.conftest import PG_BASE_URL
from tests.factories import make_city

DUBAN = str(Path(sys.executable).with_name("duban"))
MESSAGES = 300
MIN_KILLS = 20
SEND_DELAY = 0.03
"""Seconds per send: slow enough that a run is killed mid-batch, not after it is done."""

ZYGOTE = r"""
import importlib, json, os, sys

import typer.main
from sqlalchemy.orm import configure_mappers

import cli.catalog
import cli.main

cli.catalog.load_all()
for name in json.loads(sys.argv[2]):  # what the command imports lazily, paid before any fork
    importlib.import_module(name)
# Pure Python work every child would otherwise repeat (no connection exists yet): the mappers,
# and the click command that Typer rebuilds from the annotations on every call.
configure_mappers()
build, command = typer.main.get_command, typer.main.get_command(cli.main.app)
typer.main.get_command = lambda app: command if app is cli.main.app else build(app)
argv = json.loads(sys.argv[1])
for line in sys.stdin:
    word, _, arg = line.strip().partition(" ")
    if word == "go":
        pid = os.fork()
        if pid == 0:  # no engine, connection or event loop exists yet: the child makes its own
            os.dup2(2, 1)
            code = 3
            try:
                code = cli.main.run(argv)
            finally:
                sys.stdout.flush()
                os._exit(code)
        print(pid, flush=True)
    elif word == "wait":
        print(os.waitpid(int(arg), 0)[1], flush=True)
    else:
        break
"""
PRELOAD = ["engine.outbox.dispatch", "engine.escalation.run", "engine.summary.daily", "flows.jobs", "flows.embedded",
           "notifiers.registry", "notifiers.file_channel", "apscheduler.schedulers.asyncio",
           "apscheduler.jobstores.sqlalchemy", "apscheduler.triggers.cron",
           "apscheduler.executors.asyncio"]


class Zygote:
    """Forks processes that run ``duban <argv>``; reaps them on request (no zombie lingers, so a
    killed run's pid is really gone when the next run looks for orphaned claims)."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        with open(log, "ab") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", ZYGOTE, json.dumps(argv), json.dumps(PRELOAD)], env=env,
                cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=handle, text=True)
        self.children: set[int] = set()

    def _ask(self, line: str) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def start(self) -> int:
        pid = self._ask("go")
        self.children.add(pid)
        return pid

    def reap(self, pid: int) -> int:
        """Wait for the child; its raw wait status."""
        status = self._ask(f"wait {pid}")
        self.children.discard(pid)
        return status

    def close(self) -> None:
        """Kill and reap any child a failed test left running, then end the zygote."""
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self.reap(pid)
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@dataclass
class Figures:
    kills: int = 0
    runs: int = 0
    messages: int = 0
    deliveries: int = 0
    duplicates: int = 0
    delivered_per_run: list[int] = field(default_factory=list)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An initialised database: a SQLite file, or a schema of its own on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/kill.db"
        assert run(["--db", url, "init", "--simulation"]) == 0
        yield url
        return
    request.getfixturevalue("pg_engine")  # skips (or fails under CI) when PostgreSQL is unreachable
    schema = f"duban_kill_{os.getpid()}"
    base = make_engine(PG_BASE_URL)
    with base.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_BASE_URL}{'&' if '?' in PG_BASE_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        assert run(["--db", url, "init", "--simulation"]) == 0
        yield url
    finally:
        with base.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        base.dispose()


def _queue(url: str, n: int, prefix: str) -> None:
    """``n`` messages to the city's unit people, due now (real clock: the dispatchers use it)."""
    engine = make_engine(url)
    now = datetime.now(UTC) - timedelta(minutes=1)
    unit_people = select(Person).where(col(Person.unit_id).is_not(None)).order_by(col(Person.id))
    try:
        with Session(engine, expire_on_commit=False) as session:
            if session.exec(unit_people).first() is None:
                make_city(session)
            people = session.exec(unit_people).all()
            for i in range(n):
                outbox.enqueue(session, dedupe_key=f"{prefix}:{i}", kind="notice",
                               recipient=people[i % len(people)], body=f"第{i}条通知", now=now)
            session.commit()
    finally:
        engine.dispose()


def _count(url: str, *statuses: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return int(session.exec(select(func.count()).select_from(OutboxMessage).where(
                col(OutboxMessage.status).in_(statuses))).one())
    finally:
        engine.dispose()


def _env(tmp_path: Path, deliveries: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DUBAN_") or k == "DUBAN_AUDIT_KEY"}  # the shared audit key stays
    env.update({"DUBAN_NOTIFIERS": '["file"]', "DUBAN_FILE_CHANNEL_PATH": str(deliveries),
                "DUBAN_FILE_CHANNEL_DELAY": str(SEND_DELAY),
                "DUBAN_REPORTS_DIR": str(tmp_path / "reports")})
    return env


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _lines(path: Path) -> int:
    return len(path.read_text().split()) if path.exists() else 0


def _running(pid: int) -> bool:
    """Alive and not yet a zombie (Linux ``/proc``)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _kill_run(zygote: Zygote, deliveries: Path, rng: random.Random, *, from_start: bool,
              log: Path) -> bool:
    """One run killed at a random moment; whether the SIGKILL hit a running process."""
    pid = zygote.start()
    if not from_start:
        size, deadline = _size(deliveries), time.monotonic() + 60
        while _running(pid) and _size(deliveries) <= size and time.monotonic() < deadline:
            time.sleep(0.005)
    time.sleep(rng.uniform(0.05, 0.4))
    if _running(pid):
        os.kill(pid, signal.SIGKILL)
    status = zygote.reap(pid)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert killed or os.WEXITSTATUS(status) == 0, log.read_text()
    return killed


def _check(url: str, deliveries: Path, figures: Figures) -> None:
    """Every message sent and in the file; at most one repeated message per kill."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(OutboxMessage.id, OutboxMessage.status)).all()
    finally:
        engine.dispose()
    counts = Counter(int(line) for line in deliveries.read_text().split())
    figures.messages = len(rows)
    figures.deliveries = sum(counts.values())
    figures.duplicates = sum(c - 1 for c in counts.values() if c > 1)
    print(f"\nkills {figures.kills}, runs {figures.runs}, messages {figures.messages}, "
          f"deliveries {figures.deliveries}, duplicated {figures.duplicates}; "
          f"delivered per run {figures.delivered_per_run}")
    assert {status for _, status in rows} == {"sent"}
    assert {message_id for message_id, _ in rows} == set(counts)
    assert figures.duplicates <= figures.kills


def test_dispatch_killed_at_random_moments_loses_nothing(database_url: str, tmp_path: Path) -> None:
    deliveries, log = tmp_path / "deliveries.txt", tmp_path / "dispatch.log"
    _queue(database_url, MESSAGES, "m")
    env = _env(tmp_path, deliveries)
    rng = random.Random(20240210)
    figures = Figures()
    # A small batch per run keeps each restart's claim (and orphan release) quick.
    zygote = Zygote(["--db", database_url, "dispatch", "--limit", "40"], env, tmp_path, log)
    try:
        while figures.kills < MIN_KILLS:
            if _count(database_url, "pending", "sending") == 0:  # ran dry: queue more
                _queue(database_url, 50, f"top{figures.runs}")
            before = _lines(deliveries)
            # The last kill is timed from a delivery, so the final run has claims to release.
            from_start = rng.random() < 0.2 and figures.kills < MIN_KILLS - 1
            figures.kills += _kill_run(zygote, deliveries, rng, from_start=from_start, log=log)
            figures.runs += 1
            figures.delivered_per_run.append(_lines(deliveries) - before)
    finally:
        zygote.close()
    # A fresh `duban dispatch` finishes the job; it must first release the dead runs' claims.
    orphaned = _count(database_url, "sending")
    before = _lines(deliveries)
    done = subprocess.run([DUBAN, "--db", database_url, "dispatch", "--json"],
                          env={**env, "DUBAN_FILE_CHANNEL_DELAY": "0"}, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sent"] == _lines(deliveries) - before
    figures.runs += 1
    figures.delivered_per_run.append(_lines(deliveries) - before)
    print(f"\norphaned claims released by the last `duban dispatch`: {orphaned}")
    assert orphaned > 0 and _count(database_url, "pending", "sending") == 0
    _check(database_url, deliveries, figures)


def test_serve_killed_and_restarted_takes_over_and_delivers_everything(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/serve.db"
    assert run(["--db", url, "init", "--simulation"]) == 0
    deliveries, log = tmp_path / "deliveries.txt", tmp_path / "serve.log"
    _queue(url, 120, "m")
    rng = random.Random(20240218)
    figures = Figures()
    zygote = Zygote(["--db", url, "serve", "--no-bot", "--no-web", "--dispatch-interval", "0.2"],
                    _env(tmp_path, deliveries), tmp_path, log)
    try:
        for _ in range(6):
            before = _lines(deliveries)
            # A run that exits by itself was refused the lease: the dead holder was not replaced.
            figures.kills += _kill_run(zygote, deliveries, rng, from_start=False, log=log)
            figures.runs += 1
            figures.delivered_per_run.append(_lines(deliveries) - before)
        assert figures.kills == 6, log.read_text()
        before = _lines(deliveries)
        pid = zygote.start()
        figures.runs += 1
        deadline = time.monotonic() + 60
        while _count(url, "pending", "sending") and time.monotonic() < deadline:
            assert _running(pid), log.read_text()
            time.sleep(0.1)
        os.kill(pid, signal.SIGTERM)
        status = zygote.reap(pid)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, log.read_text()
    finally:
        zygote.close()
    figures.delivered_per_run.append(_lines(deliveries) - before)
    _check(url, deliveries, figures)
    assert "duban serve 已停止" in log.read_text()
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.exec(select(Lease)).all() == []  # released by the clean stop
    engine.dispose()
