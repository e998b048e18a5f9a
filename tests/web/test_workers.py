"""``duban web``, and with ``--workers N``: several processes share one listening socket, a dead worker is
replaced, one that cannot start stops the console, and Ctrl-C stops them all."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import run
from tests.support.console_process import duban_env, running
from tests.support.prefect_server import free_port
from web.config import WebConfig
from web.server import GRACEFUL_SECONDS, bind
from web.workers import run_workers

SECRET = "workers-test-secret-" + "w" * 20


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/workers.db"
    assert run(["--db", url, "init", "--simulation"]) == 0
    return url


def _children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _login_page(address: str) -> str:
    with urllib.request.urlopen(address + "login", timeout=10) as answer:
        assert answer.status == 200
        return str(answer.read().decode())


def _until(condition: object, limit: float = 30.0) -> None:
    """Poll ``condition`` (a callable) until true: the processes run on their own time."""
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_one_process_serves_on_the_host_and_port_given(database: str, tmp_path: Path) -> None:
    """``duban web --host --port`` (one process, the default): it prints where it listens,
    serves there and nowhere else, and Ctrl-C ends it with 0."""
    port = free_port()
    env = duban_env(DUBAN_WEB_SECRET=SECRET)
    argv = ["--db", database, "web", "--host", "127.0.0.1", "--port", str(port)]
    with running(argv, env=env, cwd=tmp_path, log=tmp_path / "web.log") as served:
        assert served.address == f"http://127.0.0.1:{port}/"
        assert _children(served.proc.pid) == set()  # no worker processes
        assert "姓名" in _login_page(served.address)
        assert served.interrupt() == 0, served.output()
        output = served.output()
    assert "网页控制台已停止" in output and "Traceback" not in output


def test_two_workers_serve_and_ctrl_c_stops_them_all(database: str, tmp_path: Path) -> None:
    port = free_port()
    env = duban_env(DUBAN_WEB_SECRET=SECRET)
    argv = ["--db", database, "web", "--workers", "2", "--port", str(port)]
    with running(argv, env=env, cwd=tmp_path, log=tmp_path / "web.log") as served:
        assert served.address == f"http://127.0.0.1:{port}/"
        _until(lambda: len(_children(served.proc.pid)) == 2)
        workers = _children(served.proc.pid)
        for _ in range(20):
            assert "登录" in _login_page(served.address)
        # SIGINT to the parent alone (as a service manager would send it): it stops the
        # workers, gracefully — nothing is in flight, so at once, not after the kill timeout.
        asked = time.monotonic()
        assert served.interrupt() == 0, served.output()
        assert time.monotonic() - asked < GRACEFUL_SECONDS
        output = served.output()
    assert "2 个工作进程" in output and "网页控制台已停止" in output
    assert "Traceback" not in output
    _until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers))
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_workers_out_of_range_are_refused_in_chinese(
        database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--db", database, "web", "--workers", "0"]) != 0
    assert "参数 --workers 的值“0”无效：应不小于 1" in capsys.readouterr().err
    assert run(["--db", database, "web", "--workers", "33"]) != 0
    assert "参数 --workers 的值“33”无效：应不大于 32" in capsys.readouterr().err


class _LateClock:
    """A monotonic clock far past every worker's start-up grace once ``late`` is set."""

    def __init__(self) -> None:
        self.late = False

    def __call__(self) -> float:
        return time.monotonic() + (3600.0 if self.late else 0.0)


@pytest.fixture
def signal_later() -> Iterator[list[threading.Thread]]:
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=60)


def _workers() -> set[int]:
    """This process's console workers (other fixtures' subprocesses are not multiprocessing's)."""
    return {p.pid for p in multiprocessing.active_children() if p.pid is not None}


def test_a_dead_worker_is_replaced_and_sigterm_stops_the_rest(
        database: str, signal_later: list[threading.Thread]) -> None:
    sock = bind("127.0.0.1", 0)
    address = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    clock = _LateClock()
    seen: dict[str, object] = {}

    def drive() -> None:
        try:
            _until(lambda: len(_workers()) == 2)
            first = _workers()
            assert "登录" in _login_page(address)
            clock.late = True  # the workers have been up long enough: a death is a crash
            victim = min(first)
            os.kill(victim, signal.SIGKILL)
            _until(lambda: victim not in _workers()
                   and len(_workers()) == 2)
            seen["replaced"] = _workers() - first
            seen["page"] = _login_page(address)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=drive)
    signal_later.append(thread)
    thread.start()
    config = WebConfig(database_url=database, secret_key=SECRET)
    assert run_workers(config, sock, 2, clock=clock) is True
    thread.join(timeout=60)
    assert len(seen["replaced"]) == 1  # type: ignore[arg-type]
    assert "登录" in str(seen["page"])
    assert _workers() == set()
    assert sock.fileno() == -1


def test_a_worker_that_cannot_start_stops_the_console(database: str) -> None:
    dead = socket.socket()  # closed: no worker can serve on it
    dead.close()
    started = time.monotonic()
    assert run_workers(WebConfig(database_url=database, secret_key=SECRET), dead, 2) is False
    assert time.monotonic() - started < 30
    assert _workers() == set()
