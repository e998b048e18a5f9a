"""What every bot action shares: the reply, the command record, the chat's person, and the one
place where an action runs in its own session with its errors turned into Chinese answers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engine.errors import DubanError, InvalidInput, PermissionDenied
from engine.org.actors import Actor
from engine.values import Channel
from models import Person

log = logging.getLogger("notifiers.bot")

UNBOUND = "本聊天尚未绑定督办身份，暂不能办理。请向督查室索取一次性绑定码，然后发送：/bind 绑定码"
APOLOGY = "抱歉，系统处理时出现异常，本次操作未生效。请稍后重试，或联系督查室。"


@dataclass(frozen=True)
class Reply:
    """What the bot answers; ``pending`` = (action, task code, text so far) asks the chat's
    next message (text, or photos and files) to complete that action."""

    text: str
    html: bool = False
    buttons: tuple[tuple[str, str], ...] = ()
    toast: str | None = None
    pending: tuple[str, str, str] | None = None
    failed: bool = False
    """The action was refused or failed (nothing changed)."""


Action = Callable[[Session, Actor | None, str, datetime, int], Reply]
"""An action: the session, the chat's person acting through the bot (``None``: unbound), the
text after the command, the moment, the chat id."""


@dataclass(frozen=True)
class Command:
    name: str
    action: Action
    bound: bool = True


def bound_person(session: Session, chat_id: int) -> Person | None:
    """The active person bound to ``chat_id``, if any."""
    person = session.exec(select(Person).where(Person.telegram_chat_id == chat_id)).first()
    return person if person is not None and person.active else None


def wall_clock() -> datetime:
    """The real time of an update (recorded on every audit event beside ``now``)."""
    return datetime.now(UTC)


def run_in_session(engine: Engine, name: str, chat_id: int, bound: bool,
                   work: Callable[[Session, Actor | None], Reply]) -> Reply:
    """Run ``work`` for ``chat_id`` in its own session; never raises.

    A chat bound to nobody gets :data:`UNBOUND` when ``bound`` (it never reaches a service,
    where no actor would mean the system itself). A refusal (``DubanError``) is rolled back,
    logged and answered with its message; anything else is rolled back, logged with its
    traceback and answered with :data:`APOLOGY`.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            person = bound_person(session, chat_id)
            if bound and person is None:
                log.warning("refused /%s from unbound chat %s", name, chat_id)
                return Reply(UNBOUND, toast="尚未绑定身份", failed=True)
            who = (Actor.of(person, Channel.BOT, wall_clock=wall_clock())
                   if person is not None else None)
            return work(session, who)
        except DubanError as exc:
            session.rollback()
            log.warning("refused /%s from chat %s: %s", name, chat_id, exc)
            return Reply(f"未办理：{exc}", toast=str(exc)[:190], failed=True)
        except Exception:  # noqa: BLE001 - the boundary: log it, answer with an apology
            session.rollback()
            log.exception("error in /%s from chat %s", name, chat_id)
            return Reply(APOLOGY, toast="系统异常，操作未生效", failed=True)


def run_action(engine: Engine, command: Command, chat_id: int, rest: str, now: datetime) -> Reply:
    """Run one command for ``chat_id`` in its own session; never raises."""
    return run_in_session(engine, command.name, chat_id, command.bound,
                          lambda session, person: command.action(session, person, rest.strip(),
                                                                 now, chat_id))


def me(person: Actor | None) -> Actor:
    if person is None:  # guarded by Command.bound; never let a chat act as the system
        raise PermissionDenied(UNBOUND)
    return person


def args(rest: str, count: int, usage: str) -> list[str]:
    """``rest`` split into exactly ``count`` parts, the last one taking the remainder."""
    parts = rest.split(None, count - 1) if rest else []
    if len(parts) < count:
        raise InvalidInput(f"格式不对。用法：{usage}")
    return parts
