"""One person changing their password in two browsers at the same moment, and one invite link
made one after the other, so the second proves a password that is no longer current and is
refused — never two "changed" answers with one of the passwords silently lost, and never two
sessions left alive on the same new session version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engine.errors import AuthenticationFailed, Conflict
from engine.org import passwords
from engine.org.accounts import (
    accept_web_invite,
    change_password,
    check_web_invite,
    create_web_invite,
    set_password,
)
from engine.values import Channel
from models import WebAccount
from tests.factories import act, at, make_city, operator
from tests.support.races import race, refusals

NOW = at("2024-03-11", "10:00")
OLD = "correct-horse-9"


def test_two_browsers_changing_one_password_at_once(shared_engine: Engine) -> None:
    with Session(shared_engine, expire_on_commit=False) as session:
        city = make_city(session)
        set_password(session=session, actor=operator(), person=city.fire_contact, password=OLD,
                     now=NOW)
    me = act(city.fire_contact, Channel.WEB)

    def change(new: str) -> Callable[[Session], Any]:
        return lambda s: change_password(session=s, actor=me, old_password=OLD,
                                         new_password=new, now=NOW)

    def load(session: Session) -> None:  # the request's own reads: the account as it was
        session.exec(select(WebAccount)).all()

    results = race(shared_engine, [change("Another-horse-11"), change("Third-horse-12x")],
                   load=load)
    refused = refusals(results)
    assert len(refused) == 1 and isinstance(refused[0], AuthenticationFailed)
    assert refused[0].message == "原密码不正确"
    winner = "Another-horse-11" if isinstance(results[0], int) else "Third-horse-12x"
    with Session(shared_engine) as session:
        account = session.exec(select(WebAccount)).one()
        assert account.session_version == 2 == max(r for r in results if isinstance(r, int))
        assert passwords.verify(winner, account.password_hash)[0]


def test_one_invite_link_opened_in_two_browsers_sets_one_password(shared_engine: Engine) -> None:
    """The link is valid once: of two browsers choosing a password through it at the same
    moment, each having shown the invite page first (the console checks the link before it
    accepts it, in the same request), one sets the password and the other is told the link
    was used."""
    with Session(shared_engine, expire_on_commit=False) as session:
        city = make_city(session)
        token = create_web_invite(session=session, actor=operator(), person=city.fire_head,
                                  now=NOW)

    def accept(password: str) -> Callable[[Session], Any]:
        return lambda s: accept_web_invite(session=s, token=token, password=password, now=NOW,
                                           client="10.0.0.9", wall_clock=NOW)

    def load(session: Session) -> None:  # the page's own check of the link
        check_web_invite(session=session, token=token, now=NOW)

    results = race(shared_engine, [accept("First-horse-11"), accept("Other-horse-12")],
                   load=load)
    refused = refusals(results)
    assert len(refused) == 1 and isinstance(refused[0], Conflict), results
    assert "已经使用过" in refused[0].message
    with Session(shared_engine) as session:
        assert session.exec(select(WebAccount)).one().session_version == 1
