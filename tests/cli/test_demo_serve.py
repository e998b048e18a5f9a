"""``make demo`` leads a newcomer to the console: ``duban demo --serve`` runs the simulated month,
prints the console's address and four demo accounts, serves the demo city until Ctrl-C, and
exits 0. ``duban demo`` alone still runs and exits (for scripts)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from cli.main import run
from demo.console import DEMO_ACCOUNTS
from tests.paths import ROOT
from tests.support.console_process import duban_env, running
from tests.support.prefect_server import free_port

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _accounts(output: str) -> dict[str, str]:
    """The printed demo accounts: name → password (one table row per account)."""
    found = {}
    for name, _ in DEMO_ACCOUNTS:
        line = next((ln for ln in output.splitlines() if name in ln and "demo-" in ln), None)
        assert line is not None, f"no account line for {name}:\n{output}"
        found[name] = re.search(r"demo-[A-Za-z0-9_-]+", line).group(0)  # type: ignore[union-attr]
    return found


def _log_in(address: str, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=address, follow_redirects=False, timeout=10)
    form = client.get("/login")
    assert form.status_code == 200, form.text
    token = CSRF.search(form.text)
    assert token is not None
    answer = client.post("/login", data={"csrf_token": token.group(1), "name": name,
                                         "password": password, "next": "/"})
    assert answer.status_code == 303 and answer.headers["location"] == "/", answer.text
    return client


def test_demo_serve_prints_accounts_that_log_in_and_ctrl_c_exits_0(tmp_path: Path) -> None:
    port = free_port()
    argv = ["demo", "--serve", "--dir", str(tmp_path / "demo"), "--days", "3", "--port", str(port)]
    with running(argv, env=duban_env(), cwd=tmp_path, log=tmp_path / "demo.log") as served:
        assert served.address == f"http://127.0.0.1:{port}/"
        accounts = _accounts(served.output())
        assert len(set(accounts.values())) == len(DEMO_ACCOUNTS)  # fresh, distinct passwords
        for name in (DEMO_ACCOUNTS[0][0], DEMO_ACCOUNTS[2][0]):  # the office and a unit
            client = _log_in(served.address, name, accounts[name])
            home = client.get("/")
            client.close()
            assert home.status_code == 200
            assert "首页" in home.text and name in home.text
        with httpx.Client(base_url=served.address, follow_redirects=False) as stranger:
            assert stranger.get("/").status_code == 303  # no login, no page
        assert served.interrupt() == 0, served.output()
        output = served.output()
    assert "网页控制台已停止" in output
    assert "Traceback" not in output and "已中止" not in output


def test_demo_without_serve_runs_and_exits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["demo", "--dir", str(tmp_path / "demo"), "--days", "2", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert "end" in figures
    assert (tmp_path / "demo" / "duban.db").exists()


def test_make_demo_serves_the_console() -> None:
    """The README's first command is ``make demo``: it must open the console, not just run."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "duban demo --serve" in recipe
