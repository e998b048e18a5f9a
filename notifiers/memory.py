"""An in-memory channel for tests and benchmarks, with scripted failures."""

from __future__ import annotations

from collections import Counter

from engine.errors import RateLimited, RecipientUnreachable, TransientDeliveryError
from engine.outbox.channel import Outgoing


class MemoryNotifier:
    """Records every delivered message; can fail the next ``n`` sends or always.

    ``fail_next(n)`` makes the next n sends raise ``TransientDeliveryError``;
    ``fail_always = True`` makes every send fail; ``unreachable`` holds recipient ids that are
    permanently unreachable; ``rate_limit_next(n, retry_after)`` answers with ``RateLimited``.
    """

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self.sent: list[Outgoing] = []
        self.fail_always = False
        self.unreachable: set[int] = set()
        self._fail_next = 0
        self._rate_limited_next = 0
        self._retry_after = 1.0
        self.attempts = 0

    def accepts(self, message: Outgoing) -> bool:
        return True

    def fail_next(self, n: int) -> None:
        self._fail_next = n

    def rate_limit_next(self, n: int, retry_after: float) -> None:
        self._rate_limited_next, self._retry_after = n, retry_after

    async def send(self, message: Outgoing) -> str | None:
        self.attempts += 1
        if message.recipient_id in self.unreachable:
            raise RecipientUnreachable(f"{message.recipient_name} 无法接收消息")
        if self._rate_limited_next > 0:
            self._rate_limited_next -= 1
            raise RateLimited(self._retry_after)
        if self.fail_always or self._fail_next > 0:
            self._fail_next = max(0, self._fail_next - 1)
            raise TransientDeliveryError("模拟的通道故障")
        self.sent.append(message)
        return f"mem-{len(self.sent)}"

    def delivered_ids(self) -> Counter[int]:
        """How many times each outbox message id was delivered (a duplicate shows as 2+)."""
        return Counter(m.message_id for m in self.sent)
