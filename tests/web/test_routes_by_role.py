"""Every route of the console × every role: allowed, refused (403), hidden (404) or sent to the
login page — one table, checked against the app's own route list.

The routes are enumerated from ``create_app(...).routes``: a route with no row in :data:`TABLE`
fails (``test_every_route_has_a_row`` and its own parametrised case), and so does a row for a
route that no longer exists. Each route runs on a fresh world (``tests/web/conftest.py``) for
every role in :data:`ROLES`. A state-changing request that is refused, hidden or sent to the
login page must change nothing: the audit trail (every engine write appends to it) and the
outbox are compared before and after.

Outcomes: ``OK`` (200), ``DENIED`` (403), ``HIDDEN`` (404, the same page as a missing thing),
``LOGIN`` (303 to ``/login``), ``MOVED`` (303 anywhere else: a form that did its work), ``BAD``
(400: the request reached the form and was refused with a message beside a field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from models import AuditEvent, OutboxMessage
from tests.web.conftest import WebWorld
from web.app import create_app
from web.config import WebConfig

OK, DENIED, HIDDEN, LOGIN, MOVED, BAD = "200", "403", "404", "login", "moved", "400"
LOGGED_IN = ("office", "secretary", "vice_mayor", "fire", "housing", "emerg")
ROLES = (*LOGGED_IN, "anon")
"""office 督查室; secretary 书记 (top leader, sees everything assigned); vice_mayor 分管副市长 of
the task's lead unit; fire the task's lead unit; housing a cooperating unit; emerg a unit with
no part in the task; anon nobody logged in."""

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSED = frozenset({DENIED, HIDDEN, LOGIN})

Params = Callable[[WebWorld], dict[str, str]]
Form = Callable[[WebWorld], dict[str, str]]


def roles(default: str, *, anon: str = LOGIN, **given: str) -> dict[str, str]:
    """The expectation of every role: ``default`` for each logged-in role not ``given``."""
    unknown = set(given) - set(LOGGED_IN)
    assert not unknown, f"unknown roles {unknown}"
    return {**{role: given.get(role, default) for role in LOGGED_IN}, "anon": anon}


def task_code(world: WebWorld) -> dict[str, str]:
    return {"code": world.task.code}


def no_form(world: WebWorld) -> dict[str, str]:
    return {}


def sent_summary(world: WebWorld) -> str:
    """The local date of yesterday's 15:00 summary, built and sent (once: a rerun the same day
    queues nothing twice)."""
    from tempfile import gettempdir

    from engine.summary.daily import run_daily_summary
    from tests.factories import operator

    with Session(world.engine) as session:
        return run_daily_summary(session=session, actor=operator(),
                                 now=world.now - timedelta(days=1),
                                 reports_dir=Path(gettempdir()) / "duban-route-table",
                                 send=True).local_date


@dataclass(frozen=True)
class Case:
    expect: dict[str, str]
    params: Params = task_code
    """Path parameters; called again for every role (a fresh target when it builds one)."""
    form: Form = no_form
    """Form fields of a state-changing request (``csrf_token`` is added)."""
    session_only: bool = False
    """The request changes only the caller's session (login, logout): not checked for writes."""
    query: dict[str, str] = field(default_factory=dict)


TABLE: dict[tuple[str, str], Case] = {
    # auth
    ("GET", "/login"): Case(roles(MOVED, anon=OK)),
    ("POST", "/login"): Case(roles(BAD, anon=BAD), session_only=True,
                             form=lambda w: {"name": "无此人", "password": "wrong-password-1"}),
    ("POST", "/logout"): Case(roles(LOGIN, anon=LOGIN), session_only=True),
    # 首页
    ("GET", "/"): Case(roles(OK)),
    # 每日调度: leaders and who sees all; a past summary as each reader may read it
    ("GET", "/summary"): Case(roles(DENIED, office=OK, secretary=OK, vice_mayor=OK)),
    ("GET", "/summary/past/{local_date}"): Case(
        roles(DENIED, office=OK, secretary=OK, vice_mayor=OK), params=lambda w: {
            "local_date": sent_summary(w)}),
    # 情况通报: whoever sees every task (the engine's rule)
    ("GET", "/bulletin"): Case(roles(DENIED, office=OK, secretary=OK)),
    ("GET", "/bulletin/download"): Case(roles(DENIED, office=OK, secretary=OK),
                                        query={"period": "2024-03", "format": "md"}),
    # 组织 and 发件箱: the office's
    ("GET", "/org"): Case(roles(DENIED, office=OK)),
    ("GET", "/org/policy"): Case(roles(DENIED, office=OK)),
    ("POST", "/org/people/{person_id}/telegram-code"): Case(
        roles(DENIED, office=OK), params=lambda w: {"person_id": str(w.city.emerg_contact.id)}),
    ("POST", "/org/people/{person_id}/web-invite"): Case(
        roles(DENIED, office=OK), params=lambda w: {"person_id": str(w.city.emerg_contact.id)}),
    ("GET", "/outbox"): Case(roles(DENIED, office=OK)),
    ("POST", "/outbox/requeue"): Case(roles(DENIED, office=MOVED), form=lambda w: {"every": "1"}),
}


