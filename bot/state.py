"""The bot's state between updates (questions awaiting an answer, albums being collected) and
the one way it answers a chat."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.common import Reply

PENDING_TTL = timedelta(minutes=30)
"""How long a question (进展 / 延期 / 证明材料 / 退回理由) waits for the chat's answer."""
ALBUM_WAIT = 1.5
"""Seconds without a further item after which an album (a media group) is taken as complete:
Telegram delivers its photos as separate messages, usually within a second."""
_KEY = "duban"


@dataclass
class Album:
    """The items of one media group received so far, and the task that will take them."""

    chat_id: int
    messages: list[Message] = field(default_factory=list)
    timer: asyncio.Task[None] | None = None


@dataclass
class BotState:
    engine: Engine
    clock: Callable[[], datetime]
    pending: dict[int, tuple[str, str, str, datetime]] = field(default_factory=dict)
    album_wait: float = ALBUM_WAIT
    albums: dict[str, Album] = field(default_factory=dict)

    def take_pending(self, chat_id: int) -> tuple[str, str, str] | None:
        """(action, task code, text so far) the chat was asked for, if still fresh; forgotten."""
        found = self.peek_pending(chat_id)
        self.pending.pop(chat_id, None)
        return found

    def peek_pending(self, chat_id: int) -> tuple[str, str, str] | None:
        """As :meth:`take_pending`, but the question stays (files may be refused and resent)."""
        entry = self.pending.get(chat_id)
        if entry is None or self.clock() - entry[3] > PENDING_TTL:
            return None
        return entry[0], entry[1], entry[2]


def install(application: object, state: BotState) -> None:
    application.bot_data[_KEY] = state  # type: ignore[attr-defined]


def state_of(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    state: BotState = context.application.bot_data[_KEY]
    return state


async def answer(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply) -> None:
    """Send ``reply`` to the chat (keeping its question, if it asks one, for the next message)."""
    state = state_of(context)
    if reply.pending is not None:
        state.pending[chat_id] = (*reply.pending, state.clock())
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)
                                    for t, d in reply.buttons]]) if reply.buttons else None
    await context.bot.send_message(chat_id=chat_id, text=reply.text, reply_markup=markup,
                                   parse_mode=ParseMode.HTML if reply.html else None)
