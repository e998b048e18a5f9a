"""The channel protocol every notifier implements, and the message it receives.

A notifier either returns normally (delivered; optionally an external id) or raises one of
:class:`engine.errors.DeliveryError`'s subclasses: ``RateLimited`` (wait ``retry_after``),
``RecipientUnreachable`` (permanent on this channel) or ``TransientDeliveryError`` (retry later).
Third-party exceptions never leave a notifier untranslated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol, runtime_checkable


@dataclass(frozen=True)
class OutgoingFile:
    """An evidence file a message carries. ``open()`` gives a fresh stream of its content;
    ``source`` names a copy the channel already holds (``"telegram-photo:<file_id>"``)."""

    name: str
    mime: str
    kind: str
    size: int
    sha256: str
    open: Callable[[], BinaryIO]
    source: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """One outbox row, resolved to its recipient's addresses."""

    message_id: int
    kind: str
    recipient_id: int | None
    recipient_name: str
    subject: str
    text: str
    html: str | None = None
    telegram_chat_id: int | None = None
    email: str | None = None
    channels: tuple[str, ...] = ()
    actions: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    file: OutgoingFile | None = None
    """Sent as a photo or document by channels that can (Telegram), with the text as caption;
    other channels send the text alone (it names the file)."""


@runtime_checkable
class Notifier(Protocol):
    """A delivery channel."""

    name: str

    def accepts(self, message: Outgoing) -> bool:
        """Whether this channel has an address for the message's recipient."""
        ...

    async def send(self, message: Outgoing) -> str | None:
        """Deliver ``message``; raise a ``DeliveryError`` subclass on failure."""
        ...
