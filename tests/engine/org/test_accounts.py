"""Web accounts: passwords set by the office or chosen through a one-time invite, changed by
their owner; hashed only, audited without them, every change ending the older sessions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engine.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    LoginLocked,
    NotFound,
    PermissionDenied,
    PolicyViolation,
)
from engine.org.accounts import (
    accept_web_invite,
    account_of,
    change_password,
    check_web_invite,
    create_web_invite,
    set_password,
    token_hash,
)
from engine.org.login import authenticate, session_person
from engine.values import Channel
from models import AuditEvent, LoginAttempt, WebAccount, WebInvite
from tests.engine.tasks.test_lifecycle import dump_db
from tests.factories import ISSUED, City, act, make_city, operator

PASSWORD = "督办平台密码2024"
T0 = ISSUED + timedelta(hours=1)


@pytest.fixture
def city(session: Session) -> City:
    return make_city(session)


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_the_office_sets_a_password_stored_only_as_argon2id(session: Session, city: City) -> None:
    version = set_password(session=session, actor=act(city.office), person=city.fire_contact,
                           password=PASSWORD, now=T0)
    account = account_of(session, city.fire_contact.id)
    assert account is not None and version == account.session_version == 1
    assert account.password_hash.startswith("$argon2id$") and PASSWORD not in account.password_hash
    event = _events(session, "set_password")[0]
    assert event.actor == "赵督查" and event.after == {"session_version": 1}
    assert PASSWORD not in json.dumps(event.after) + json.dumps(event.before)
    # Setting it again replaces the hash and ends the sessions of the old version.
    assert set_password(session=session, actor=operator(), person=city.fire_contact,
                        password="另一个足够长的密码xyz", now=T0) == 2
    assert session_person(session=session, person_id=city.fire_contact.id or 0, version=1) is None


def test_full_width_input_matches_ascii(session: Session, city: City) -> None:
    set_password(session=session, actor=operator(), person=city.fire_contact,
                 password="ｍｉｍａ１２３４５６", now=T0)
    grant = authenticate(session=session, name="张联络", password="mima123456", client="c",
                         now=T0)
    assert grant.person_id == city.fire_contact.id


def test_a_person_sets_only_their_own_password(session: Session, city: City) -> None:
    set_password(session=session, actor=act(city.fire_contact), person=city.fire_contact,
                 password=PASSWORD, now=T0)
    before = dump_db(session)
    for who in (city.fire_contact, city.secretary, city.fire_head):
        with pytest.raises(PermissionDenied, match="只有督查室可以设置他人的网页登录密码"):
            set_password(session=session, actor=act(who), person=city.housing_contact,
                         password=PASSWORD, now=T0)
    assert dump_db(session) == before


@pytest.mark.parametrize(("password", "message"), [
    ("短密码123", "至少需要 10 个字符"),
    ("x" * 257, "不能超过 256 个字符"),
    ("有换行的密码123\n", "控制字符"),
    ("tab\tinside-password", "控制字符"),
    (" " * 12, "不能全部是空格"),
])
def test_password_rules(session: Session, city: City, password: str, message: str) -> None:
    before = dump_db(session)
    with pytest.raises(InvalidInput, match=message):
        set_password(session=session, actor=operator(), person=city.fire_contact,
                     password=password, now=T0)
    assert dump_db(session) == before


def test_nobody_acts_for_an_inactive_person(session: Session, city: City) -> None:
    city.fire_contact.active = False
    session.add(city.fire_contact)
    session.commit()
    with pytest.raises(PolicyViolation, match="已停用"):
        set_password(session=session, actor=operator(), person=city.fire_contact,
                     password=PASSWORD, now=T0)
    with pytest.raises(PolicyViolation, match="已停用"):
        create_web_invite(session=session, actor=operator(), person=city.fire_contact, now=T0)


def test_an_invite_works_once_and_is_stored_hashed(session: Session, city: City) -> None:
    token = create_web_invite(session=session, actor=act(city.office), person=city.fire_head,
                              now=T0)
    row = session.exec(select(WebInvite)).one()
    assert row.token_hash == token_hash(token) and token not in row.token_hash
    assert row.expires_at == T0 + timedelta(hours=72) and row.created_by_id == city.office.id
    assert token not in json.dumps(_events(session, "web_invite")[0].after)
    assert check_web_invite(session=session, token=token, now=T0).id == city.fire_head.id
    person = accept_web_invite(session=session, token=token, password=PASSWORD, now=T0,
                               client="10.0.0.5", wall_clock=act(city.office).clock())
    assert person.id == city.fire_head.id
    event = _events(session, "accept_web_invite")[0]
    assert event.actor == "陈支队" and event.channel == Channel.WEB.value
    assert event.client == "10.0.0.5"
    assert authenticate(session=session, name="陈支队", password=PASSWORD, client="c",
                        now=T0).person_id == city.fire_head.id
    before = dump_db(session)
    with pytest.raises(Conflict, match="已经使用过"):
        accept_web_invite(session=session, token=token, password="又一个足够长的密码", now=T0,
                          client="c", wall_clock=act(city.office).clock())
    with pytest.raises(Conflict, match="已经使用过"):
        check_web_invite(session=session, token=token, now=T0)
    assert dump_db(session) == before


def test_invites_expire_are_revoked_by_a_new_one_and_need_a_good_password(
        session: Session, city: City) -> None:
    wall = act(city.office).clock()
    first = create_web_invite(session=session, actor=operator(), person=city.fire_head, now=T0)
    second = create_web_invite(session=session, actor=operator(), person=city.fire_head, now=T0)
    with pytest.raises(PolicyViolation, match="已过期"):
        check_web_invite(session=session, token=first, now=T0)
    with pytest.raises(InvalidInput, match="至少需要"):
        accept_web_invite(session=session, token=second, password="short", now=T0, client=None,
                          wall_clock=wall)
    assert session.exec(select(WebInvite).where(WebInvite.token_hash == token_hash(second))
                        ).one().used_at is None  # a refused password does not spend the link
    with pytest.raises(PolicyViolation, match="已过期"):
        accept_web_invite(session=session, token=second, password=PASSWORD,
                          now=T0 + timedelta(hours=72), client=None, wall_clock=wall)
    with pytest.raises(NotFound, match="邀请链接无效"):
        check_web_invite(session=session, token="not-a-token", now=T0)
    with pytest.raises(NotFound, match="邀请链接无效"):
        check_web_invite(session=session, token="", now=T0)
    assert account_of(session, city.fire_head.id) is None


def test_only_the_office_issues_invites(session: Session, city: City) -> None:
    before = dump_db(session)
    for who in (city.fire_head, city.secretary):
        with pytest.raises(PermissionDenied, match="只有督查室可以生成网页登录邀请链接"):
            create_web_invite(session=session, actor=act(who), person=who, now=T0)
    assert dump_db(session) == before


def test_changing_a_password_proves_the_old_one_and_ends_other_sessions(
        engine: Engine, session: Session, city: City) -> None:
    set_password(session=session, actor=operator(), person=city.fire_contact, password=PASSWORD,
                 now=T0)
    me = act(city.fire_contact, Channel.WEB)
    with pytest.raises(AuthenticationFailed, match="原密码不正确"):
        change_password(session=session, actor=me, old_password="猜一个密码试试看", now=T0,
                        new_password="新的足够长的密码abc")
    with Session(engine) as other:  # the wrong guess was kept though the change was refused
        assert not other.exec(select(LoginAttempt)).one().succeeded
    with pytest.raises(PolicyViolation, match="不能与原密码相同"):
        change_password(session=session, actor=me, old_password=PASSWORD, new_password=PASSWORD,
                        now=T0)
    version = change_password(session=session, actor=me, old_password=PASSWORD,
                              new_password="新的足够长的密码abc", now=T0)
    assert version == 2
    assert session_person(session=session, person_id=city.fire_contact.id or 0, version=1) is None
    assert _events(session, "change_password")[0].after == {"session_version": 2}
    with pytest.raises(AuthenticationFailed):
        authenticate(session=session, name="张联络", password=PASSWORD, client="c", now=T0)


def test_guessing_the_old_password_locks_the_account(session: Session, city: City) -> None:
    set_password(session=session, actor=operator(), person=city.fire_contact, password=PASSWORD,
                 now=T0)
    me = act(city.fire_contact, Channel.WEB)
    for i in range(5):
        with pytest.raises(AuthenticationFailed):
            change_password(session=session, actor=me, old_password=f"猜测的密码{i:05d}",
                            new_password="新的足够长的密码abc", now=T0 + timedelta(minutes=i))
    with pytest.raises(LoginLocked):
        change_password(session=session, actor=me, old_password=PASSWORD,
                        new_password="新的足够长的密码abc", now=T0 + timedelta(minutes=5))
    with pytest.raises(LoginLocked):
        authenticate(session=session, name="张联络", password=PASSWORD, client="elsewhere",
                     now=T0 + timedelta(minutes=5))


def test_only_people_with_an_account_change_a_password(session: Session, city: City) -> None:
    for who in (operator(), act(city.fire_head)):
        with pytest.raises(PermissionDenied, match="已开通网页登录"):
            change_password(session=session, actor=who, old_password=PASSWORD,
                            new_password="新的足够长的密码abc", now=T0)
    assert session.exec(select(WebAccount)).all() == []
