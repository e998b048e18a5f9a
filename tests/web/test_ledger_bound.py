"""The lower bound of the ledger benchmark (bench/ledger_bound.py) measures the same page.

Its figure is only worth printing beside the console's if it lists the same tasks in the same
order as the console's first 台账 page for the office, and refuses a cookie the console would
refuse. (SQLite only: the generator writes a whole database of its own, which on PostgreSQL would
be another database beside the test schema; the bound's SQL is the floor's, run on both by
``bench/web.py``.)"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from bench.generate import generate
from bench.ledger_bound import PATH, bound_app
from bench.web import NOW, SECRET, accounts, login
from web.app import create_app
from web.config import WebConfig

CODE = re.compile(r'name="code" value="([^"]+)"')


def test_bound_page_lists_the_consoles_first_ledger_page(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    generate(url, 400, seed=5, due_fraction=0.5, log=lambda _message: None)
    who = accounts(url, units=1)
    console = TestClient(create_app(WebConfig(database_url=url, secret_key=SECRET,
                                              clock=lambda: NOW)), follow_redirects=False)
    login(console, who["office"])
    bound = bound_app(url, SECRET)
    try:
        lean = TestClient(bound, cookies=dict(console.cookies))
        page = console.get("/tasks?size=50")
        assert page.status_code == 200
        expected = CODE.findall(page.text)
        assert len(expected) == 50
        answer = lean.get(PATH)
        assert answer.status_code == 200
        assert CODE.findall(answer.text) == expected

        stranger = TestClient(bound)
        assert stranger.get(PATH).status_code == 403
    finally:
        bound.state.connection.close()
