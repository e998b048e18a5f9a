"""Web console benchmarks on a generated database (issue 12): server time of the 台账 page
against its bare keyset query, the task page, page weight, and 20 concurrent clients.

    python bench/web.py --db sqlite:///bench/out/db-1m.sqlite [--clients 20 --seconds 60] --json

Runs on a copy of the database (``bench/out/web-<name>``, or a PostgreSQL database made from it
as a template), because the concurrent clients act (签收, 反馈进展). The console's clock is
:data:`bench.common.NOW` moving at real speed (the generated databases are simulation ones).

- **ledger**: ``GET /tasks`` (the office's first page, 50 rows, deadline order) straight through
  the ASGI app (server time: session check, permission-narrowed keyset read, total, rendering),
  median of 21 alternating runs, against the bare SQL of the same page through the raw driver: the
  keyset query, the rows' co-units and names — on a connection kept open as the console's pool
  keeps its own (:class:`LedgerFloor`; the fresh-connection figure is printed beside it). Beside
  them, the leanest page that could be written on this stack (:mod:`bench.ledger_bound`: the
  floor's SQL and a Jinja table of its rows behind the session cookie, no engine), to show how
  near the floor any page can come.
- **task page**: ``GET /tasks/CODE`` for 20 tasks of the median unit, as that unit's contact:
  median and p95 server time (target < 100 ms).
- **weight**: bytes of the home page, the ledger and a task page with the stylesheet and htmx.
- **concurrent**: ``duban web --workers N`` in its own process (``--workers 1 2``: a run for
  each); 20 httpx clients (half the office, half unit contacts) for ``--seconds``: browse the
  home page, the ledger and task pages, and act (unit contacts 签收 and 反馈进展 on their tasks); p50 / p95 per request, errors (5xx, refused).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NOW, ROOT, kind_of, raw_connect, sqlite_file
from bench.ledger_bound import PATH as BOUND_PATH
from bench.ledger_bound import bound_app

PASSWORD = "bench-password-1"
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)"')
SECRET = "bench-web-secret-" + "y" * 32


def web_copy(url: str) -> str:
    """A copy of the generated database for the web benchmark (made once)."""
    if kind_of(url) == "sqlite":
        source = Path(sqlite_file(url))
        target = source.with_name("web-" + source.name)
        if not target.exists():
            shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    import psycopg

    name = url.rsplit("/", 1)[1]
    copy = f"{name}_web"
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (copy,)).fetchone():
            conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + copy


def accounts(url: str, units: int = 10) -> dict[str, Any]:
    """Passwords for the office clerk and the contacts of ``units`` median units; their tasks."""
    from sqlmodel import Session, SQLModel, col, select

    from engine.org.accounts import set_password
    from engine.org.actors import Actor
    from engine.store.db import make_engine
    from models import Person, Task, TaskUnit

    engine = make_engine(url)
    # A database generated before the console's tables (migration 0006) gets them here.
    SQLModel.metadata.create_all(engine)
    operator = Actor.cli_operator("bench", wall_clock=NOW)
    with Session(engine, expire_on_commit=False) as session:
        people = session.exec(select(Person).order_by(col(Person.id))).all()
        office = next(p for p in people if "office" in p.roles)
        contacts = [p for p in people if "unit_contact" in p.roles and p.unit_id]
        rng = random.Random(7)
        rng.shuffle(contacts)
        out: dict[str, Any] = {"office": office.name, "units": []}
        set_password(session=session, actor=operator, person=office.id or 0,
                     password=PASSWORD, now=NOW)
        for person in contacts:
            if len(out["units"]) == units:
                break
            # Tasks the unit leads and may report on (signed for, in progress).
            codes = session.exec(select(TaskUnit.task_id).join(
                Task, col(Task.id) == col(TaskUnit.task_id)).where(
                TaskUnit.unit_id == person.unit_id, TaskUnit.role == "lead",
                col(Task.status).in_(("acknowledged", "in_progress"))).limit(40)).all()
            if codes:
                set_password(session=session, actor=operator, person=person.id or 0,
                             password=PASSWORD, now=NOW)
                out["units"].append({"name": person.name, "task_ids": list(codes)})
    engine.dispose()
    return out


def task_codes(url: str, ids: list[int]) -> list[str]:
    conn = raw_connect(url)
    marks = ", ".join("?" if kind_of(url) == "sqlite" else "%s" for _ in ids)
    try:
        return [r[0] for r in conn.execute(f"SELECT code FROM task WHERE id IN ({marks})",
                                           ids).fetchall()]
    finally:
        conn.close()


def _token(text: str) -> str:
    found = TOKEN.search(text)
    assert found is not None, "no csrf token"
    return found.group(1) or found.group(2)


def login(client: Any, name: str) -> str:
    token = _token(client.get("/login").text)
    answer = client.post("/login", data={"csrf_token": token, "name": name,
                                         "password": PASSWORD, "next": "/"})
    assert answer.status_code == 303, (answer.status_code, answer.text[:300])
    return _token(client.get("/").text)


def floor_ledger(conn: Any, kind: str, size: int = 50) -> float:
    """The bare SQL of the ledger's first page on ``conn``: the keyset query, co-units, names."""
    q = (lambda s: s) if kind == "sqlite" else (lambda s: s.replace("?", "%s"))
    t0 = time.perf_counter()
    rows = conn.execute(q("SELECT task.id, task.* FROM task WHERE due_at IS NOT NULL ORDER BY due_at, id "
                          "LIMIT ?"), (size + 1,)).fetchall()
    ids = [r[0] for r in rows]
    marks = ", ".join("?" for _ in ids)
    conn.execute(q(f"SELECT task_id, unit_id FROM task_unit WHERE task_id IN ({marks}) "
                   "AND role = 'co'"), ids).fetchall()
    conn.execute("SELECT id, name FROM unit").fetchall()
    conn.execute(q(f"SELECT id, name FROM person WHERE id IN ({marks})"), ids).fetchall()
    seconds = time.perf_counter() - t0
    if kind != "sqlite":
        conn.rollback()
    return seconds


