"""Every route of the console × every role: allowed, refused (403), hidden (404) or sent to the
login page — one table, checked against the app's own route list.

The routes are enumerated from ``create_app(...).routes``: a route with no row in :data:`TABLE`
fails, and so does a row for a route that no longer exists; ``/tasks/{code}/{action}`` has a row
per action of ``web.task_forms.FORMS``, checked the same way. Reads share one world; every
state-changing row runs on a world of its own, refused roles first (on one target), then each
role that may act on a fresh target of its own (route_targets.py). A state-changing request that is refused, hidden or sent to the login page
must change nothing: the audit trail (every engine write appends to it) and the outbox are
compared before and after.

Outcomes: ``OK`` (200), ``DENIED`` (403), ``HIDDEN`` (404, the same page as a missing thing),
``LOGIN`` (303 to ``/login``), ``MOVED`` (303 anywhere else: a form that did its work), ``BAD``
(400: the form was refused with a message beside a field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from models import AuditEvent, OutboxMessage
from tests.web.conftest import PASSWORD, WebWorld
from tests.web.route_targets import task_in, task_with_file, web_invite
from web.app import create_app
from web.config import WebConfig
from web.task_forms import FORMS

OK, DENIED, HIDDEN, LOGIN, MOVED, BAD = "200", "403", "404", "login", "moved", "400"
LOGGED_IN = ("office", "secretary", "vice_mayor", "fire", "housing", "emerg")
ROLES = (*LOGGED_IN, "anon")
"""office 督查室; secretary 书记 (top leader, sees everything assigned); vice_mayor 分管副市长 of
the task's lead unit; fire the task's lead unit; housing a cooperating unit; emerg a unit with
no part in the task; anon nobody logged in."""

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSED = frozenset({DENIED, HIDDEN, LOGIN})
NEW_PASSWORD = "another-horse-42"

Params = Callable[[WebWorld], dict[str, str]]
Form = Callable[[WebWorld, dict[str, str]], dict[str, str]]


def roles(default: str, *, anon: str = LOGIN, **given: str) -> dict[str, str]:
    """The expectation of every role: ``default`` for each logged-in role not ``given``."""
    unknown = set(given) - set(LOGGED_IN)
    assert not unknown, f"unknown roles {unknown}"
    return {**{role: given.get(role, default) for role in LOGGED_IN}, "anon": anon}


def the_task(world: WebWorld) -> dict[str, str]:
    return {"code": world.task.code}


def fields(**values: str) -> Form:
    return lambda world, params: dict(values)


@dataclass(frozen=True)
class Case:
    expect: dict[str, str]
    params: Params = the_task
    """Path parameters (extra keys may feed ``form``): called once for the roles that must
    change nothing, and anew for every role whose request may change something."""
    form: Form = fields()
    """Form fields of a state-changing request (``csrf_token`` is added)."""
    session_only: bool = False
    """Changes only the caller's session or password (login, logout): not checked for writes."""
    query: dict[str, str] = field(default_factory=dict)


def task_in_state(state: str, action: str | None = None) -> Params:
    def params(world: WebWorld) -> dict[str, str]:
        task, request_id = task_in(world, state)
        found = {"code": task.code, "request_id": str(request_id or "")}
        return {**found, "action": action} if action else found
    return params


def file_params(world: WebWorld) -> dict[str, str]:
    task, sha256 = task_with_file(world)
    return {"code": task.code, "sha256": sha256}


OFFICE_ONLY = roles(DENIED, office=MOVED, emerg=HIDDEN)
UNIT_ONLY = roles(DENIED, fire=MOVED, housing=MOVED, emerg=HIDDEN)
LEAD_UNIT_ONLY = roles(DENIED, fire=MOVED, emerg=HIDDEN)

ACTIONS: dict[str, tuple[str, dict[str, str], Form]] = {
    # action: (the task's state, who may, the form)
    "acknowledge": ("assigned", UNIT_ONLY, fields()),
    "report_progress": ("acknowledged", UNIT_ONLY, fields(text="已排查30处", achieved="30")),
    "request_completion": ("acknowledged", LEAD_UNIT_ONLY, fields(evidence="已完成整改")),
    "request_extension": ("acknowledged", LEAD_UNIT_ONLY,
                          fields(new_due="4月30日前", reason="需协调多个部门")),
    # A draft is the office's alone: nobody else even sees it.
    "assign": ("draft", roles(HIDDEN, office=MOVED), fields()),
    "verify": ("pending_review", OFFICE_ONLY, fields(rating="合格", note="材料齐全")),
    "return": ("pending_review", OFFICE_ONLY, fields(reason="材料不全")),
    "approve_extension": ("extension", OFFICE_ONLY,
                          lambda w, p: {"note": "同意", "request_id": p["request_id"]}),
    "reject_extension": ("extension", OFFICE_ONLY,
                         lambda w, p: {"note": "不同意", "request_id": p["request_id"]}),
    "recheck": ("closed", OFFICE_ONLY, fields(note="已复查", result="passed")),
    "cancel": ("assigned", OFFICE_ONLY, fields(reason="重复交办")),
    # 跟批: the leaders in whose scope the task is, and the office recording one for them.
    "followup": ("assigned", roles(DENIED, office=MOVED, secretary=MOVED, vice_mayor=MOVED,
                                   emerg=HIDDEN), fields(title="跟批", text="请抓紧落实")),
}
"""Each action the task page posts (``/tasks/{code}/{action}``)."""


