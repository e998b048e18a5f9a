"""Password guesses sent all at once for one account: the lockout still counts every one.

The limit is the account's (and the typed name's): of eight wrong passwords sent in parallel,
five are checked and recorded, and the other three find the account locked — a burst of
parallel requests does not buy a guesser more tries than one request after another would. The
right password sent afterwards is refused too, while the lock runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from config.defaults import LOGIN_MAX_FAILURES
from engine.errors import AuthenticationFailed, LoginLocked
from engine.org.accounts import set_password
from engine.org.login import authenticate
from models import LoginAttempt
from tests.factories import at, make_city, operator
from tests.support.races import race

NOW = at("2024-03-11", "10:00")
PASSWORD = "correct-horse-9"
BURST = LOGIN_MAX_FAILURES + 3


def test_a_burst_of_guesses_gets_no_more_tries_than_the_limit(shared_engine: Engine) -> None:
    with Session(shared_engine, expire_on_commit=False) as session:
        city = make_city(session)
        set_password(session=session, actor=operator(), person=city.fire_contact,
                     password=PASSWORD, now=NOW)

    def guess(i: int) -> Callable[[Session], Any]:
        # From different addresses: the account's own limit is what is tested.
        return lambda s: authenticate(session=s, name="张联络", password=f"wrong-guess-{i}",
                                      client=f"10.0.0.{i}", now=NOW)

    results = race(shared_engine, [guess(i) for i in range(BURST)])
    locked = [r for r in results if isinstance(r, LoginLocked)]
    wrong = [r for r in results if type(r) is AuthenticationFailed]
    assert (len(wrong), len(locked)) == (LOGIN_MAX_FAILURES, BURST - LOGIN_MAX_FAILURES), results
    with Session(shared_engine) as session:
        failures = session.exec(select(func.count()).select_from(LoginAttempt).where(
            ~col(LoginAttempt.succeeded))).one()
        assert failures == LOGIN_MAX_FAILURES
        with pytest.raises(LoginLocked):
            authenticate(session=session, name="张联络", password=PASSWORD, client="10.0.1.1",
                         now=NOW)
