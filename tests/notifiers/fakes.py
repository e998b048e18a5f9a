"""Shared helpers for the notifier tests: a fake clock that never really sleeps, messages, and
the bot running against the Bot API stub."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import socket
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from engine.outbox.channel import Outgoing
from tests.support.botapi_stub import BotApiStub


class FakeTime:
    """A monotonic clock for the throttle *and* the Bot API stub: ``sleep`` only moves it on.

    Sleepers wake in the order of their wake-up times: the clock jumps to the earliest one once
    every other coroutine had the chance to run (or to fall asleep itself).
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._sleepers: list[tuple[float, int]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        entry = (self.now + max(seconds, 0.0), next(self._seq))
        self.slept.append(seconds)
        heapq.heappush(self._sleepers, entry)
        try:
            while self.now < entry[0]:
                for _ in range(5):
                    await asyncio.sleep(0)
                if self._sleepers[0] == entry:
                    self.now = entry[0]
        finally:
            self._sleepers.remove(entry)
            heapq.heapify(self._sleepers)


def outgoing(chat_id: int | None = 42, *, message_id: int = 1, text: str = "【督办交办】请及时签收",
             html: str | None = None, actions: tuple[tuple[str, str], ...] = (),
             email: str | None = None, channels: tuple[str, ...] = ()) -> Outgoing:
    return Outgoing(message_id=message_id, kind="assigned", recipient_id=None,
                    recipient_name="张联络", subject="督办交办：DB-2024-0001 开展隐患排查",
                    text=text, html=html, telegram_chat_id=chat_id, email=email,
                    channels=channels, actions=actions)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotSession:
    """The bot running against the stub inside one event loop; ``ask``/``press`` await replies."""

    def __init__(self, stub: BotApiStub, engine: Engine, clock: Callable[[], datetime],
                 album_wait: float = 0.3) -> None:
        self.stub, self.engine, self.clock, self.album_wait = stub, engine, clock, album_wait
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> BotSession:
        from bot.app import run_bot

        self._task = asyncio.create_task(run_bot(
            engine=self.engine, token=self.stub.token, base_url=self.stub.base_url,
            clock=self.clock, stop=self._stop, poll_timeout=1, album_wait=self.album_wait))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._task is not None
        await self._task

    def _latest(self) -> int:
        return max((m.message_id for m in self.stub.sent), default=0)

    async def ask(self, chat_id: int, text: str) -> str:
        """Send ``text`` from ``chat_id``; return the bot's answer in that chat."""
        after = self._latest()
        self.stub.push_message(chat_id, text)
        return await self._reply(chat_id, after)

    async def send(self, chat_id: int, push: Callable[[], object]) -> str:
        """Run ``push`` (a photo, a document, an album from ``chat_id``); return the answer."""
        after = self._latest()
        push()
        return await self._reply(chat_id, after)

    async def press(self, chat_id: int, data: str) -> tuple[str, str | None]:
        """Press a button with ``data``; return (the answer message, the toast)."""
        after = self._latest()
        query = self.stub.push_callback(chat_id, data)["callback_query"]["id"]
        text = await self._reply(chat_id, after)
        toast = [a.text for a in self.stub.callback_answers if a.callback_query_id == query]
        return text, toast[0] if toast else None

    async def _reply(self, chat_id: int, after: int) -> str:
        message = await self.stub.wait_for_async(
            lambda m: m.chat_id == chat_id and m.message_id > after, timeout=10)
        return message.text