class LedgerFloor:
    """The ledger's bare SQL two ways. **warm**: on one connection kept open, as the console's
    pool keeps its connections (SQLite's page cache and PostgreSQL's plan and catalogue caches
    stay filled) — the floor the page is judged against. **cold**: on a new connection each
    time (connecting not counted), as the rounds before the fourth measured it: the first
    statements of a connection fill its caches, which made that floor 2–3× the warm one."""

    def __init__(self, url: str) -> None:
        self.url, self.kind = url, kind_of(url)
        self.kept = raw_connect(url)

    def warm(self) -> float:
        return floor_ledger(self.kept, self.kind)

    def cold(self) -> float:
        conn = raw_connect(self.url)
        try:
            return floor_ledger(conn, self.kind)
        finally:
            conn.close()

    def close(self) -> None:
        self.kept.close()


def server_timer(app: Any, cookies: dict[str, str]) -> Any:
    """``timed(path) -> (seconds, status, bytes)``: one GET straight through the ASGI app, as
    uvicorn would call it, from the call to the last body message — the server's time, without
    TestClient's thread portal and client-side parsing."""
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()

    async def call(path: str) -> tuple[float, int, int]:
        bare, _, query = path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": bare, "raw_path": bare.encode(),
                 "query_string": query.encode(), "root_path": "", "state": {},
                 "headers": [(b"host", b"testserver"), (b"cookie", cookie)],
                 "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
        status, size = [0], [0]

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                size[0] += len(message.get("body", b""))

        t0 = time.perf_counter()
        await app(scope, receive, send)
        return time.perf_counter() - t0, status[0], size[0]

    return call


def in_process(url: str, who: dict[str, Any]) -> dict[str, Any]:
    """Server times and page weights through the ASGI app in this process."""
    from fastapi.testclient import TestClient

    from web.app import create_app
    from web.config import WebConfig

    app = create_app(WebConfig(database_url=url, secret_key=SECRET, clock=lambda: NOW))
    office = TestClient(app, follow_redirects=False)
    login(office, who["office"])
    unit = TestClient(app, follow_redirects=False)
    login(unit, who["units"][0]["name"])
    codes = task_codes(url, who["units"][0]["task_ids"][:20])

    calls = {client: server_timer(app, dict(client.cookies)) for client in (office, unit)}
    bound = bound_app(url, SECRET)
    bound_call = server_timer(bound, dict(office.cookies))

    def timed(client: Any, path: str) -> tuple[float, int, int]:
        return asyncio.run(calls[client](path))  # type: ignore[no-any-return]

    floor = LedgerFloor(url)

    async def ledger_times(rounds: int) -> tuple[list[float], ...]:
        office_call = calls[office]
        pages, bounds, warm, cold = [], [], [], []
        for _ in range(rounds):
            seconds, status, _ = await office_call("/tasks?size=50")
            assert status == 200, status
            pages.append(seconds)
            seconds, status, _ = await bound_call(BOUND_PATH)
            assert status == 200, status
            bounds.append(seconds)
            warm.append(floor.warm())
            cold.append(floor.cold())
        return pages, bounds, warm, cold

    asyncio.run(ledger_times(3))  # warm all four
    ledger, bounds, floors, cold = asyncio.run(ledger_times(21))
    floor.close()
    bound.state.connection.close()
    pages = [timed(unit, f"/tasks/{c}") for c in codes]
    assert all(s == 200 for _, s, _ in pages), [s for _, s, _ in pages]
    times = sorted(t for t, _, _ in pages)
    assets = sum(len(office.get(p).content) for p in
                 ("/static/css/duban.css", "/static/vendor/htmx.min.js"))
    weight = {name: timed(office, path)[2] + assets for name, path in
              (("home", "/"), ("ledger", "/tasks?size=50"), ("task", f"/tasks/{codes[0]}"))}
    return {"ledger_s": statistics.median(ledger), "ledger_floor_s": statistics.median(floors),
            "ledger_bound_s": statistics.median(bounds),
            "ledger_floor_cold_s": statistics.median(cold),
            "ledger_min_s": min(ledger), "ledger_floor_min_s": min(floors),
            "task_page_p50_ms": 1000 * statistics.median(times),
            "task_page_p95_ms": 1000 * times[int(0.95 * (len(times) - 1))],
            "weight_bytes": weight, "assets_bytes": assets}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _client(base: str, name: str, codes: list[str], acting: bool, until: float,
                  out: list[tuple[str, float, int]]) -> None:
    import httpx

    # A new connection for every request, as the browsers of people who pause longer than the
    # console's keep-alive (5 s) open them: otherwise 20 connections opened at once stay with
    # whichever worker accepted them first.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=60,
                                 limits=limits) as client:
        token = _token((await client.get("/login")).text)
        answer = await client.post("/login", data={"csrf_token": token, "name": name,
                                                   "password": PASSWORD, "next": "/"})
        assert answer.status_code == 303, answer.text[:200]
        token = _token((await client.get("/")).text)
        rng = random.Random(name)
        while time.perf_counter() < until:
            code = rng.choice(codes)
            steps: list[tuple[str, str, dict[str, str] | None]] = [
                ("home", "/", None), ("ledger", "/tasks?size=50", None),
                ("task", f"/tasks/{code}", None)]
            if acting:
                steps.append(("act", f"/tasks/{code}/report_progress",
                              {"csrf_token": token, "text": "按计划推进，已完成现场核查"}))
            for kind, path, form in steps:
                t0 = time.perf_counter()
                answer = await (client.post(path, data=form) if form else client.get(path))
                out.append((kind, time.perf_counter() - t0, answer.status_code))


