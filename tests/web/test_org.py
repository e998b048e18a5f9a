"""组织 (/org, /org/policy): units, people, roles and channels, one-time Telegram codes and web
password links for the office; the policy read only; everyone else refused; CSRF required;
bad input is a Chinese 400 page."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from engine.org.accounts import check_web_invite
from engine.org.binding import code_hash
from models import BindingCode, Person, WebInvite
from tests.web.conftest import WebWorld
from tests.web.reports_support import audit_count, last_event
from web.app import create_app

CODE = re.compile(r"/bind ([A-Z2-9]{4}-[A-Z2-9]{4})")
LINK = re.compile(r"(http://[^<\s\"]+/invite/([A-Za-z0-9_-]{40,}))")


def _rows(web: WebWorld) -> tuple[int, int]:
    with Session(web.engine) as session:
        return (len(session.exec(select(BindingCode.id)).all()),
                len(session.exec(select(WebInvite.id)).all()))


def test_the_office_sees_units_people_roles_and_channels(web: WebWorld) -> None:
    with Session(web.engine) as session:
        person = session.get(Person, web.city.emerg_contact.id)
        assert person is not None
        person.channels = ["mailto://clerk:s3cret-pass@mail.example.gov.cn",
                           "dingtalk://token-abc123"]
        person.email = "sun@example.gov.cn"
        session.add(person)
        session.commit()
    page = web.client("office").get("/org")
    assert page.status_code == 200
    for name in ("市消防救援支队", "市住房和城乡建设局", "市应急管理局", "东城区", "县区"):
        assert name in page.text
    for person in (web.city.office, web.city.secretary, web.city.fire_head):
        assert person.name in page.text
    assert "督查室" in page.text and "单位联络员" in page.text and "（主要领导）" in page.text
    assert "分管：市消防救援支队、市应急管理局" in page.text or "分管：市应急管理局、市消防救援支队" in page.text
    assert "已绑定" in page.text and "已设置密码" in page.text
    assert "mailto、dingtalk" in page.text and "sun@example.gov.cn" in page.text
    assert "s3cret" not in page.text and "token-abc123" not in page.text


def test_the_policy_is_shown_read_only(web: WebWorld) -> None:
    page = web.client("office").get("/org/policy")
    assert page.status_code == 200
    assert "Asia/Shanghai" in page.text and "22:00–07:00" in page.text
    assert "特急" in page.text and "15:00" in page.text
    assert "<form method=\"post\"" not in page.text.split("<main")[1]


@pytest.mark.parametrize("role", ["secretary", "vice_mayor", "fire", "fire_head", "housing",
                                  "emerg"])
def test_everyone_but_the_office_is_refused(web: WebWorld, role: str) -> None:
    client = web.client(role)
    for path in ("/org", "/org/policy"):
        answer = client.get(path)
        assert answer.status_code in (403, 404), path
        assert "只有督查室" in answer.text and web.city.office.name not in answer.text.split(
            "<main")[1]
    before, events = _rows(web), audit_count(web)
    target = web.city.emerg_contact.id
    for action in ("telegram-code", "web-invite"):
        answer = client.post(f"/org/people/{target}/{action}", data={"csrf_token": web.csrf(client)})
        assert answer.status_code in (403, 404)
        assert not CODE.search(answer.text) and "/invite/" not in answer.text
    assert _rows(web) == before and audit_count(web) == events


def test_anonymous_visitors_are_sent_to_log_in(web: WebWorld) -> None:
    assert web.client("anon").get("/org").status_code == 303
    assert web.client("anon").get("/org/policy").status_code == 303


def _issued_once(web: WebWorld, person: Person, action: str, shown: re.Pattern[str]
                 ) -> tuple[TestClient, re.Match[str] | None]:
    """The office issues ``action`` for ``person``: the page shows it once and is not cached."""
    client = web.client("office")
    answer = client.post(f"/org/people/{person.id}/{action}", data={"csrf_token": web.csrf(client)})
    assert answer.status_code == 200 and "只显示这一次" in answer.text
    assert "no-store" in answer.headers["cache-control"]
    return client, shown.search(answer.text)


def test_a_telegram_code_is_shown_once_and_audited(web: WebWorld) -> None:
    target = web.city.emerg_contact
    client, found = _issued_once(web, target, "telegram-code", CODE)
    assert found is not None
    code = found.group(1)
    with Session(web.engine) as session:
        row = session.exec(select(BindingCode).where(BindingCode.person_id == target.id)).one()
        assert row.code_hash == code_hash(code) and row.used_at is None
    event = last_event(web, "invite")
    assert event is not None and event.channel == "web" and event.client == "testclient"
    assert event.entity_id == target.id and code not in str(event.after)
    listing = client.get("/org").text
    assert "绑定码待使用" in listing and code not in listing


def test_a_web_password_link_is_shown_once_and_works(web: WebWorld) -> None:
    target = web.city.fire_head
    client, found = _issued_once(web, target, "web-invite", LINK)
    assert found is not None and found.group(1).startswith("http://testserver/invite/")
    with Session(web.engine) as session:
        assert check_web_invite(session=session, token=found.group(2), now=web.now).id == target.id
    event = last_event(web, "web_invite")
    assert event is not None and event.channel == "web" and event.entity_id == target.id
    assert "登录链接待使用" in client.get("/org").text


def test_the_link_uses_the_public_address_when_one_is_set(web: WebWorld) -> None:
    config = replace(web.app.state.config,  # type: ignore[attr-defined]
                     public_url="http://duban.example.gov.cn:8080/")
    public = replace(web, app=create_app(config, engine=web.engine), clients={})
    client = public.client("office")
    answer = client.post(f"/org/people/{web.city.housing_contact.id}/web-invite",
                         data={"csrf_token": public.csrf(client)})
    assert answer.status_code == 200
    assert "http://duban.example.gov.cn:8080/invite/" in answer.text
    assert "testserver/invite" not in answer.text
    client.close()


@pytest.mark.parametrize("token", [None, "forged"])
def test_issuing_without_the_csrf_token_changes_nothing(web: WebWorld, token: str | None) -> None:
    client = web.client("office")
    before, events = _rows(web), audit_count(web)
    data = {} if token is None else {"csrf_token": token}
    for action in ("telegram-code", "web-invite"):
        answer = client.post(f"/org/people/{web.city.emerg_contact.id}/{action}", data=data)
        assert answer.status_code == 403 and "安全令牌" in answer.text
    assert _rows(web) == before and audit_count(web) == events


@pytest.mark.parametrize(("person", "status"), [("abc", 400), ("1%0A", 400), (" 1", 400),
                                                ("-1", 400), ("9" * 30, 400), ("999999", 404),
                                                ("9" * 19, 404)])
def test_a_bad_person_is_a_chinese_error_page(web: WebWorld, person: str, status: int) -> None:
    client = web.client("office")
    before = _rows(web)
    for action in ("telegram-code", "web-invite"):
        answer = client.post(f"/org/people/{person}/{action}", data={"csrf_token": web.csrf(client)})
        assert answer.status_code == status, (person, answer.text)
        assert "Traceback" not in answer.text
    assert _rows(web) == before


def test_no_codes_for_an_inactive_person(web: WebWorld) -> None:
    with Session(web.engine) as session:
        person = session.get(Person, web.city.emerg_contact.id)
        assert person is not None
        person.active = False
        session.add(person)
        session.commit()
    client = web.client("office")
    assert "（已停用）" in client.get("/org").text
    answer = client.post(f"/org/people/{web.city.emerg_contact.id}/telegram-code",
                         data={"csrf_token": web.csrf(client)})
    assert answer.status_code == 409 and "已停用" in answer.text
