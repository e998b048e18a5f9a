"""Logging in to the web console, its throttling, and checking a session.

Guarantees:

- a wrong name, a name without an account, an inactive person, a name shared by several people
  and a wrong password all raise the same :class:`AuthenticationFailed` with the same message
  (:data:`WRONG`), after the same argon2 work (a dummy hash stands in), so nobody learns which
  names exist;
- ``LOGIN_MAX_FAILURES`` failures within ``LOGIN_FAILURE_WINDOW_MINUTES`` for one claimed name,
  for one account (whatever form of its name was typed) or from one client address lock that
  name, account or address for ``LOGIN_LOCK_MINUTES`` from the failure that tipped it: every
  attempt is refused with :class:`LoginLocked`, even with the right password, and the password
  is not even checked. A success clears the failures counted against that name and account (not
  those against the address). Attempts live in the database, so the limits hold across workers;
- attempts on one name or one account are checked one after the other (:func:`_one_at_a_time`),
  so a burst of parallel guesses gets no more tries than guesses sent in turn. Attempts from one
  address are not: a whole office behind one address would then log in one by one, each
  waiting for the others' password checks, so a burst spread over many accounts can overshoot
  the address's limit by at most its number of parallel requests - 1 (each account still
  stops at its own limit);
- every attempt checked is recorded (committed even when the login is refused); attempts refused
  by a lock are not, so a lock ends when its time is up;
- attempts are kept only as long as they can matter (:data:`KEEP`, plus :data:`CLOCK_SLACK`):
  recording one removes, in the same transaction, at most :data:`PRUNE_BATCH` of the oldest
  attempts older than that, so the table stays about that long without a job to prune it;
- :func:`session_person` accepts a session only while the account exists, carries the same
  session version and the person is active.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import ColumnElement, delete, or_
from sqlmodel import Session, col, select

from config.defaults import LOGIN_FAILURE_WINDOW_MINUTES, LOGIN_LOCK_MINUTES, LOGIN_MAX_FAILURES
from engine.errors import AuthenticationFailed, DubanError, LoginLocked
from engine.org import passwords
from engine.org.directory import find_person
from engine.store.policy import remember_policy, stored_policy_column
from engine.store.service import service
from engine.store.turns import take_turns
from models import LoginAttempt, Person, WebAccount

WRONG = "姓名或密码不正确（如有同名人员，请按“姓名@单位”填写姓名）"
"""The one refusal for a wrong name or a wrong password."""

WINDOW = timedelta(minutes=LOGIN_FAILURE_WINDOW_MINUTES)
LOCK = timedelta(minutes=LOGIN_LOCK_MINUTES)
KEEP = WINDOW + LOCK
"""How long an attempt can matter to :func:`check_not_locked`: an older failure can no longer
be counted toward a lock still running, and an older success no longer breaks a window."""
CLOCK_SLACK = timedelta(hours=1)
"""Kept beyond :data:`KEEP`, so that a worker whose clock runs ahead never removes attempts that
another worker still counts."""
PRUNE_BATCH = 50
"""The most attempts one recorded attempt removes: bounded work in the login's transaction, yet
a backlog drains (each attempt adds one row)."""


@dataclass(frozen=True)
class LoginGrant:
    """Who logged in, and the session version their session must carry."""

    person_id: int
    session_version: int


def name_key(name: str) -> str:
    """The claimed name as throttling counts it: NFKC, blanks collapsed, case folded, blanks
    around "@" dropped (so "张伟 @ fire" and "张伟@FIRE" are one name)."""
    text = " ".join(_printable(unicodedata.normalize("NFKC", name)).split()).casefold()
    left, at, right = text.partition("@")
    return (left.strip() + at + right.strip())[:200]


def _printable(text: str) -> str:
    """``text`` without control characters (PostgreSQL refuses a NUL in any text value)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cc")


def client_key(client: str | None) -> str:
    """The client address as stored and counted ("" when unknown: then no address lock)."""
    return _printable(client or "")[:64]


def _account_for(session: Session, name: str) -> tuple[Person, WebAccount] | None:
    """The active person the directory resolves ``name`` to (as the CLI does, "姓名@单位"
    included) and their account; ``None`` for anything else (no name holds a control
    character)."""
    if not name.strip() or len(name) > 200 or _printable(name) != name:
        return None
    try:
        person = find_person(session, unicodedata.normalize("NFKC", name))
    except DubanError:  # unknown, ambiguous, unknown unit: all look alike from outside
        return None
    account = session.exec(select(WebAccount).where(WebAccount.person_id == person.id)).first()
    return (person, account) if account is not None else None


def _lock_until(times: list[datetime]) -> datetime | None:
    """The end of the latest lock that failures at ``times`` (sorted) caused."""
    until = None
    for first, tipping in zip(times, times[LOGIN_MAX_FAILURES - 1:], strict=False):
        if tipping - first <= WINDOW:
            until = tipping + LOCK
    return until


