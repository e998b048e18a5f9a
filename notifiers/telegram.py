"""The Telegram channel: outbox messages pushed through python-telegram-bot's ``Bot``.

Guarantees:

- a message goes out as one ``sendMessage`` in HTML parse mode (the row's HTML, or its plain
  text escaped), with the row's inline buttons (签收 / 反馈进展 / 申请延期) in one row; text over
  Telegram's 4096-character limit is cut and marked, never split (one row = one message);
- a message carrying an evidence file goes out as one ``sendPhoto`` (JPEG/PNG up to 10 MB) or
  ``sendDocument`` with the text as caption (cut at 1024): by Telegram's own ``file_id`` when
  the file came from Telegram, else uploaded from the store (python-telegram-bot reads the
  upload into memory: one copy of the file while it is sent); a photo Telegram refuses is sent
  again as a document, a stale ``file_id`` again as an upload;
- sends are paced by a :class:`notifiers.throttle.Throttle` (30/s overall, 1/s per chat,
  20/min per group, with a margin); a ``RetryAfter`` is honoured for every chat before the
  next try, and retried here up to ``rate_retries`` times when short enough, else handed to the
  dispatcher as ``RateLimited``;
- every PTB error is translated at this boundary (:func:`map_telegram_errors`): flood control →
  ``RateLimited``; blocked bot, deleted/unknown chat → ``RecipientUnreachable``; a message
  Telegram refuses → :class:`MessageRejected` (permanent, not the recipient's fault); time-outs
  and network trouble → ``TransientDeliveryError`` (outcome unknown, the dispatcher retries);
- the ``Bot`` is initialised once per event loop and reused; :meth:`TelegramNotifier.shutdown`
  releases it. Calling ``send`` from a new loop (repeated ``asyncio.run``) starts a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from html import escape, unescape
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from engine.errors import (
    DeliveryError,
    RateLimited,
    RecipientUnreachable,
    TransientDeliveryError,
)
from engine.inputs import printable
from engine.outbox.channel import Outgoing, OutgoingFile
from notifiers.throttle import PaceLimits, Throttle

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
MAX_TEXT = 4096
"""Telegram's limit on a message, in UTF-16 code units after entity parsing."""
MAX_CAPTION = 1024
"""Telegram's limit on a photo's or document's caption (same units)."""
PHOTO_MAX_BYTES = 10 * 1024 * 1024
"""Largest photo ``sendPhoto`` takes; bigger images go as documents."""
PHOTO_TYPES = ("image/jpeg", "image/png")

_CHAT_GONE = ("chat not found", "user is deactivated", "peer_id_invalid", "bot was kicked",
              "not enough rights to send", "have no rights to send", "chat_write_forbidden",
              "group chat was deactivated", "bot is not a member")


class MessageRejected(RecipientUnreachable):
    """Telegram refused the message itself (bad markup, too long …): permanent on this channel,
    but not a sign that the recipient is unreachable (``recipient_fault`` is False)."""

    recipient_fault = False


