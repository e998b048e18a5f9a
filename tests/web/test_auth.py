"""登录 / 退出, invites and password changes through the pages: one message for a wrong name or
password, the lockout holds, a tampered or expired cookie is logged out, a password change ends
the other sessions, an invite works once, and no form works without its CSRF token."""

from __future__ import annotations

import json
import logging
import re
from base64 import b64encode
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from itsdangerous import TimestampSigner
from sqlmodel import Session, col, select

from engine.org.accounts import create_web_invite
from engine.org.login import WRONG
from models import LoginAttempt, WebAccount, WebInvite
from tests.factories import operator
from tests.web.conftest import PASSWORD, WebWorld
from web.app import create_app
from web.config import SESSION_MAX_AGE, WebConfig

SECRET = "auth-test-secret-" + "y" * 32
NEW_PASSWORD = "换一个新密码2024"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """The console's clock, moved by the test (a simulation database)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(web: WebWorld) -> Clock:
    return Clock(web.now)


@pytest.fixture
def app(web: WebWorld, clock: Clock) -> FastAPI:
    """The console on the world's database with a clock the test moves."""
    return create_app(WebConfig(database_url="unused://", secret_key=SECRET, clock=clock),
                      engine=web.engine)


def _client(app: FastAPI, address: str = "10.0.0.1") -> TestClient:
    return TestClient(app, base_url="http://testserver", raise_server_exceptions=False,
                      follow_redirects=False, client=(address, 40000))


def _token(client: TestClient, path: str = "/login") -> str:
    """The session's CSRF token, from ``path`` (or, logged in, from the password page)."""
    found = _TOKEN.search(client.get(path).text) or _TOKEN.search(
        client.get("/account/password").text)
    assert found is not None, path
    return found.group(1)


def _login(client: TestClient, name: str, password: str = PASSWORD) -> Response:
    return client.post("/login", data={"csrf_token": _token(client), "name": name,
                                       "password": password, "next": "/"})


def _logged_in(client: TestClient) -> bool:
    answer = client.get("/")
    assert answer.status_code in (200, 303)
    return answer.status_code == 200


def test_the_login_page_and_one_message_for_any_wrong_pair(web: WebWorld, app: FastAPI) -> None:
    client = _client(app)
    page = client.get("/login").text
    assert ">姓名</label>" in page and ">密码</label>" in page and ">登录</button>" in page
    texts = []
    for name, password in (("张联络", "不是这个密码哦123"), ("查无此人", PASSWORD),
                           ("张联络@EMERG", PASSWORD), ("张联络\x00", PASSWORD)):
        answer = _login(client, name, password)
        assert answer.status_code == 400
        texts.append(re.sub(r'value="[^"]*"', "", answer.text))
        assert WRONG in answer.text
    assert not _logged_in(client)
    answer = _login(client, "张联络")
    assert answer.status_code == 303 and _logged_in(client)


def test_the_lockout_holds_through_the_form(web: WebWorld, app: FastAPI, clock: Clock) -> None:
    attacker = _client(app, "203.0.113.9")
    for i in range(5):
        clock.now = web.now + timedelta(minutes=i)
        assert _login(attacker, "张联络", f"猜测的密码{i:06d}").status_code == 400
    clock.now = web.now + timedelta(minutes=5)
    # The right password is refused too, from that address and for that name from another one.
    for client in (attacker, _client(app, "198.51.100.7")):
        answer = _login(client, "张联络")
        assert answer.status_code == 400
        assert "已被暂时锁定" in answer.text and "分钟后再试" in answer.text
        assert not _logged_in(client)
    # The address is locked for other names as well; another person elsewhere is not.
    assert "已被暂时锁定" in _login(attacker, "刘住建").text
    assert _login(_client(app, "198.51.100.8"), "刘住建").status_code == 303
    # Fifteen minutes after the fifth failure the lock is over.
    clock.now = web.now + timedelta(minutes=4 + 15)
    late = _client(app, "198.51.100.9")
    assert _login(late, "张联络").status_code == 303 and _logged_in(late)
    with Session(web.engine) as session:
        failures = session.exec(select(LoginAttempt).where(~col(LoginAttempt.succeeded))).all()
    assert len(failures) == 5  # the refused-by-lock attempts were not counted