def _failure_times(session: Session, where: ColumnElement[bool], now: datetime,
                   *, since_success: bool) -> list[datetime]:
    start = now - WINDOW - LOCK
    if since_success:
        last = session.exec(select(LoginAttempt.at).where(
            where, col(LoginAttempt.succeeded), col(LoginAttempt.at) <= now)
            .order_by(col(LoginAttempt.at).desc()).limit(1)).first()
        if last is not None and last > start:
            start = last
    return list(session.exec(select(LoginAttempt.at).where(
        where, ~col(LoginAttempt.succeeded), col(LoginAttempt.at) > start,
        col(LoginAttempt.at) <= now)
        .order_by(col(LoginAttempt.at))).all())


def _one_at_a_time(session: Session, key: str | None, person_id: int | None) -> None:
    """Hold, until the transaction ends, the turn of the name ``key`` and of the account
    (:func:`engine.store.turns.take_turns`): the attempt's check and its record are then one
    step for anyone else trying them."""
    take_turns(session, *([f"login-name:{key}"] if key else []),
               *([f"login-person:{person_id}"] if person_id is not None else []))


def check_not_locked(session: Session, *, key: str | None, person_id: int | None,
                     client: str | None, now: datetime) -> None:
    """Raise :class:`LoginLocked` while the name ``key``, the account or the address is
    locked. The caller's transaction then holds the turn of that name and account until it
    ends (:func:`_one_at_a_time`): it records its attempt before anyone else checks them."""
    _one_at_a_time(session, key, person_id)
    ends: list[datetime] = []
    account: list[ColumnElement[bool]] = []
    if key:
        account.append(col(LoginAttempt.name_key) == key)
    if person_id is not None:
        account.append(col(LoginAttempt.person_id) == person_id)
    if account:
        ends.append(_lock_until(_failure_times(session, or_(*account), now, since_success=True))
                    or now)
    address = client_key(client)
    if address:
        ends.append(_lock_until(_failure_times(
            session, col(LoginAttempt.client) == address, now, since_success=False)) or now)
    until = max(ends, default=now)
    if until > now:
        minutes = math.ceil((until - now).total_seconds() / 60)
        raise LoginLocked((until - now).total_seconds(),
                          f"登录失败次数过多，该账号或当前网络地址已被暂时锁定，请 {minutes} 分钟后再试")


def record(session: Session, attempt: LoginAttempt) -> None:
    """Add ``attempt`` and remove, in the same transaction, those among the
    :data:`PRUNE_BATCH` oldest attempts (first by id: attempts are recorded when they happen)
    that are more than :data:`KEEP` + :data:`CLOCK_SLACK` older than it. Concurrent logins do
    not wait on each other's removals (PostgreSQL skips rows another one is removing)."""
    oldest = (select(LoginAttempt.id).order_by(col(LoginAttempt.id)).limit(PRUNE_BATCH)
              .with_for_update(skip_locked=True))
    session.execute(delete(LoginAttempt).where(
        col(LoginAttempt.id).in_(oldest), col(LoginAttempt.at) < attempt.at - KEEP - CLOCK_SLACK)
        .execution_options(synchronize_session="fetch"))
    session.add(attempt)


def refuse_after_recording(session: Session, attempt: LoginAttempt, error: DubanError) -> NoReturn:
    """Commit the failed ``attempt`` (the refusal must not roll it back), then raise ``error``."""
    record(session, attempt)
    session.commit()
    raise error


@service
def authenticate(*, session: Session, name: str, password: str, client: str | None,
                 now: datetime) -> LoginGrant:
    """Check a name and password typed at the login page (see the module docstring)."""
    key = name_key(name)
    found = _account_for(session, name)
    person_id = found[0].id if found is not None else None
    check_not_locked(session, key=key, person_id=person_id, client=client, now=now)
    attempt = LoginAttempt(name_key=key, person_id=person_id,
                           client=client_key(client), at=now, succeeded=False)
    if found is None:
        passwords.verify_nothing(password)
        refuse_after_recording(session, attempt, AuthenticationFailed(WRONG))
    person, account = found
    ok, new_hash = passwords.verify(password, account.password_hash)
    if not ok:
        refuse_after_recording(session, attempt, AuthenticationFailed(WRONG))
    if new_hash is not None:  # made with older argon2 parameters: upgrade it now
        account.password_hash = new_hash
        session.add(account)
    attempt.succeeded = True
    record(session, attempt)
    assert person.id is not None
    return LoginGrant(person.id, account.session_version)


def session_person(*, session: Session, person_id: int, version: int) -> Person | None:
    """The person a session cookie names, or ``None`` when that session no longer counts.

    One query on every page: the account's version and the active person together, and — as
    every page then needs it — the stored policy, cached on ``session`` for
    :func:`engine.store.policy.get_policy` (a round trip fewer per page)."""
    found = session.exec(
        select(Person, stored_policy_column())
        .join(WebAccount, col(WebAccount.person_id) == col(Person.id))
        .where(col(Person.id) == person_id, WebAccount.session_version == version,
               Person.active == True)  # noqa: E712
    ).first()
    if found is None:
        return None
    person, policy = found
    remember_policy(session, policy)
    return person
