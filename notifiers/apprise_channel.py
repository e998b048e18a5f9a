"""The Apprise channel: email, DingTalk, WeCom, Feishu … robots, by URL per person.

Guarantees:

- a person's targets are their ``channels`` (Apprise URLs) in their configured order, then
  their email address through the configured mail server (``DUBAN_SMTP_URL``), unless a
  ``mailto`` channel already names that address;
- targets are tried one after the other until one accepts the message; each failure before it
  is logged and kept in :attr:`AppriseNotifier.failures`, and it is named in the value
  ``send`` returns; when every target fails, the raised error names each one (secrets masked);
- errors are translated at this boundary: an address Apprise cannot parse is permanent
  (``RecipientUnreachable`` when every target is like that), anything else Apprise reports or
  raises is ``TransientDeliveryError`` (the dispatcher retries later);
- Apprise is synchronous: each attempt runs in a worker thread, so the event loop (and the
  Telegram bot sharing it) keeps running.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from engine.errors import DeliveryError, RecipientUnreachable, TransientDeliveryError
from engine.outbox.channel import Outgoing

log = logging.getLogger(__name__)

_UNSET: Any = object()
_CAPTURE_LOCK = threading.Lock()  # Apprise logs to one global logger: one capture at a time


@dataclass(frozen=True)
class Failure:
    """One target that failed for one message."""

    message_id: int
    target: str  # the URL with its secrets masked
    error: str


def mail_url(smtp_url: str, address: str) -> str:
    """The Apprise URL that sends through ``smtp_url`` to ``address``."""
    parts = urlsplit(smtp_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "to"]
    query.append(("to", address))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else "?"


class AppriseNotifier:
    """Delivers through Apprise to the first of a person's targets that accepts the message."""

    name = "apprise"

    def __init__(self, *, smtp_url: str | None = _UNSET, timeout: float | None = None,
                 keep_failures: int = 200) -> None:
        if smtp_url is _UNSET or timeout is None:
            from config.settings import get_settings

            settings = get_settings()
            smtp_url = settings.smtp_url if smtp_url is _UNSET else smtp_url
            timeout = settings.apprise_timeout if timeout is None else timeout
        self.smtp_url: str | None = smtp_url
        self.timeout = timeout
        self.failures: deque[Failure] = deque(maxlen=keep_failures)

    def targets(self, message: Outgoing) -> list[str]:
        """The URLs tried for ``message``, in order."""
        urls = [u.strip() for u in message.channels if u and u.strip()]
        if self.smtp_url and message.email:
            named = any(_scheme(u).startswith("mailto") and message.email in u for u in urls)
            if not named:
                urls.append(mail_url(self.smtp_url, message.email))
        return urls

    def accepts(self, message: Outgoing) -> bool:
        return bool(self.targets(message))

    async def send(self, message: Outgoing) -> str | None:
        """Try each target in order; return which one delivered (and which failed before it)."""
        errors: list[DeliveryError] = []
        notes: list[str] = []
        for url in self.targets(message):
            try:
                shown = await asyncio.to_thread(self._notify, url, message)
            except DeliveryError as exc:
                errors.append(exc)
                notes.append(str(exc))
                self.failures.append(Failure(message.message_id, _scheme(url), str(exc)))
                log.warning("apprise target failed for message %s: %s", message.message_id, exc)
                continue
            return shown + (f"（此前失败：{'；'.join(notes)}）" if notes else "")
        if not errors:
            raise RecipientUnreachable(f"{message.recipient_name} 没有可用的通知地址")
        joined = "；".join(notes)
        if all(isinstance(e, RecipientUnreachable) for e in errors):
            raise RecipientUnreachable(joined)
        raise TransientDeliveryError(joined)

    def _notify(self, url: str, message: Outgoing) -> str:
        """One synchronous attempt (runs in a worker thread); returns the masked target."""
        import apprise

        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            raise RecipientUnreachable(f"通知地址无效（{_scheme(url)}://…），请检查人员的通知渠道配置")
        shown = plugin.url(privacy=True)
        plugin.socket_connect_timeout = plugin.socket_read_timeout = self.timeout
        box = apprise.Apprise()
        box.add(plugin)
        try:
            with _CAPTURE_LOCK, apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as logs:
                ok = box.notify(body=message.text, title=message.subject or "督办通知",
                                body_format=apprise.NotifyFormat.TEXT)
                detail = logs.getvalue().strip().splitlines()
        except Exception as exc:  # noqa: BLE001 - the boundary: Apprise's own errors are translated
            raise TransientDeliveryError(f"{_scheme(url)} 发送出错：{exc}") from exc
        if not ok:
            reason = detail[-1] if detail else "对方未接受"
            raise TransientDeliveryError(f"{shown.split('?', 1)[0]} 发送失败：{reason}")
        return shown.split("?", 1)[0]