def retry_after_seconds(exc: RetryAfter) -> float:
    """``RetryAfter.retry_after`` as seconds (PTB 22 gives an int or a timedelta and warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def translate(exc: TelegramError) -> DeliveryError:
    """The duban error for a PTB error; subclasses are matched before their bases."""
    if isinstance(exc, RetryAfter):
        return RateLimited(retry_after_seconds(exc))
    if isinstance(exc, Forbidden):
        return RecipientUnreachable(f"对方已屏蔽或停用机器人，消息无法送达（{exc.message}）")
    if isinstance(exc, ChatMigrated):
        return RecipientUnreachable(f"该群已升级为超级群（新编号 {exc.new_chat_id}），请重新绑定")
    if isinstance(exc, BadRequest):
        if any(mark in exc.message.lower() for mark in _CHAT_GONE):
            return RecipientUnreachable(f"聊天不存在或机器人无权发言（{exc.message}）")
        return MessageRejected(f"Telegram 拒收此消息：{exc.message}")
    if isinstance(exc, TimedOut):
        return TransientDeliveryError("发送 Telegram 消息超时，结果未知，稍后重试")
    if isinstance(exc, InvalidToken):
        return TransientDeliveryError("Telegram 机器人令牌被拒绝，请检查 DUBAN_TELEGRAM_TOKEN")
    if isinstance(exc, EndPointNotFound):
        return TransientDeliveryError("Telegram 接口地址无效，请检查 DUBAN_TELEGRAM_BASE_URL")
    if isinstance(exc, Conflict):
        return TransientDeliveryError(f"Telegram 接口冲突：{exc.message}")
    if isinstance(exc, NetworkError):
        return TransientDeliveryError(f"Telegram 网络故障，稍后重试（{exc.message}）")
    return TransientDeliveryError(f"Telegram 错误，稍后重试（{exc.message}）")


@contextmanager
def map_telegram_errors() -> Iterator[None]:
    """Re-raise any PTB error inside the block as its duban ``DeliveryError``."""
    try:
        yield
    except TelegramError as exc:
        raise translate(exc) from exc


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def message_html(message: Outgoing, limit: int = MAX_TEXT) -> str:
    """The HTML to send: the row's HTML, or its escaped text; cut to ``limit`` (Telegram's
    limit on a message, or on a caption). Control and bidi characters an older row may hold
    are shown as visible stand-ins."""
    html = printable(message.html or escape(message.text))
    plain = unescape(re.sub(r"<[^>]+>", "", html))
    if _utf16_len(plain) <= limit:
        return html
    note = "\n…（内容过长，已截断，详见调度报告或 duban 命令行）"
    keep, used = [], _utf16_len(note)
    for char in printable(message.text):
        used += _utf16_len(char)
        if used > limit:
            break
        keep.append(char)
    return escape("".join(keep) + note)


def keyboard(actions: tuple[tuple[str, str], ...]) -> InlineKeyboardMarkup | None:
    """Inline buttons in one row, or ``None`` without actions."""
    if not actions:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)
                                  for text, data in actions]])


class TelegramNotifier:
    """Delivers to ``Outgoing.telegram_chat_id`` through the Bot API at ``base_url``."""

    name = "telegram"

    def __init__(
        self, *, token: str, base_url: str = DEFAULT_BASE_URL, throttle: Throttle | None = None,
        limits: PaceLimits | None = None, read_timeout: float = 10.0,
        connect_timeout: float = 5.0, pool_size: int = 32, rate_retries: int = 3,
    ) -> None:
        self.token = token
        self.base_url = base_url
        self.throttle = throttle or Throttle(limits)
        self.read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        self.pool_size = pool_size
        self.rate_retries = rate_retries
        self.rate_limited = 0
        self._bot: Bot | None = None
        self._ready: asyncio.Task[Bot] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def accepts(self, message: Outgoing) -> bool:
        return message.telegram_chat_id is not None

    async def initialize(self) -> Bot:
        """The ``Bot`` for the running loop, initialised once (``getMe``)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._ready is None:
            # A new loop: the old client's connections belong to a finished loop; drop them.
            self._loop, self._bot = loop, None
            self._ready = loop.create_task(self._start_bot())
        return await asyncio.shield(self._ready)

    async def _start_bot(self) -> Bot:
        request = HTTPXRequest(connection_pool_size=self.pool_size,
                               read_timeout=self.read_timeout,
                               connect_timeout=self.connect_timeout, pool_timeout=self.read_timeout)
        bot = Bot(self.token, base_url=self.base_url, request=request)
        try:
            with map_telegram_errors():
                await bot.initialize()
        except BaseException:
            self._ready = None
            with contextlib.suppress(Exception):
                await bot.shutdown()  # close the HTTP client of the failed attempt
            raise
        self._bot = bot
        return bot

    async def shutdown(self) -> None:
        """Close the HTTP client of the current loop's ``Bot`` (safe to call twice; a ``Bot`` of
        a finished loop is simply dropped)."""
        bot, loop = self._bot, self._loop
        self._bot, self._ready, self._loop = None, None, None
        if bot is not None and loop is asyncio.get_running_loop():
            await bot.shutdown()

    async def send(self, message: Outgoing) -> str | None:
        """Send one message; return Telegram's message id. Raises ``DeliveryError`` subclasses."""
        chat_id = message.telegram_chat_id
        if chat_id is None:
            raise RecipientUnreachable(f"{message.recipient_name} 尚未绑定 Telegram")
        bot = await self.initialize()
        for attempt in range(self.rate_retries + 1):
            ticket = await self.throttle.acquire(chat_id)
            try:
                sent = await self._send_once(bot, chat_id, message)
                return str(sent.message_id)
            except RateLimited as exc:
                self.rate_limited += 1
                self.throttle.penalize(exc.retry_after)
                if attempt == self.rate_retries or exc.retry_after > self.throttle.max_wait:
                    raise
            finally:
                self.throttle.release(ticket)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_once(self, bot: Bot, chat_id: int, message: Outgoing) -> Message:
        markup = keyboard(message.actions)
        if message.file is None:
            with map_telegram_errors():
                return await bot.send_message(chat_id=chat_id, text=message_html(message),
                                              parse_mode=ParseMode.HTML, reply_markup=markup)
        caption = message_html(message, MAX_CAPTION)
        ways = _ways(message.file)
        for index, (method, file_id) in enumerate(ways):
            try:
                with map_telegram_errors():
                    return await self._post_file(bot, chat_id, message.file, method, file_id,
                                                 caption, markup)
            except MessageRejected:
                if index == len(ways) - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    async def _post_file(bot: Bot, chat_id: int, file: OutgoingFile, method: str,
                         file_id: str | None, caption: str,
                         markup: InlineKeyboardMarkup | None) -> Message:
        stream = None if file_id else file.open()
        try:
            content: Any = file_id if stream is None else InputFile(stream, filename=file.name)
            if method == "photo":
                return await bot.send_photo(chat_id=chat_id, photo=content, caption=caption,
                                            parse_mode=ParseMode.HTML, reply_markup=markup)
            return await bot.send_document(chat_id=chat_id, document=content, caption=caption,
                                           parse_mode=ParseMode.HTML, reply_markup=markup,
                                           filename=None if file_id else file.name)
        finally:
            if stream is not None:
                stream.close()


def _ways(file: OutgoingFile) -> list[tuple[str, str | None]]:
    """How to send ``file``, in order: Telegram's own copy (if it came from Telegram), then an
    upload as a photo (JPEG/PNG up to 10 MB) or a document, then as a document."""
    as_photo = file.mime in PHOTO_TYPES and file.size <= PHOTO_MAX_BYTES
    ways: list[tuple[str, str | None]] = []
    if file.source and file.source.startswith("telegram-"):
        kind, _, file_id = file.source.partition(":")
        ways.append(("photo" if kind == "telegram-photo" else "document", file_id))
    ways.append(("photo" if as_photo else "document", None))
    if as_photo:
        ways.append(("document", None))
    return ways
