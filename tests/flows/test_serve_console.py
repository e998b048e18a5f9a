"""``duban serve`` runs the web console beside the scheduler, the dispatcher and the bot, in one
event loop: the console answers while serve runs, and Ctrl-C stops everything cleanly."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import Session, select

from cli.main import run
from engine.store.db import make_engine
from models import Lease
from tests.support.console_process import duban_env, running
from tests.support.prefect_server import free_port


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/serve.db"
    assert run(["--db", url, "init", "--simulation"]) == 0
    return url


def _leases(url: str) -> list[Lease]:
    engine = make_engine(url)
    with Session(engine) as session:
        found = list(session.exec(select(Lease)).all())
    engine.dispose()
    return found


def _get(url: str) -> tuple[int, str, str]:
    """Status, Location header and body of a GET that does not follow redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as answer:
            return answer.status, answer.headers.get("Location", ""), answer.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("Location", ""), answer.read().decode()


def test_serve_answers_on_the_console_port_and_ctrl_c_stops_everything(
        database: str, tmp_path: Path) -> None:
    port = free_port()
    env = duban_env(DUBAN_NOTIFIERS='["console"]', DUBAN_REPORTS_DIR=str(tmp_path / "reports"),
                    DUBAN_WEB_SECRET="serve-test-secret-" + "s" * 20)
    argv = ["--db", database, "serve", "--no-bot", "--dispatch-interval", "0.2", "--port", str(port)]
    with running(argv, env=env, cwd=tmp_path, log=tmp_path / "serve.log") as served:
        assert served.address == f"http://127.0.0.1:{port}/"
        status, _, body = _get(served.address + "login")
        assert status == 200 and "登录" in body
        status, location, _ = _get(served.address)
        assert status == 303 and location.startswith("/login")
        assert [lease.name for lease in _leases(database)] == ["serve"]
        assert served.interrupt() == 0, served.output()
        output = served.output()
    assert "duban serve 已启动" in output and "duban serve 已停止" in output
    assert "Traceback" not in output and "已中止" not in output
    assert _leases(database) == []
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_serve_refuses_a_busy_console_port_and_keeps_no_lease(
        database: str, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert run(["--db", database, "serve", "--no-bot", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"网页控制台无法在 127.0.0.1:{port} 监听：端口已被占用" in err
    assert "Traceback" not in err
    assert _leases(database) == []
