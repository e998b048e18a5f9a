"""Binding a Telegram chat to a person with a one-time code (``duban person invite`` → ``/bind``).

Guarantees:

- a code is random (``CODE_LENGTH`` characters of an alphabet without look-alikes, about 40
  bits), shown once and stored only as its SHA-256 hash; it expires after
  ``BINDING_CODE_TTL_HOURS`` and binds at most once; issuing a new code revokes the person's
  earlier unused ones;
- a chat already bound to someone else is refused; binding moves the person to the new chat
  and clears any "unreachable" mark; each invite and each binding is an audit event (without
  the code) committed together with the change, and a refused binding changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from config.defaults import BINDING_CODE_TTL_HOURS
from engine.errors import Conflict, InvalidInput, NotFound, PolicyViolation
from engine.org.actors import Actor
from engine.org.permissions import require_office
from engine.store.service import service
from engine.tasks import audit
from engine.values import Channel
from models import BindingCode, Person, WebInvite

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
"""Characters in a binding code (shown as two groups of four, e.g. ``K7QW-3MPX``)."""


def normalise(code: str) -> str:
    """The code as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode("ascii", "ignore")).hexdigest()


def invite_expires_at(now: datetime) -> datetime:
    """When a code issued at ``now`` stops working."""
    return now + timedelta(hours=BINDING_CODE_TTL_HOURS)


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


@service
def create_invite(*, session: Session, person: Person, now: datetime, actor: Actor) -> str:
    """Issue a one-time binding code for ``person`` and return it (the only time it is shown).

    Only the office (or the operator) hands out codes: a code is a credential for that person.
    """
    require_office(actor, "生成绑定码")
    if not person.active:
        raise PolicyViolation(f"{person.name} 已停用，不能生成绑定码")
    retire_unused(session, BindingCode, person_id=person.id or 0, now=now)
    code = _new_code()
    row = BindingCode(person_id=person.id or 0, code_hash=code_hash(code), created_at=now,
                      expires_at=invite_expires_at(now))
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, entity="person", entity_id=person.id, action="invite",
                 now=now, after={"binding_code_id": row.id, "expires_at": row.expires_at})
    return code


def retire_unused(session: Session, model: type[BindingCode] | type[WebInvite], *,
                  person_id: int, now: datetime) -> None:
    """End the person's earlier one-time credentials of ``model`` (Telegram codes, web invite
    links) that were never used: only the newest one handed out works."""
    for old in session.exec(select(model).where(
            model.person_id == person_id, col(model.used_at).is_(None),
            col(model.expires_at) > now)).all():
        old.expires_at = now
        session.add(old)


def _usable_code(session: Session, code: str, now: datetime) -> BindingCode:
    if not normalise(code):
        raise InvalidInput("请提供绑定码，例如：/bind K7QW-3MPX")
    row = session.exec(
        select(BindingCode).where(BindingCode.code_hash == code_hash(code)).with_for_update()
    ).first()
    if row is None:
        raise NotFound("绑定码无效，请核对后重试，或请督查室重新生成")
    if row.used_at is not None:
        raise Conflict("该绑定码已经使用过，每个绑定码只能使用一次")
    if row.expires_at <= now:
        raise PolicyViolation("该绑定码已过期，请督查室重新生成")
    return row


@service
def bind_chat(*, session: Session, code: str, chat_id: int, now: datetime,
              wall_clock: datetime) -> Person:
    """Bind ``chat_id`` to the person the code was issued for; return that person (who is the
    actor of the event, through the bot)."""
    row = _usable_code(session, code, now)
    person = session.get(Person, row.person_id)
    if person is None or not person.active:
        raise PolicyViolation("该绑定码对应的人员已停用")
    other = session.exec(select(Person).where(
        Person.telegram_chat_id == chat_id, Person.id != person.id)).first()
    if other is not None:
        raise Conflict(f"此聊天已绑定到{other.name}，不能再绑定其他人员")
    before = {"telegram_chat_id": person.telegram_chat_id}
    row.used_at, row.used_by_chat = now, chat_id
    person.telegram_chat_id = chat_id
    person.unreachable_at, person.unreachable_reason = None, None
    session.add(row)
    session.add(person)
    actor = Actor.of(person, Channel.BOT, wall_clock=wall_clock)
    audit.record(session, actor=actor, entity="person", entity_id=person.id,
                 action="bind_telegram", now=now, before=before,
                 after={"telegram_chat_id": chat_id, "binding_code_id": row.id})
    return person