def _cookie(session: dict[str, object], *, age: int) -> str:
    """A session cookie as the middleware would have signed it ``age`` seconds ago."""
    signer = TimestampSigner(SECRET)
    signed_at = int(datetime.now().timestamp()) - age
    signer.get_timestamp = lambda: signed_at  # type: ignore[method-assign]
    return signer.sign(b64encode(json.dumps(session).encode())).decode()


def test_a_tampered_or_expired_cookie_is_logged_out(web: WebWorld, app: FastAPI) -> None:
    person_id = web.city.fire_contact.id
    fresh = _client(app)
    fresh.cookies.set("duban_session", _cookie({"pid": person_id, "ver": 1}, age=60))
    assert _logged_in(fresh)  # the forged-with-the-key cookie is well formed
    expired = _client(app)
    expired.cookies.set("duban_session",
                        _cookie({"pid": person_id, "ver": 1}, age=SESSION_MAX_AGE + 60))
    assert not _logged_in(expired)
    tampered = _client(app)
    good = _cookie({"pid": person_id, "ver": 1}, age=60)
    payload, _, rest = good.partition(".")
    other = b64encode(json.dumps({"pid": web.city.office.id, "ver": 1}).encode()).decode()
    tampered.cookies.set("duban_session", f"{other}.{rest}")
    assert not _logged_in(tampered)
    wrong_key = _client(app)
    wrong_key.cookies.set("duban_session", TimestampSigner("another-key").sign(
        payload.encode()).decode())
    assert not _logged_in(wrong_key)


def _change(client: TestClient, old: str, new: str, again: str | None = None,
            token: str | None | bool = None) -> Response:
    data = {"old_password": old, "new_password": new, "new_password2": again or new}
    if token is not False:  # False: send no token at all
        data["csrf_token"] = token if isinstance(token, str) else _token(client, "/account/password")
    return client.post("/account/password", data=data)


def test_a_password_change_ends_the_other_sessions(web: WebWorld, app: FastAPI) -> None:
    here, elsewhere = _client(app, "10.0.0.1"), _client(app, "10.0.0.2")
    for client in (here, elsewhere):
        assert _login(client, "张联络").status_code == 303
    page = here.get("/account/password")
    assert page.status_code == 200 and "原密码" in page.text and "no-store" in page.headers[
        "cache-control"]
    refusals = [((PASSWORD, NEW_PASSWORD, "另外一个不同的密码"), "new_password2", "不一致"),
                (("猜错的原密码000", NEW_PASSWORD, None), "old_password", "原密码不正确"),
                ((PASSWORD, "太短了", None), "new_password", "至少需要 10 个字符"),
                ((PASSWORD, PASSWORD, None), "new_password", "不能与原密码相同")]
    for (old, new, again), field, message in refusals:
        answer = _change(here, old, new, again)
        assert answer.status_code == 400, (field, answer.text)
        assert message in answer.text
    with Session(web.engine) as session:
        account = session.exec(select(WebAccount).where(
            WebAccount.person_id == web.city.fire_contact.id)).one()
        assert account.session_version == 1
    answer = _change(here, PASSWORD, NEW_PASSWORD)
    assert answer.status_code == 200 and "密码已修改" in answer.text
    assert _logged_in(here) and not _logged_in(elsewhere)
    assert _login(_client(app, "10.0.0.3"), "张联络").status_code == 400
    assert _login(_client(app, "10.0.0.4"), "张联络", NEW_PASSWORD).status_code == 303


def _invite(web: WebWorld) -> str:
    with Session(web.engine) as session:
        return create_web_invite(session=session, actor=operator(), person=web.city.fire_head.id or 0,
                                 now=web.now)


