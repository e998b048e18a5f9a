"""Logging in: one message for a wrong name or password, the lockout, sessions that end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.orgfile import PersonSpec
from engine.errors import AuthenticationFailed, LoginLocked
from engine.org import login, passwords
from engine.org.accounts import set_password
from engine.org.login import (
    CLOCK_SLACK,
    KEEP,
    PRUNE_BATCH,
    WRONG,
    authenticate,
    name_key,
    session_person,
)
from engine.org.setup import add_person
from models import LoginAttempt, Person
from tests.factories import ISSUED, City, make_city, operator

PASSWORD = "正确的密码abc123"
T0 = ISSUED + timedelta(hours=1)


def _with_password(session: Session, person: Person, password: str = PASSWORD) -> None:
    set_password(session=session, actor=operator(), person=person, password=password, now=ISSUED)


def _fail(session: Session, name: str, *, client: str = "10.0.0.1", at: Any = T0,
          password: str = "错误的密码xyz000") -> AuthenticationFailed:
    with pytest.raises(AuthenticationFailed) as caught:
        authenticate(session=session, name=name, password=password, client=client, now=at)
    return caught.value


@pytest.fixture
def city(session: Session) -> City:
    city = make_city(session)
    _with_password(session, city.fire_contact)
    return city


def test_the_right_password_logs_in_and_the_session_counts(session: Session, city: City) -> None:
    grant = authenticate(session=session, name=" 张联络 ", password=PASSWORD, client="10.0.0.1",
                         now=T0)
    assert grant.person_id == city.fire_contact.id and grant.session_version == 1
    person = session_person(session=session, person_id=grant.person_id, version=1)
    assert person is not None and person.name == "张联络"
    attempt = session.exec(select(LoginAttempt)).one()
    assert attempt.succeeded and attempt.person_id == city.fire_contact.id
    assert attempt.client == "10.0.0.1" and attempt.name_key == "张联络"


def test_wrong_name_and_wrong_password_are_told_alike(session: Session, city: City,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_verify, real_nothing = passwords.verify, passwords.verify_nothing

    def verify(password: str, stored: str) -> tuple[bool, str | None]:
        calls.append("verify")
        return real_verify(password, stored)

    def verify_nothing(password: str) -> None:
        calls.append("dummy")
        real_nothing(password)

    monkeypatch.setattr(passwords, "verify", verify)
    monkeypatch.setattr(passwords, "verify_nothing", verify_nothing)
    wrong_password = _fail(session, "张联络")
    unknown = _fail(session, "不存在的人")
    no_account = _fail(session, "陈支队", password=PASSWORD)  # in the directory, no password
    assert str(wrong_password) == str(unknown) == str(no_account) == WRONG
    assert type(wrong_password) is type(unknown) is type(no_account) is AuthenticationFailed
    # Every refusal did the argon2 work of one verification: a dummy one when no hash exists.
    assert calls == ["verify", "dummy", "dummy"]
    assert [a.succeeded for a in session.exec(select(LoginAttempt)).all()] == [False] * 3


def test_failures_are_kept_though_the_login_is_refused(engine: Engine, session: Session,
                                                       city: City) -> None:
    _fail(session, "张联络")
    with Session(engine) as other:
        assert len(other.exec(select(LoginAttempt)).all()) == 1


def test_people_sharing_a_name_log_in_with_their_unit(session: Session, city: City) -> None:
    twin = add_person(session=session, spec=PersonSpec(name="张联络", roles=["unit_contact"],
                                                       unit="EMERG"),
                      actor=operator(), now=ISSUED, allow_same_name=True)
    _with_password(session, twin, "另一个人的密码0001")
    assert str(_fail(session, "张联络", password=PASSWORD)) == WRONG  # which one? neither
    grant = authenticate(session=session, name="张联络@FIRE", password=PASSWORD, client="x",
                         now=T0)
    assert grant.person_id == city.fire_contact.id
    grant = authenticate(session=session, name="张联络@应急", password="另一个人的密码0001",
                         client="x", now=T0)
    assert grant.person_id == twin.id
    assert str(_fail(session, "张联络@NOSUCH", password=PASSWORD)) == WRONG


def test_five_failures_lock_the_name_even_for_the_right_password(session: Session,
                                                                 city: City) -> None:
    for minute in range(5):
        _fail(session, "张联络", client=f"10.0.0.{minute}", at=T0 + timedelta(minutes=2 * minute))
    fifth = T0 + timedelta(minutes=8)
    with pytest.raises(LoginLocked, match="锁定.*15 分钟后再试") as locked:
        authenticate(session=session, name="张联络", password=PASSWORD, client="10.9.9.9",
                     now=fifth + timedelta(seconds=1))
    assert locked.value.retry_after == pytest.approx(15 * 60 - 1)
    # The same account under another form of its name is locked too.
    with pytest.raises(LoginLocked, match="1 分钟后再试"):
        authenticate(session=session, name="张联络@消防", password=PASSWORD, client="10.9.9.8",
                     now=fifth + timedelta(minutes=14, seconds=30))
    # Attempts refused by the lock are not counted: it ends 15 minutes after the fifth failure.
    grant = authenticate(session=session, name="张联络", password=PASSWORD, client="10.9.9.9",
                         now=fifth + timedelta(minutes=15))
    assert grant.person_id == city.fire_contact.id


def test_an_unknown_name_locks_like_a_real_one(session: Session, city: City) -> None:
    for i in range(5):
        _fail(session, "无此人", client=f"10.1.0.{i}")
    with pytest.raises(LoginLocked):
        authenticate(session=session, name="无此人", password=PASSWORD, client="10.2.0.1",
                     now=T0 + timedelta(minutes=1))


def test_five_failures_from_one_address_lock_the_address(session: Session, city: City) -> None:
    for i, name in enumerate(["甲", "乙", "丙", "丁", "戊"]):
        _fail(session, name, client="192.168.1.7", at=T0 + timedelta(minutes=i))
    with pytest.raises(LoginLocked):
        authenticate(session=session, name="张联络", password=PASSWORD, client="192.168.1.7",
                     now=T0 + timedelta(minutes=5))
    grant = authenticate(session=session, name="张联络", password=PASSWORD,
                         client="192.168.1.8", now=T0 + timedelta(minutes=5))
    assert grant.person_id == city.fire_contact.id


def test_failures_spread_out_or_broken_by_a_success_do_not_lock(session: Session,
                                                                city: City) -> None:
    # Five failures, but never five within ten minutes.
    for i in range(5):
        _fail(session, "张联络", client=f"10.3.0.{i}", at=T0 + timedelta(minutes=3 * i))
    authenticate(session=session, name="张联络", password=PASSWORD, client="10.3.1.1",
                 now=T0 + timedelta(minutes=13))
    # Four failures, a success, four more: the success clears the name's count.
    later = T0 + timedelta(hours=2)
    for i in range(4):
        _fail(session, "张联络", client=f"10.4.0.{i}", at=later + timedelta(minutes=i))
    authenticate(session=session, name="张联络", password=PASSWORD, client="10.4.1.1",
                 now=later + timedelta(minutes=4))
    for i in range(4):
        _fail(session, "张联络", client=f"10.5.0.{i}", at=later + timedelta(minutes=5 + i))
    grant = authenticate(session=session, name="张联络", password=PASSWORD, client="10.5.1.1",
                         now=later + timedelta(minutes=9))
    assert grant.person_id == city.fire_contact.id


def test_a_session_ends_with_a_new_password_or_an_inactive_person(session: Session,
                                                                  city: City) -> None:
    person_id = city.fire_contact.id
    assert person_id is not None
    assert session_person(session=session, person_id=person_id, version=1) is not None
    assert session_person(session=session, person_id=person_id, version=2) is None
    _with_password(session, city.fire_contact, "第二个密码第二个密码")
    assert session_person(session=session, person_id=person_id, version=1) is None
    assert session_person(session=session, person_id=person_id, version=2) is not None
    assert session_person(session=session, person_id=city.fire_head.id or 0, version=1) is None
    city.fire_contact.active = False
    session.add(city.fire_contact)
    session.commit()
    assert session_person(session=session, person_id=person_id, version=2) is None
    assert str(_fail(session, "张联络", password="第二个密码第二个密码")) == WRONG


def test_control_characters_in_a_name_are_a_wrong_name(session: Session, city: City) -> None:
    """A NUL (which PostgreSQL refuses in any text) or a newline: refused like any wrong name,
    and the attempt is still counted."""
    for name in ("张联络\x00", "张联络@\x00FIRE", "张联络\n", "\x00"):
        assert str(_fail(session, name, password=PASSWORD, client="10.6.0.1\x00")) == WRONG
    keys = {a.name_key for a in session.exec(select(LoginAttempt)).all()}
    assert keys == {"张联络", "张联络@fire", ""}


def test_claimed_names_are_counted_in_one_form() -> None:
    assert name_key(" 张伟 @ fire ") == name_key("张伟@FIRE") == "张伟@fire"
    assert name_key("Ｊｏｈｎ  Smith") == "john smith"


def _old_attempts(session: Session, before: Any) -> int:
    return len(session.exec(select(LoginAttempt).where(LoginAttempt.at < before)).all())


def test_recording_an_attempt_removes_old_ones_in_bounded_batches(session: Session,
                                                                  city: City) -> None:
    """Attempts too old to matter go, at most ``PRUNE_BATCH`` per attempt recorded (failed or
    successful); those within ``KEEP`` + ``CLOCK_SLACK`` stay."""
    too_old = T0 - KEEP - CLOCK_SLACK
    session.add_all([LoginAttempt(name_key="旧", client="10.5.5.5", succeeded=False,
                                  at=too_old - timedelta(minutes=1 + i))
                     for i in range(PRUNE_BATCH + 10)])
    kept = LoginAttempt(name_key="近", client="10.5.5.6", succeeded=False,
                        at=too_old + timedelta(minutes=1))
    session.add(kept)
    session.commit()
    _fail(session, "张联络")
    assert _old_attempts(session, too_old) == 10
    authenticate(session=session, name="张联络", password=PASSWORD, client="10.0.0.1",
                 now=T0 + timedelta(seconds=1))
    assert _old_attempts(session, too_old) == 0
    assert session.get(LoginAttempt, kept.id) is not None
    assert len(session.exec(select(LoginAttempt)).all()) == 3  # the kept one and today's two


def test_removing_old_attempts_keeps_what_a_running_lock_needs(
        session: Session, city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even without the clock slack, the failures of a lock still running stay until it ends:
    five failures over exactly the window lock the name until 15 minutes after the fifth."""
    monkeypatch.setattr(login, "CLOCK_SLACK", timedelta(0))
    for i in range(5):
        _fail(session, "张联络", client=f"10.0.0.{i}", at=T0 + timedelta(seconds=150 * i))
    ends = T0 + timedelta(minutes=25)
    _fail(session, "路人", client="10.8.8.8", at=ends - timedelta(seconds=10))  # prunes
    name_rows = select(LoginAttempt).where(LoginAttempt.name_key == "张联络")
    assert len(session.exec(name_rows).all()) == 5
    with pytest.raises(LoginLocked):
        authenticate(session=session, name="张联络", password=PASSWORD, client="10.9.9.9",
                     now=ends - timedelta(seconds=5))
    grant = authenticate(session=session, name="张联络", password=PASSWORD, client="10.9.9.9",
                         now=ends)
    assert grant.person_id == city.fire_contact.id
    # The lock's failures and the success are past use once KEEP has passed since the last.
    _fail(session, "路人", client="10.8.8.8", at=ends + KEEP + timedelta(seconds=1))
    assert session.exec(name_rows).all() == []


def test_the_session_check_brings_the_stored_policy_along(engine: Engine, session: Session,
                                                          city: City) -> None:
    """Every page checks the session and then needs the policy: one round trip gives both, and
    it is the policy stored now (a changed one counts on the next page)."""
    from sqlalchemy import event

    from config.policy import Policy
    from engine.store.policy import get_policy, save_policy

    person_id = city.fire_contact.id or 0
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    for window in (5, 2):
        save_policy(session, policy=Policy(warning_window_workdays=window), now=T0)
        session.commit()
        statements.clear()
        with Session(engine) as page:
            event.listen(engine, "before_cursor_execute", seen)
            try:
                assert session_person(session=page, person_id=person_id, version=1) is not None
                assert get_policy(page).warning_window_workdays == window
            finally:
                event.remove(engine, "before_cursor_execute", seen)
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
