"""Pacing outgoing messages below a messenger's flood limits (Telegram: 30/s overall, 1/s per
private chat, 20/min per group).

The server counts a message at some moment between our request leaving and its answer coming
back. Every send is therefore a :class:`Ticket` from :meth:`Throttle.acquire` (when it leaves)
to :meth:`Throttle.release` (when it is answered), and a message counts against a window from
its *start* until one window length after its *answer* (while in flight: always). Whatever the
network jitter, the server can then never see more than the limit in any window.

Guarantees:

- overall, fewer than ``global_per_second`` messages are counted at the moment a new one starts,
  and two starts are at least ``min_gap`` apart (half the average spacing: a sender that fell
  behind may catch up, but never in a burst);
- a private chat (positive id) gets its next message ``chat_interval`` after the previous one
  was answered; a group (negative id) gets at most ``group_per_minute`` counted in a minute;
  every window is widened by ``margin`` (a fraction) for clock differences;
- after a ``RetryAfter`` (:meth:`Throttle.penalize`) no message starts before the penalty ends,
  for every chat — the server does not say which limit it applied, so all are honoured;
- a decision to start takes no await, so concurrent coroutines never overshoot a limit; a busy
  chat does not hold up the others;
- a send that would have to wait longer than ``max_wait`` is refused at once with
  :class:`engine.errors.RateLimited` (the dispatcher re-queues it) instead of stalling a pass;
- the throttle holds no event-loop objects: it survives repeated ``asyncio.run`` calls.

Clock and sleep are injectable so tests never really sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from engine.errors import RateLimited

POLL = 0.01
"""Seconds between checks while the only thing to wait for is a send still in flight."""
CHAT_PRUNE_AT = 10_000
"""Remembered chats above which chats idle for longer than their interval are forgotten."""


@dataclass(frozen=True)
class PaceLimits:
    """The limits to stay under; 0 disables one. ``margin`` widens every window (fraction)."""

    global_per_second: float = 30.0
    chat_interval: float = 1.0
    group_per_minute: float = 20.0
    margin: float = 0.01

    @classmethod
    def off(cls) -> PaceLimits:
        """No pacing at all (tests that are not about limits; penalties still apply)."""
        return cls(global_per_second=0, chat_interval=0, group_per_minute=0, margin=0)

    @property
    def global_window(self) -> float:
        return 1.0 + self.margin

    @property
    def min_gap(self) -> float:
        """Smallest spacing of two starts overall: half the average spacing."""
        return self.global_window / self.global_per_second / 2 if self.global_per_second else 0.0

    @property
    def chat_gap(self) -> float:
        return self.chat_interval * (1 + self.margin)

    @property
    def group_window(self) -> float:
        return 60.0 * (1 + self.margin)


@dataclass
class Ticket:
    """One send: when it left and when its answer came back (``None`` while in flight)."""

    chat_id: int
    started: float
    done: float | None = None


def _counted(tickets: Iterable[Ticket], since: float) -> list[Ticket]:
    return [t for t in tickets if t.done is None or t.done > since]


def _wait_for_window(tickets: Iterable[Ticket], now: float, window: float, limit: int) -> float:
    """Seconds until fewer than ``limit`` tickets count in ``window`` (``POLL`` if in flight)."""
    counted = _counted(tickets, now - window)
    if len(counted) < limit:
        return 0.0
    answered = sorted(t.done for t in counted if t.done is not None)
    excess = len(counted) - limit  # this many more must leave the window first
    if excess < len(answered):
        return max(answered[excess] + window - now, POLL / 10)
    return POLL


class Throttle:
    """Pacing for one bot token (share one instance between all its senders)."""

    def __init__(
        self,
        limits: PaceLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_wait: float = 30.0,
        penalty_margin: float = 0.05,
    ) -> None:
        self.limits = limits or PaceLimits()
        self.clock = clock
        self.sleep = sleep
        self.max_wait = max_wait
        self.penalty_margin = penalty_margin
        self.blocked_until = float("-inf")
        self.penalties = 0
        self._recent: deque[Ticket] = deque()
        self._chats: dict[int, deque[Ticket]] = {}
        self._last_start = float("-inf")

    async def acquire(self, chat_id: int) -> Ticket:
        """Wait until a message to ``chat_id`` may leave; the caller must :meth:`release` it.

        Raises ``RateLimited(wait)`` without starting anything when the wait would exceed
        ``max_wait``.
        """
        while True:
            now = self.clock()
            wait = self.wait_time(chat_id, now)
            if wait <= 0:
                return self._start(chat_id, now)
            if wait > self.max_wait:
                raise RateLimited(wait, f"发送过于集中，需等待 {wait:.0f} 秒")
            await self.sleep(wait)

    def release(self, ticket: Ticket) -> None:
        """The send's answer came (or it failed): it counts for one more window from now."""
        if ticket.done is None:
            ticket.done = self.clock()

    def penalize(self, retry_after: float) -> None:
        """Honour a server's ``retry_after``: no message starts before it has passed."""
        self.penalties += 1
        until = self.clock() + retry_after + self.penalty_margin
        self.blocked_until = max(self.blocked_until, until)

    def wait_time(self, chat_id: int, now: float) -> float:
        """Seconds before a message to ``chat_id`` may start (0: now)."""
        limits = self.limits
        waits = [self.blocked_until - now]
        if limits.global_per_second:
            self._prune(now)
            waits.append(self._last_start + limits.min_gap - now)
            waits.append(_wait_for_window(self._recent, now, limits.global_window,
                                          int(limits.global_per_second)))
        mine = self._chats.get(chat_id)
        if mine:
            if chat_id < 0 and limits.group_per_minute:
                waits.append(_wait_for_window(mine, now, limits.group_window,
                                              int(limits.group_per_minute)))
            elif chat_id > 0 and limits.chat_interval:
                last = mine[-1]
                waits.append(POLL if last.done is None else last.done + limits.chat_gap - now)
        return max(waits)

    def _start(self, chat_id: int, now: float) -> Ticket:
        ticket = Ticket(chat_id, now)
        self._last_start = now
        if self.limits.global_per_second:
            self._recent.append(ticket)
        keep = int(self.limits.group_per_minute) if chat_id < 0 else 1
        self._chats.setdefault(chat_id, deque(maxlen=max(keep, 1))).append(ticket)
        if len(self._chats) > CHAT_PRUNE_AT:
            self._prune_chats(now)
        return ticket

    def _prune(self, now: float) -> None:
        horizon = now - self.limits.global_window
        while self._recent and self._recent[0].done is not None and self._recent[0].done <= horizon:
            self._recent.popleft()

    def _prune_chats(self, now: float) -> None:
        horizon = now - max(self.limits.group_window, self.limits.chat_gap)
        self._chats = {c: q for c, q in self._chats.items()
                       if any(t.done is None or t.done > horizon for t in q)}
