"""A channel that appends each delivered message id to a file, one per line, flushed and
fsync'ed before the send returns.

It exists to observe deliveries from outside the dispatcher's process: the SIGKILL reliability
tests count the ids in the file to prove that every message went out and that a kill repeats at
most the one message in flight. ``delay`` (seconds per send) stands in for a slow channel.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from engine.errors import TransientDeliveryError
from engine.outbox.channel import Outgoing


class FileNotifier:
    """Appends ``<message id>\\n`` to ``path`` for every message; accepts every recipient."""

    name = "file"

    def __init__(self, path: Path, *, delay: float = 0.0) -> None:
        self.path = Path(path)
        self.delay = delay

    def accepts(self, message: Outgoing) -> bool:
        return True

    async def send(self, message: Outgoing) -> str | None:
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        try:
            # One write() of one short line: a kill lands before or after it, never inside.
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(f"{message.message_id}\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise TransientDeliveryError(f"写入文件 {self.path} 失败：{exc.strerror or exc}") from exc
        return None