def concurrent(url: str, who: dict[str, Any], clients: int, seconds: float,
               workers: int = 1) -> dict[str, Any]:
    """``clients`` httpx clients for ``seconds`` against ``duban web --workers N``, started as
    an operator would (its clock at :data:`NOW`, moving at real speed)."""
    port = _free_port()
    env = {**os.environ, "DUBAN_WEB_SECRET": SECRET}
    duban = str(Path(sys.executable).with_name("duban"))
    server = subprocess.Popen(
        [duban, "--db", url, "web", "--now", NOW.isoformat(), "--workers", str(workers),
         "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert server.poll() is None, f"duban web exited with {server.returncode}"
                time.sleep(0.1)
        out: list[tuple[str, float, int]] = []
        units = who["units"]
        codes = {u["name"]: task_codes(url, u["task_ids"]) for u in units}
        every = [c for cs in codes.values() for c in cs]

        async def run() -> None:
            until = time.perf_counter() + seconds
            tasks = []
            for i in range(clients):
                if i % 2:
                    unit = units[i // 2 % len(units)]
                    tasks.append(_client(base, unit["name"], codes[unit["name"]], True, until, out))
                else:
                    tasks.append(_client(base, who["office"], every, False, until, out))
            await asyncio.gather(*tasks)

        asyncio.run(run())
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    times = sorted(t for _, t, _ in out)
    errors = [s for k, _, s in out if s >= 500 or (k == "act" and s not in (303,))
              or (k != "act" and s != 200)]
    by_kind = {k: sorted(t for kk, t, _ in out if kk == k) for k in ("home", "ledger", "task", "act")}
    return {"requests": len(out), "errors": len(errors), "error_codes": sorted(set(errors)),
            "p50_ms": 1000 * times[len(times) // 2], "p95_ms": 1000 * times[int(0.95 * len(times))],
            "by_kind_p50_ms": {k: round(1000 * v[len(v) // 2], 1) for k, v in by_kind.items() if v},
            "by_kind_p95_ms": {k: round(1000 * v[int(0.95 * len(v))], 1)
                               for k, v in by_kind.items() if v},
            "per_s": round(len(out) / seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="web console benchmarks")
    parser.add_argument("--db", required=True)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60,
                        help="length of the concurrent run; 0 skips it")
    parser.add_argument("--workers", type=int, nargs="+", default=[1],
                        help="console processes for the concurrent run (one run per value)")
    args = parser.parse_args(argv)
    url = web_copy(args.db)
    who = accounts(url)
    figures: dict[str, Any] = {"db": kind_of(url), "load": round(os.getloadavg()[0], 1)}
    figures.update(in_process(url, who))
    figures["ledger_ratio"] = round(figures["ledger_s"] / figures["ledger_floor_s"], 2)
    figures["ledger_bound_ratio"] = round(figures["ledger_bound_s"] / figures["ledger_floor_s"], 2)
    figures["ledger_ratio_cold"] = round(figures["ledger_s"] / figures["ledger_floor_cold_s"], 2)
    if args.seconds > 0:
        for workers in args.workers:
            key = "concurrent" if workers == 1 else f"concurrent_{workers}_workers"
            figures[key] = concurrent(url, who, args.clients, args.seconds, workers)
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
