"""Building the configured channels, in the order they are tried for each message."""

from __future__ import annotations

from config.settings import Settings
from engine.errors import InvalidInput
from engine.outbox.channel import Notifier

KNOWN = ("telegram", "apprise", "console", "file")


def build_notifiers(settings: Settings, *, compact_console: bool = False) -> list[Notifier]:
    """The channels named in ``settings.notifiers``; Telegram only when a token is set.

    Heavy client libraries are imported only for the channels actually used.
    """
    out: list[Notifier] = []
    for name in settings.notifiers:
        if name not in KNOWN:
            raise InvalidInput(f"未知的通知渠道“{name}”，可用：{'、'.join(KNOWN)}")
        if name == "telegram" and settings.telegram_token:
            from notifiers.telegram import TelegramNotifier

            out.append(TelegramNotifier(token=settings.telegram_token,
                                        base_url=settings.telegram_base_url))
        elif name == "apprise":
            from notifiers.apprise_channel import AppriseNotifier

            out.append(AppriseNotifier())
        elif name == "console":
            from notifiers.console import ConsoleNotifier

            out.append(ConsoleNotifier(compact=compact_console))
        elif name == "file":
            out.append(_file_notifier(settings))
    return out


def _file_notifier(settings: Settings) -> Notifier:
    from notifiers.file_channel import FileNotifier

    if settings.file_channel_path is None:
        raise InvalidInput("使用 file 通知渠道须设置 DUBAN_FILE_CHANNEL_PATH（投递记录文件）")
    return FileNotifier(settings.file_channel_path, delay=settings.file_channel_delay)
