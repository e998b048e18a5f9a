"""The Telegram bot units answer through: a python-telegram-bot ``Application`` on the engine.

Guarantees:

- each command and button press runs one action of :mod:`bot.handlers` (engine
  services, the chat's bound person as actor, ``now`` from the injected clock) in its own
  session; the answer goes out after the session is closed;
- the 反馈进展 / 申请延期 / 退回 buttons, and ``/progress 编号`` / ``/done 编号`` alone, ask for
  the chat's next message (text, or photos and files: :mod:`bot.media`): that pending state is
  kept per chat for ``PENDING_TTL`` and dropped by any command;
- photos and documents (an album is one report) become progress reports, completion or
  extension requests with files (:mod:`bot.media`);
- nothing an update causes can crash the bot or show a traceback in a chat: errors outside the
  actions are logged by the application's error handler and answered with an apology;
- replies go through PTB's ``AIORateLimiter``, which waits out every ``RetryAfter``;
- :func:`run_bot` starts the application (initialize → start → polling) and on cancellation
  or ``stop`` stops it in the reverse order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handlers import (
    APOLOGY,
    BUTTONS,
    COMMANDS,
    PENDING,
    Command,
    Reply,
    run_action,
)
from bot.media import file_url_for, on_media
from bot.state import ALBUM_WAIT, BotState, answer, install, state_of

log = logging.getLogger("notifiers.bot")

MENU = [("tasks", "本单位在办事项"), ("task", "查看事项详情"), ("ack", "签收事项"),
        ("progress", "反馈进展"), ("done", "申请办结"), ("extend", "申请延期"),
        ("summary", "调度汇总（领导）"), ("bind", "绑定身份"), ("help", "使用说明")]


async def _run(context: ContextTypes.DEFAULT_TYPE, command: Command, chat_id: int,
               rest: str) -> Reply:
    state = state_of(context)
    return run_action(state.engine, command, chat_id, rest, state.clock())


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/name rest…``: run the command (unknown ones get the help hint)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not message.text:
        return
    head, *tail = message.text.split(None, 1)
    name, rest = head[1:].split("@", 1)[0].lower(), tail[0] if tail else ""
    state_of(context).pending.pop(chat.id, None)
    command = COMMANDS.get(name)
    if command is None:
        reply = Reply(f"无法识别的命令 /{name}，发送 /help 查看可用命令。")
    else:
        reply = await _run(context, command, chat.id, rest)
    await answer(context, chat.id, reply)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text: the answer to a pending button question, else a hint."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not message.text:
        return
    pending = state_of(context).take_pending(chat.id)
    if pending is None:
        await answer(context, chat.id, Reply("请使用命令办理，发送 /help 查看可用命令。"))
        return
    kind, code, earlier = pending
    rest = " ".join(part for part in (code, earlier, message.text) if part)
    reply = await _run(context, PENDING[kind], chat.id, rest)
    await answer(context, chat.id, reply)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``ack:CODE`` / ``progress:CODE`` / ``extend:CODE`` under a reminder; ``verify:CODE`` /
    ``rate:CODE:RATING`` / ``return:CODE`` under a completion request sent to the office."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    kind, _, code = (query.data or "").partition(":")
    command = BUTTONS.get(kind)
    if command is None:
        await query.answer("无法识别的按钮")
        return
    state_of(context).pending.pop(chat.id, None)
    reply = await _run(context, command, chat.id, code)
    await query.answer((reply.toast or reply.text)[:190])
    await answer(context, chat.id, reply)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log anything a handler let through and apologise in the chat (best effort)."""
    log.error("unhandled error in the bot", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(chat_id=update.effective_chat.id, text=APOLOGY)
        except Exception:  # noqa: BLE001 - the chat may be unreachable; it is logged above
            log.warning("could not apologise to chat %s", update.effective_chat.id)


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    try:
        await app.bot.set_my_commands([BotCommand(c, d) for c, d in MENU])
    except Exception:  # noqa: BLE001 - a missing menu is cosmetic; the bot still works
        log.warning("could not set the bot's command menu", exc_info=True)


def build_application(*, engine: Engine, token: str, base_url: str,
                      clock: Callable[[], datetime], base_file_url: str | None = None,
                      album_wait: float = ALBUM_WAIT) -> Application:  # type: ignore[type-arg]
    """The bot's ``Application`` (not started), with every handler registered.

    ``base_file_url`` is where files are downloaded from (default: derived from ``base_url``);
    ``album_wait`` is how long the bot waits for the rest of an album (seconds).
    """
    # Two getUpdates connections: stopping fetches a last offset while a long poll may linger.
    app = (ApplicationBuilder().token(token).base_url(base_url)
           .base_file_url(base_file_url or file_url_for(base_url))
           .get_updates_connection_pool_size(2)
           .rate_limiter(AIORateLimiter(max_retries=3)).post_init(_post_init).build())
    install(app, BotState(engine=engine, clock=clock, album_wait=album_wait))
    app.add_handler(MessageHandler(filters.PHOTO | filters.Document.ALL, on_media))
    app.add_handler(MessageHandler(filters.COMMAND, on_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)
    return app


def utc_now() -> datetime:
    """The real clock (the bot is a boundary, like the CLI: the engine itself never reads it)."""
    return datetime.now(UTC)


async def run_bot(*, engine: Engine, token: str, base_url: str,
                  clock: Callable[[], datetime] = utc_now, stop: asyncio.Event | None = None,
                  poll_timeout: int = 10, base_file_url: str | None = None,
                  album_wait: float = ALBUM_WAIT) -> None:
    """Run the bot until ``stop`` is set or the task is cancelled, then shut it down cleanly."""
    app = build_application(engine=engine, token=token, base_url=base_url, clock=clock,
                            base_file_url=base_file_url, album_wait=album_wait)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        try:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=poll_timeout,
                                            allowed_updates=["message", "callback_query"])
            try:
                await (stop or asyncio.Event()).wait()
            finally:
                await app.updater.stop()
        finally:
            await app.stop()
    finally:
        await app.shutdown()