def test_an_invite_sets_a_password_once(web: WebWorld, app: FastAPI) -> None:
    token = _invite(web)
    client = _client(app)
    page = client.get(f"/invite/{token}")
    assert page.status_code == 200 and "陈支队" in page.text and "no-store" in page.headers[
        "cache-control"]
    csrf = _TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
    answer = client.post(f"/invite/{token}", data={"csrf_token": csrf, "password": NEW_PASSWORD,
                                                   "password2": "不一样的第二次输入"})
    assert answer.status_code == 400 and "不一致" in answer.text
    answer = client.post(f"/invite/{token}", data={"csrf_token": csrf, "password": "短",
                                                   "password2": "短"})
    assert answer.status_code == 400 and "至少需要 10 个字符" in answer.text
    answer = client.post(f"/invite/{token}", data={"csrf_token": csrf, "password": NEW_PASSWORD,
                                                   "password2": NEW_PASSWORD})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert _logged_in(client)  # the invite logs its person in
    for second in (_client(app, "10.0.0.9"), client):
        assert second.get(f"/invite/{token}").status_code == 409
        answer = second.post(f"/invite/{token}", data={
            "csrf_token": _token(second), "password": "再来一次的新密码", "password2": "再来一次的新密码"})
        assert answer.status_code == 409 and "已经使用过" in answer.text
    assert _login(_client(app, "10.0.0.8"), "陈支队", NEW_PASSWORD).status_code == 303
    assert _client(app).get("/invite/no-such-token").status_code == 404


def test_no_form_works_without_its_csrf_token(web: WebWorld, app: FastAPI) -> None:
    client = _client(app)
    assert _login(client, "张联络").status_code == 303
    answer = _change(client, PASSWORD, NEW_PASSWORD, token=False)
    assert answer.status_code == 403 and "安全令牌" in answer.text
    assert _change(client, PASSWORD, NEW_PASSWORD, token="forged").status_code == 403
    token = _invite(web)
    answer = _client(app).post(f"/invite/{token}", data={"password": NEW_PASSWORD,
                                                         "password2": NEW_PASSWORD})
    assert answer.status_code == 403
    assert client.post("/logout").status_code == 403 and _logged_in(client)
    with Session(web.engine) as session:
        assert session.exec(select(WebInvite)).one().used_at is None
        assert all(a.session_version == 1 for a in session.exec(select(WebAccount)).all())
    # With the token, 退出 ends the session.
    answer = client.post("/logout", data={"csrf_token": _token(client, "/account/password")})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert not _logged_in(client)
    assert client.get("/account/password").status_code == 303


def test_passwords_are_never_logged_or_stored_in_clear(
        web: WebWorld, app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    """Every form that carries a password — a wrong and a right login, a change, an invite —
    leaves it in no log record (at any level, any logger) and in no column of any table."""
    from tests.engine.tasks.test_lifecycle import dump_db

    guess, chosen = "猜一个错误的密码-7731", "邀请后自选的密码-5519"
    caplog.set_level(logging.DEBUG)
    client = _client(app)
    assert _login(client, "张联络", guess).status_code == 400
    assert _login(client, "查无此人", guess).status_code == 400
    assert _login(client, "张联络").status_code == 303
    assert _change(client, PASSWORD, NEW_PASSWORD).status_code == 200
    token = _invite(web)
    invited = _client(app, "10.0.0.5")
    answer = invited.post(f"/invite/{token}", data={
        "csrf_token": _token(invited), "password": chosen, "password2": chosen})
    assert answer.status_code == 303
    secrets_ = (guess, PASSWORD, NEW_PASSWORD, chosen)
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert not [s for s in secrets_ if s in logged], logged
    with Session(web.engine) as session:
        stored = json.dumps(dump_db(session), default=str, ensure_ascii=False)
    assert not [s for s in secrets_ if s in stored]
