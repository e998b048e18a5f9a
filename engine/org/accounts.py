"""Web console accounts: setting and changing passwords, one-time web invites.

Guarantees:

- an account belongs to one person of the directory; a password is stored only as its argon2id
  hash (:mod:`engine.org.passwords`), after the rules there were met;
- every password change — set by the office, chosen through an invite, changed by the person —
  raises the account's session version, which ends every session signed with an older one, and
  appends an audit event that carries the new version and never the password or its hash;
- an invite is random (256 bits), shown once, stored only as its SHA-256; it works once, for
  ``WEB_INVITE_TTL_HOURS``; issuing a new one revokes the person's earlier unused ones;
- only the office (admin, office, the operator) sets anyone's password or issues invites; a
  person may set or change their own; nobody acts for an inactive person.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from config.defaults import WEB_INVITE_TTL_HOURS
from engine.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    PolicyViolation,
)
from engine.org import passwords
from engine.org.actors import Actor
from engine.org.binding import retire_unused
from engine.org.directory import locked
from engine.org.login import check_not_locked, client_key, refuse_after_recording
from engine.org.permissions import require_office
from engine.store.service import service
from engine.tasks import audit
from engine.values import Channel
from models import LoginAttempt, Person, WebAccount, WebInvite

WRONG_CURRENT = "原密码不正确"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8", "ignore")).hexdigest()


def web_invite_expires_at(now: datetime) -> datetime:
    """When an invite issued at ``now`` stops working."""
    return now + timedelta(hours=WEB_INVITE_TTL_HOURS)


def account_of(session: Session, person_id: int | None, *,
               for_update: bool = False) -> WebAccount | None:
    """The person's web account, if they have one; ``for_update`` locks it until the
    transaction ends and reads it as committed (:func:`engine.org.directory.locked`), so that
    two changes of one password at once are made one after the other."""
    query = select(WebAccount).where(WebAccount.person_id == person_id)
    return session.exec(locked(query) if for_update else query).first()


def _store_password(session: Session, person: Person, password: str, now: datetime) -> WebAccount:
    """Create or update the person's account with ``password`` (rules already checked) and a
    new session version."""
    account = account_of(session, person.id, for_update=True)
    digest = passwords.hash_password(password)
    if account is None:
        account = WebAccount(person_id=person.id or 0, password_hash=digest, session_version=1,
                             password_set_at=now, created_at=now)
    else:
        account.password_hash, account.password_set_at = digest, now
        account.session_version += 1
    session.add(account)
    return account


def _person(session: Session, person: Person | int) -> Person:
    """The person given as a row or by id (web forms and fixtures hold ids)."""
    if isinstance(person, Person):
        return person
    row = session.get(Person, person)
    if row is None:
        raise NotFound(f"未找到人员 {person}")
    return row


def _require_active(person: Person, what: str) -> None:
    if not person.active:
        raise PolicyViolation(f"{person.name} 已停用，不能{what}")


@service
def set_password(*, session: Session, actor: Actor, person: Person | int, password: str,
                 now: datetime) -> int:
    """Set ``person``'s web password (the office for anyone; a person for themself); return the
    new session version (every earlier session of the person ends)."""
    person = _person(session, person)
    if actor.person_id != person.id:
        require_office(actor, "设置他人的网页登录密码")
    _require_active(person, "设置网页登录密码")
    passwords.check_rules(password)
    account = _store_password(session, person, password, now)
    audit.record(session, actor=actor, entity="person", entity_id=person.id,
                 action="set_password", now=now,
                 after={"session_version": account.session_version})
    return account.session_version


@service
def create_web_invite(*, session: Session, actor: Actor, person: Person | int,
                      now: datetime) -> str:
    """Issue a one-time link token letting ``person`` choose their web password; return it (the
    only time it is shown). Office only: the link is a credential for that person."""
    person = _person(session, person)
    require_office(actor, "生成网页登录邀请链接")
    _require_active(person, "生成网页登录邀请链接")
    retire_unused(session, WebInvite, person_id=person.id or 0, now=now)
    token = secrets.token_urlsafe(32)
    row = WebInvite(token_hash=token_hash(token), person_id=person.id or 0,
                    created_by_id=actor.person_id, created_at=now,
                    expires_at=web_invite_expires_at(now))
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="person", entity_id=person.id, action="web_invite",
                 now=now, after={"web_invite_id": row.id, "expires_at": row.expires_at})
    return token


def _usable_invite(session: Session, token: str, now: datetime, *,
                   lock: bool) -> tuple[WebInvite, Person]:
    query = select(WebInvite).where(WebInvite.token_hash == token_hash(token))
    row = session.exec(query.with_for_update() if lock else query).first() if token.strip() else None
    if row is None:
        raise NotFound("邀请链接无效，请核对链接，或请督查室重新生成")
    if row.used_at is not None:
        raise Conflict("该邀请链接已经使用过，每个链接只能使用一次；如需重设密码，请联系督查室")
    if row.expires_at <= now:
        raise PolicyViolation("该邀请链接已过期，请督查室重新生成")
    person = session.get(Person, row.person_id)
    if person is None or not person.active:
        raise PolicyViolation("该邀请链接对应的人员已停用")
    return row, person


def check_web_invite(*, session: Session, token: str, now: datetime) -> Person:
    """The person an invite is for, while it is usable (nothing is written)."""
    return _usable_invite(session, token, now, lock=False)[1]


@service
def accept_web_invite(*, session: Session, token: str, password: str, now: datetime,
                      client: str | None, wall_clock: datetime) -> Person:
    """Use an invite: set the password its person chose and spend the invite; return the person
    (the actor of the event, through the web console at ``client``)."""
    row, person = _usable_invite(session, token, now, lock=True)
    passwords.check_rules(password)
    row.used_at = now
    session.add(row)
    account = _store_password(session, person, password, now)
    actor = Actor.of(person, Channel.WEB, wall_clock=wall_clock, client=client)
    audit.record(session, actor=actor, entity="person", entity_id=person.id,
                 action="accept_web_invite", now=now,
                 after={"web_invite_id": row.id, "session_version": account.session_version})
    return person


@service
def change_password(*, session: Session, actor: Actor, old_password: str, new_password: str,
                    now: datetime) -> int:
    """The acting person replaces their own password, proving the current one; return the new
    session version (the person's other sessions end; the caller re-signs its own).

    A wrong current password counts as a failed login of the account (and of the actor's
    address), so a stolen session cannot be used to guess it.
    """
    person = actor.person
    # Locked before the current password is checked: of two changes at once (two browsers),
    # the second is checked against the password the first set, and refused.
    account = account_of(session, actor.person_id, for_update=True) if person is not None else None
    if person is None or account is None:
        raise PermissionDenied("只有已开通网页登录的人员可以修改自己的密码")
    check_not_locked(session, key=None, person_id=person.id, client=actor.client, now=now)
    ok, _ = passwords.verify(old_password, account.password_hash)
    if not ok:
        attempt = LoginAttempt(name_key="", person_id=person.id, client=client_key(actor.client),
                               at=now, succeeded=False)
        refuse_after_recording(session, attempt, AuthenticationFailed(WRONG_CURRENT))
    passwords.check_rules(new_password)
    if passwords.verify(new_password, account.password_hash)[0]:
        raise PolicyViolation("新密码不能与原密码相同")
    _store_password(session, person, new_password, now)
    audit.record(session, actor=actor, entity="person", entity_id=person.id,
                 action="change_password", now=now,
                 after={"session_version": account.session_version})
    return account.session_version