def app_routes() -> set[tuple[str, str]]:
    """(method, path template) of every route the console serves (HEAD aside)."""
    app = create_app(WebConfig(database_url="sqlite://", secret_key="routes-" + "r" * 32))
    found = set()
    # FastAPI 0.150 keeps included routers as lazy branches: walk them to the routes served.
    for route in iter_route_contexts(app.routes):
        if route.path and route.methods:
            found |= {(method, route.path) for method in route.methods if method != "HEAD"}
    app.state.engine.dispose()
    return found


ROUTES = app_routes()


def test_every_route_has_a_row_and_every_row_a_route() -> None:
    missing = sorted(ROUTES - TABLE.keys())
    stale = sorted(TABLE.keys() - ROUTES)
    assert not missing, f"routes with no expectation in TABLE (add a row per route): {missing}"
    assert not stale, f"rows in TABLE for routes the app no longer has: {stale}"
    for key, case in TABLE.items():
        assert set(case.expect) == set(ROLES), f"{key}: every role needs an expectation"


def outcome(answer: object) -> str:
    status = answer.status_code  # type: ignore[attr-defined]
    if status in (302, 303, 307):
        target = urlsplit(answer.headers.get("location", "")).path  # type: ignore[attr-defined]
        return LOGIN if target == "/login" else MOVED
    return str(status)


def footprint(world: WebWorld) -> tuple[int, int]:
    """What any engine write leaves behind: audit events and queued messages."""
    with Session(world.engine) as session:
        events = session.exec(select(func.count()).select_from(AuditEvent)).one()
        messages = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    return int(events), int(messages)


def request(world: WebWorld, client: TestClient, method: str, path: str, case: Case) -> object:
    url = path.format(**case.params(world))
    if method not in WRITES:
        return client.request(method, url, params=case.query)
    data = {"csrf_token": world.csrf(client), **case.form(world)}
    return client.request(method, url, params=case.query, data=data)


def order(case: Case) -> list[str]:
    """Refused roles first, so that their requests meet the state the table was written for."""
    return sorted(ROLES, key=lambda role: case.expect[role] not in REFUSED)


def check(web: WebWorld, clients: dict[str, TestClient], method: str, path: str) -> list[str]:
    """Every role's request to one route; what differs from the table (empty: all as written)."""
    case = TABLE[(method, path)]
    wrong = []
    for role in order(case):
        before = footprint(web)
        got = outcome(request(web, clients[role], method, path, case))
        if got != case.expect[role]:
            wrong.append(f"{method} {path} as {role}: expected {case.expect[role]}, got {got}")
        elif method in WRITES and got in REFUSED and not case.session_only:
            after = footprint(web)
            if after != before:
                wrong.append(f"{method} {path} as {role}: refused ({got}) yet wrote "
                             f"(audit events, outbox rows) {before} → {after}")
    return wrong


def logged_in(web: WebWorld) -> dict[str, TestClient]:
    # Everyone logs in first: failed logins (POST /login) lock the test client's address.
    return {role: web.client(role) for role in ROLES}


READS = sorted(key for key in ROUTES & TABLE.keys() if key[0] not in WRITES)
WRITE_ROUTES = sorted(key for key in ROUTES | TABLE.keys() if key[0] in WRITES)


def test_every_page_by_role(web: WebWorld) -> None:
    """The reads change nothing, so they share one world."""
    clients = logged_in(web)
    wrong = [line for method, path in READS for line in check(web, clients, method, path)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES,
                         ids=[f"{m} {p}" for m, p in WRITE_ROUTES])
def test_every_action_by_role(web: WebWorld, method: str, path: str) -> None:
    """Each state-changing route on a world of its own (refused roles first)."""
    assert (method, path) in TABLE, f"{method} {path} has no expectation in TABLE"
    assert (method, path) in ROUTES, f"{method} {path} is in TABLE but not served"
    wrong = check(web, logged_in(web), method, path)
    assert not wrong, "\n".join(wrong)
