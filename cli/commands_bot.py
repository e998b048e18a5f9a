"""``duban bot``: the Telegram bot (its binding codes come from ``duban person invite``)."""

from __future__ import annotations

import copy
import logging

from cli.main import app
from cli.runtime import console, database_url, done, open_session

BOT_LOG = "duban-bot.log"
"""Where ``duban bot`` writes its log (INFO and up, with tracebacks)."""


@app.command("bot")
def bot() -> None:
    """运行 Telegram 机器人，供责任单位签收、反馈、申请办结和延期（Ctrl-C 停止）。"""
    import asyncio

    from config.settings import get_settings
    from engine.errors import DubanError

    settings = get_settings()
    if not settings.telegram_token:
        raise DubanError("未设置 DUBAN_TELEGRAM_TOKEN（机器人令牌），无法启动机器人")
    with open_session():
        pass  # refuses early, in Chinese, when the database is missing or not initialised
    _configure_logging(settings.log_level)
    console.print(f"督办机器人已启动，按 Ctrl-C 停止（日志：{BOT_LOG}）。")
    asyncio.run(_serve(settings.telegram_token, settings.telegram_base_url,
                       settings.telegram_base_file_url))
    done("督办机器人已停止")


class _OneLine(logging.Formatter):
    """Console lines without tracebacks (those go to the log file)."""

    def format(self, record: logging.LogRecord) -> str:
        record = copy.copy(record)
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return super().format(record)


def _configure_logging(level: str) -> None:
    """Warnings on the console in one line each; everything from INFO, with tracebacks, in
    ``BOT_LOG``."""
    console_handler = logging.StreamHandler()
    console_handler.setLevel(level.upper())
    console_handler.setFormatter(_OneLine("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    file_handler = logging.FileHandler(BOT_LOG, encoding="utf-8")
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[console_handler, file_handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise


async def _serve(token: str, base_url: str, base_file_url: str | None = None) -> None:
    """Run the bot until SIGINT/SIGTERM; PTB start-up errors become Chinese refusals."""
    import asyncio
    import signal

    from telegram.error import InvalidToken, TelegramError

    from bot.app import run_bot
    from engine.errors import DubanError
    from engine.store.db import make_engine

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = make_engine(database_url())
    try:
        await run_bot(engine=engine, token=token, base_url=base_url, stop=stop,
                      base_file_url=base_file_url)
    except InvalidToken:
        raise DubanError("Telegram 拒绝了机器人令牌，请检查 DUBAN_TELEGRAM_TOKEN") from None
    except TelegramError as exc:
        raise DubanError(f"无法连接 Telegram Bot API（{exc}），请检查网络或 "
                         "DUBAN_TELEGRAM_BASE_URL") from None
    finally:
        engine.dispose()
