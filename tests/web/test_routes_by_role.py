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


def directive_id(world: WebWorld) -> dict[str, str]:
    return {"directive_id": str(world.city.directive.id)}


INTAKE_TEXT = "市政府督查室：请市应急管理局于3月29日前完成全市危化品仓库安全检查。"


def intake_review(world: WebWorld) -> dict[str, str]:
    """The confirm form of :data:`INTAKE_TEXT` as the review page carries it."""
    from engine.intake.apply import analyse, result_json
    from tests.factories import operator
    from web.intake_view import digest
    from web.templating import ZONE

    with Session(world.engine) as session:
        result = analyse(session=session, actor=operator(), text=INTAKE_TEXT, ref_date=None)
        return {"text": INTAKE_TEXT, "digest": digest(result_json(result, ZONE))}


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
    # 来源: the list is the office's and leaders'; a tree is found by whoever sees a task in it
    ("GET", "/directives"): Case(roles(OK, fire=DENIED, housing=DENIED, emerg=DENIED)),
    ("GET", "/directives/new"): Case(roles(DENIED, office=OK)),
    ("POST", "/directives/new"): Case(roles(DENIED, office=MOVED), form=lambda w: {
        "kind": "meeting", "title": "防汛工作调度会", "issued_at": "2024-03-08T09:00"}),
    ("GET", "/directives/{directive_id}"): Case(roles(OK, emerg=HIDDEN), params=directive_id),
    ("POST", "/directives/{directive_id}/followup"): Case(
        roles(DENIED, office=MOVED, secretary=MOVED, vice_mayor=MOVED), params=directive_id,
        form=lambda w: {"parent": str(w.city.directive.id), "text": "请每周报告一次进展。",
                        "issued_at": "2024-03-11T09:00"}),
    ("GET", "/directives/{directive_id}/split"): Case(roles(DENIED, office=OK),
                                                      params=directive_id),
    ("POST", "/directives/{directive_id}/split"): Case(
        roles(DENIED, office=MOVED), params=directive_id,
        form=lambda w: {"title-0": "复查整改台账", "lead_unit-0": "消防", "due-0": "3月29日前",
                        "assign": "1"}),
    # 文件识别: the office's
    ("GET", "/intake"): Case(roles(DENIED, office=OK)),
    ("POST", "/intake"): Case(roles(DENIED, office=OK), form=lambda w: {"text": INTAKE_TEXT}),
    ("POST", "/intake/apply"): Case(roles(DENIED, office=OK), form=intake_review),
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
