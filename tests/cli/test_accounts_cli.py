"""``duban person set-password`` and ``duban person invite --web`` on both backends."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from config.settings import reset_settings
from engine.errors import AuthenticationFailed, Conflict
from engine.org.accounts import accept_web_invite
from engine.org.login import authenticate
from engine.store.db import make_engine
from tests.cli import assert_refused, db_url, dump, invoke  # noqa: F401  (fixture)

PASSWORD = "命令行设置的密码123"


@pytest.fixture
def url(capsys: pytest.CaptureFixture[str], db_url: str,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> str:
    """An initialised database with an office clerk and two unit people."""
    monkeypatch.delenv("DUBAN_PUBLIC_URL", raising=False)
    reset_settings()
    for args in (["init", "--simulation"], ["unit", "add", "FIRE", "市消防救援支队"],
                 ["person", "add", "赵督查", "--role", "office"],
                 ["person", "add", "张联络", "--role", "unit_contact", "--unit", "FIRE"],
                 ["person", "add", "陈支队", "--role", "unit_head", "--unit", "FIRE"]):
        assert invoke(capsys, db_url, *args).code == 0, args
    return db_url


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def _login(url: str, name: str, password: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return authenticate(session=session, name=name, password=password, client="cli-test",
                                now=datetime.now(UTC)).session_version
    finally:
        engine.dispose()


def test_set_password_from_stdin(capsys: pytest.CaptureFixture[str], url: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, PASSWORD + "\r\n")
    result = invoke(capsys, url, "person", "set-password", "张联络", "--password-stdin",
                    "--as", "赵督查", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"person": "张联络", "session_version": 1}
    assert PASSWORD not in json.dumps(dump(url), default=str, ensure_ascii=False)
    assert _login(url, "张联络", PASSWORD) == 1
    people = {p["name"]: p for p in json.loads(invoke(capsys, url, "person", "list", "--json").out)}
    assert people["张联络"]["web_account"] is True and people["陈支队"]["web_account"] is False
    assert "已开通" in invoke(capsys, url, "person", "list").out
    _stdin(monkeypatch, "另一个足够长的密码abc\n")
    result = invoke(capsys, url, "person", "set-password", "张联络", "--password-stdin")
    assert result.code == 0 and "会话均已失效" in result.out
    assert _login(url, "张联络@FIRE", "另一个足够长的密码abc") == 2
    with pytest.raises(AuthenticationFailed):
        _login(url, "张联络", PASSWORD)


@pytest.mark.parametrize(("stdin", "args", "fragment"), [
    (PASSWORD, ["--as", "陈支队"], "只有督查室可以设置他人的网页登录密码"),
    ("短", [], "至少需要 10 个字符"),
    ("", [], "未从标准输入读到密码"),
    (PASSWORD, ["--as", "无名氏"], "未找到人员"),
])
def test_set_password_refusals_change_nothing(capsys: pytest.CaptureFixture[str], url: str,
                                              monkeypatch: pytest.MonkeyPatch, stdin: str,
                                              args: list[str], fragment: str) -> None:
    before = dump(url)
    _stdin(monkeypatch, stdin)
    result = invoke(capsys, url, "person", "set-password", "张联络", "--password-stdin", *args)
    assert_refused(result, 1, fragment)
    assert dump(url) == before


def test_set_password_needs_a_terminal_or_stdin(capsys: pytest.CaptureFixture[str], url: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")  # not a terminal, and --password-stdin not given
    assert_refused(invoke(capsys, url, "person", "set-password", "张联络"), 1, "--password-stdin")


def test_web_invite_prints_a_link_that_works_once(capsys: pytest.CaptureFixture[str], url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(capsys, url, "person", "invite", "陈支队", "--web")
    assert result.code == 0, result.err
    link = next(line for line in result.out.splitlines() if "/invite/" in line).strip()
    assert link.startswith("http://127.0.0.1:8000/invite/")
    monkeypatch.setenv("DUBAN_PUBLIC_URL", "https://duban.example.gov.cn/")
    reset_settings()
    data = json.loads(invoke(capsys, url, "person", "invite", "陈支队", "--web", "--json").out)
    assert data["person"] == "陈支队" and data["expires_at"].endswith("+08:00")
    assert data["link"].startswith("https://duban.example.gov.cn/invite/")
    token = data["link"].rsplit("/", 1)[1]
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            now = datetime.now(UTC)
            accept_web_invite(session=session, token=token, password=PASSWORD, now=now,
                              client="10.0.0.1", wall_clock=now)
            with pytest.raises(Conflict):
                accept_web_invite(session=session, token=token, password=PASSWORD, now=now,
                                  client="10.0.0.1", wall_clock=now)
    finally:
        engine.dispose()
    assert _login(url, "陈支队", PASSWORD) == 1
    # Without --web the Telegram binding code is unchanged; a unit person issues neither.
    assert len(json.loads(invoke(capsys, url, "person", "invite", "陈支队", "--json").out)["code"]) == 9
    before = dump(url)
    assert_refused(invoke(capsys, url, "person", "invite", "陈支队", "--web", "--as", "张联络"), 1,
                   "只有督查室可以生成网页登录邀请链接")
    assert dump(url) == before