def invite(world: WebWorld) -> dict[str, str]:
    return {"token": web_invite(world)}


TABLE: dict[tuple[str, str], Case | dict[str, Case]] = {
    # auth and account
    ("GET", "/login"): Case(roles(MOVED, anon=OK)),
    ("POST", "/login"): Case(roles(BAD, anon=BAD), session_only=True,
                             form=fields(name="无此人", password="wrong-password-1")),
    ("POST", "/logout"): Case(roles(LOGIN, anon=LOGIN), session_only=True),
    # The invite is the credential: whoever holds the link may choose the password.
    ("GET", "/invite/{token}"): Case(roles(OK, anon=OK), params=invite),
    ("POST", "/invite/{token}"): Case(roles(MOVED, anon=MOVED), params=invite, session_only=True,
                                      form=fields(password=NEW_PASSWORD, password2=NEW_PASSWORD)),
    ("GET", "/account/password"): Case(roles(OK)),
    ("POST", "/account/password"): Case(roles(OK), form=fields(
        old_password=PASSWORD, new_password=NEW_PASSWORD, new_password2=NEW_PASSWORD)),
    # 首页
    ("GET", "/"): Case(roles(OK)),
    # 事项详情
    ("GET", "/tasks/{code}"): Case(roles(OK, emerg=HIDDEN)),
    ("GET", "/tasks/{code}/files/{sha256}"): Case(roles(OK, emerg=HIDDEN), params=file_params),
    ("POST", "/tasks/{code}/{action}"): {
        action: Case(expect, params=task_in_state(state, action), form=form)
        for action, (state, expect, form) in ACTIONS.items()},
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
    assert set(ACTIONS) == set(FORMS), "every action of the task page needs a row in ACTIONS"
    for key, entry in TABLE.items():
        for case in entry.values() if isinstance(entry, dict) else [entry]:
            assert set(case.expect) == set(ROLES), f"{key}: every role needs an expectation"


def outcome(answer: Any) -> str:
    if answer.status_code in (302, 303, 307):
        target = urlsplit(answer.headers.get("location", "")).path
        return LOGIN if target == "/login" else MOVED
    return str(answer.status_code)


def footprint(world: WebWorld) -> tuple[int, int]:
    """What any engine write leaves behind: audit events and queued messages."""
    with Session(world.engine) as session:
        events = session.exec(select(func.count()).select_from(AuditEvent)).one()
        messages = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    return int(events), int(messages)


def order(case: Case) -> list[str]:
    """Refused roles first, so that their requests meet the state the table was written for."""
    return sorted(ROLES, key=lambda role: case.expect[role] not in REFUSED)


def check(web: WebWorld, clients: dict[str, TestClient], method: str, path: str,
          case: Case, name: str = "") -> list[str]:
    """Every role's request to one route; what differs from the table (empty: all as written)."""
    wrong = []
    label = f"{method} {path}{f' [{name}]' if name else ''}"
    shared: dict[str, str] | None = None
    for role in order(case):
        # A request that must change nothing may meet the target the previous one met; one that
        # may change it gets a fresh one.
        fresh = method in WRITES and case.expect[role] not in REFUSED
        params = case.params(web) if fresh or shared is None else shared
        shared = shared if fresh else params
        url = path.format(**params)
        data = ({"csrf_token": web.csrf(clients[role]), **case.form(web, params)}
                if method in WRITES else None)
        before = footprint(web)
        got = outcome(clients[role].request(method, url, params=case.query, data=data))
        if got != case.expect[role]:
            wrong.append(f"{label} as {role}: expected {case.expect[role]}, got {got}")
        elif method in WRITES and got in REFUSED and not case.session_only:
            after = footprint(web)
            if after != before:
                wrong.append(f"{label} as {role}: refused ({got}) yet wrote "
                             f"(audit events, outbox rows) {before} → {after}")
    return wrong


def logged_in(web: WebWorld) -> dict[str, TestClient]:
    # Everyone logs in first: failed logins (POST /login) lock the test client's address.
    return {role: web.client(role) for role in ROLES}


def variants(key: tuple[str, str]) -> list[tuple[str, Case]]:
    entry = TABLE.get(key)
    if entry is None:
        return []
    return sorted(entry.items()) if isinstance(entry, dict) else [("", entry)]


READS = sorted(key for key in ROUTES & TABLE.keys() if key[0] not in WRITES)
WRITE_CASES = sorted({(m, p, name) for m, p in ROUTES | TABLE.keys() if m in WRITES
                      for name in [n for n, _ in variants((m, p))] or [""]})


def test_every_page_by_role(web: WebWorld) -> None:
    """The reads change nothing, so they share one world."""
    clients = logged_in(web)
    wrong = [line for method, path in READS for name, case in variants((method, path))
             for line in check(web, clients, method, path, case, name)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("method", "path", "name"), WRITE_CASES,
                         ids=[f"{m} {p}{f' {n}' if n else ''}" for m, p, n in WRITE_CASES])
def test_every_action_by_role(web: WebWorld, method: str, path: str, name: str) -> None:
    """Each state-changing row on a world of its own."""
    assert (method, path) in TABLE, f"{method} {path} has no expectation in TABLE"
    assert (method, path) in ROUTES, f"{method} {path} is in TABLE but not served"
    case = dict(variants((method, path)))[name]
    wrong = check(web, logged_in(web), method, path, case, name)
    assert not wrong, "\n".join(wrong)
