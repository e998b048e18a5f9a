"""Every route of the console × every role: allowed, refused (403), hidden (404) or sent to the
login page — one table, checked against the app's own route list.

The routes are enumerated from ``create_app(...).routes``: a route with no row in :data:`TABLE`
fails, and so does a row for a route that no longer exists; ``/tasks/{code}/{action}`` has a row
per action of ``web.task_forms.FORMS``, checked the same way. Reads share one world; every
state-changing row runs on a world of its own, refused roles first (on one target), then each
role that may act on a fresh target of its own (route_targets.py). A state-changing request that is refused, hidden or sent to the login page
must change nothing: the audit trail (every engine write appends to it) and the outbox are
compared before and after. One that succeeds must be audited, every event it wrote with the
web channel and the client's address.

Outcomes: ``OK`` (200), ``DENIED`` (403), ``HIDDEN`` (404, the same page as a missing thing),
``LOGIN`` (303 to ``/login``), ``MOVED`` (303 anywhere else: a form that did its work), ``BAD``
(400: the form was refused with a message beside a field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select

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


def directive_id(world: WebWorld) -> dict[str, str]:
    return {"directive_id": str(world.city.directive.id)}


INTAKE_TEXT = "市政府督查室：请市应急管理局于3月29日前完成全市危化品仓库安全检查。"


def intake_review(world: WebWorld, params: dict[str, str]) -> dict[str, str]:
    """The confirm form of :data:`INTAKE_TEXT` as the review page carries it."""
    from engine.intake.apply import analyse, result_json
    from tests.factories import operator
    from web.intake_view import digest
    from web.templating import ZONE

    with Session(world.engine) as session:
        result = analyse(session=session, actor=operator(), text=INTAKE_TEXT, ref_date=None)
        return {"text": INTAKE_TEXT, "digest": digest(result_json(result, ZONE))}
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
    params: Params = the_task
    """Path parameters (extra keys may feed ``form``): called once for the roles that must
    change nothing, and anew for every role whose request may change something."""
    form: Form = fields()
    """Form fields of a state-changing request (``csrf_token`` is added)."""
    session_only: bool = False
    """Changes only the caller's session or password (login, logout): not checked for writes."""
    query: dict[str, str] = field(default_factory=dict)
    audited: bool = True
    """A state-changing request that succeeds leaves at least one audit event (False: it only
    reads, as an export or the review of a document does)."""


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
    # 督办台账
    ("GET", "/tasks"): Case(roles(OK)),
    ("GET", "/tasks/export.xlsx"): Case(roles(OK)),
    ("POST", "/tasks/bulk"): {
        # 批量催办 is the office's; the export of chosen rows holds only what the reader sees.
        "urge": Case(roles(DENIED, office=OK), form=lambda w, p: {
            "action": "urge", "code": p["code"], "note": "请抓紧办理"}),
        "export": Case(roles(OK), form=lambda w, p: {"action": "export", "code": p["code"]},
                       audited=False),
    },
    # 事项详情
    ("GET", "/tasks/{code}"): Case(roles(OK, emerg=HIDDEN)),
    ("GET", "/tasks/{code}/files/{sha256}"): Case(roles(OK, emerg=HIDDEN), params=file_params),
    ("POST", "/tasks/{code}/{action}"): {
        action: Case(expect, params=task_in_state(state, action), form=form)
        for action, (state, expect, form) in ACTIONS.items()},
    # 来源: the list is the office's and leaders'; a tree is found by whoever sees a task in it
    ("GET", "/directives"): Case(roles(OK, fire=DENIED, housing=DENIED, emerg=DENIED)),
    ("GET", "/directives/new"): Case(roles(DENIED, office=OK)),
    ("POST", "/directives/new"): Case(roles(DENIED, office=MOVED), form=fields(
        kind="meeting", title="防汛工作调度会", issued_at="2024-03-08T09:00")),
    ("GET", "/directives/{directive_id}"): Case(roles(OK, emerg=HIDDEN), params=directive_id),
    ("POST", "/directives/{directive_id}/followup"): Case(
        roles(DENIED, office=MOVED, secretary=MOVED, vice_mayor=MOVED), params=directive_id,
        form=lambda w, p: {"parent": p["directive_id"], "text": "请每周报告一次进展。",
                           "issued_at": "2024-03-11T09:00"}),
    ("GET", "/directives/{directive_id}/split"): Case(roles(DENIED, office=OK),
                                                      params=directive_id),
    ("POST", "/directives/{directive_id}/split"): Case(
        roles(DENIED, office=MOVED), params=directive_id,
        form=lambda w, p: {"title-0": "复查整改台账", "lead_unit-0": "消防",
                           "due-0": "3月29日前", "assign": "1"}),
    # 文件识别: the office's
    ("GET", "/intake"): Case(roles(DENIED, office=OK)),
    ("POST", "/intake"): Case(roles(DENIED, office=OK), form=fields(text=INTAKE_TEXT),
                              audited=False),  # the review: nothing is stored yet
    ("POST", "/intake/apply"): Case(roles(DENIED, office=OK), form=intake_review),
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
    # No dead letter in this world: nothing to retry, nothing to audit (test_outbox retries).
    ("POST", "/outbox/requeue"): Case(roles(DENIED, office=MOVED), form=fields(every="1"),
                                      audited=False),
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


def newest_event_id(world: WebWorld) -> int:
    with Session(world.engine) as session:
        newest = session.exec(select(func.max(AuditEvent.id))).one()
    return int(newest or 0)


def unlike_the_web(world: WebWorld, after_id: int, audited: bool) -> list[str]:
    """How the audit events written since ``after_id`` fail the rule that every action on the
    console is audited with the web channel and the client's address (TestClient's address is
    ``testclient``); an action that must be audited and wrote no event fails it too."""
    with Session(world.engine) as session:
        events = session.exec(select(AuditEvent).where(col(AuditEvent.id) > after_id)).all()
    if audited and not events:
        return ["nothing (no audit event)"]
    return [f"{event.action} with channel {event.channel!r}, client {event.client!r}"
            for event in events if (event.channel, event.client) != ("web", "testclient")]


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
        last_event = newest_event_id(web)
        got = outcome(clients[role].request(method, url, params=case.query, data=data))
        if got != case.expect[role]:
            wrong.append(f"{label} as {role}: expected {case.expect[role]}, got {got}")
        elif method in WRITES and got in (OK, MOVED):
            wrong += [f"{label} as {role}: audited {line}" for line in
                      unlike_the_web(web, last_event, case.audited)]
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
