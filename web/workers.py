"""Several console processes on one listening socket (``duban web --workers N``).

A Python process renders one page at a time, so on a server with several cores one process
leaves the others idle while people wait: twenty clerks on two cores saw a 首页 take 1.6 s at
the median. Here the parent binds the socket once, forks the workers, and the kernel hands each
new connection to one of them. Each worker builds its own application and database engine after
the fork (no connection crosses it) and serves through :class:`web.server.ConsoleServer`.

Guarantees:

- SIGINT (Ctrl-C) or SIGTERM to the parent stops every worker gracefully — each finishes the
  requests in flight for up to :data:`web.server.GRACEFUL_SECONDS` — and :func:`run_workers`
  returns once all have exited (a worker still alive :data:`KILL_AFTER` seconds later is killed);
- a worker that dies is started again, so the console keeps its ``count`` workers; one that dies
  within :data:`START_GRACE` seconds of its start cannot start at all (the database went away,
  say), and then every worker is stopped and :func:`run_workers` returns ``False`` rather than
  restarting it in a loop.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import socket
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import TYPE_CHECKING

from web.server import GRACEFUL_SECONDS, ConsoleServer, serve_until_signal

if TYPE_CHECKING:
    from web.config import WebConfig

log = logging.getLogger(__name__)

START_GRACE = 5.0
"""Seconds after its start within which a worker's death means it cannot start."""
KILL_AFTER = GRACEFUL_SECONDS + 5.0
"""Seconds a stopping worker gets before it is killed."""
_POLL = 0.5
"""Seconds between checks of the stop flag while every worker runs."""


def _serve(config: WebConfig, sock: socket.socket) -> None:
    """A worker's life: the console on the inherited socket until SIGINT or SIGTERM."""
    # The parent's handlers only set its own flag; until the worker's loop installs its
    # handlers, a signal ends the worker the default way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    asyncio.run(serve_until_signal(ConsoleServer(config, sock)))


class _Pool:
    """The worker processes, each in its slot, with the moment it was started."""

    def __init__(self, config: WebConfig, sock: socket.socket,
                 clock: Callable[[], float]) -> None:
        # fork: the worker inherits the bound socket and the config (whose clock may be a
        # closure) as they are; nothing is pickled.
        self._context = multiprocessing.get_context("fork")
        self._config, self._sock, self._clock = config, sock, clock
        self.slots: list[tuple[BaseProcess, float]] = []

    def fill(self, count: int) -> None:
        while len(self.slots) < count:
            self.slots.append(self._start())

    def _start(self) -> tuple[BaseProcess, float]:
        process = self._context.Process(target=_serve, args=(self._config, self._sock),
                                        name="duban-web", daemon=False)
        process.start()
        return process, self._clock()

    def replace_dead(self) -> bool:
        """Start again each worker that died; ``False`` when one died during its start-up."""
        for i, (process, started) in enumerate(self.slots):
            if process.is_alive():
                continue
            if self._clock() - started < START_GRACE:
                log.error("web worker %s exited with %s during start-up", process.pid,
                          process.exitcode)
                return False
            log.warning("web worker %s exited with %s; starting another", process.pid,
                        process.exitcode)
            self.slots[i] = self._start()
        return True

    def wait_any(self, timeout: float) -> None:
        wait([process.sentinel for process, _ in self.slots], timeout=timeout)

    def stop(self) -> None:
        """SIGTERM to every worker (each stops gracefully), then wait; kill the late ones."""
        for process, _ in self.slots:
            if process.is_alive():
                process.terminate()
        deadline = self._clock() + KILL_AFTER
        for process, _ in self.slots:
            process.join(max(0.0, deadline - self._clock()))
            if process.is_alive():
                log.error("web worker %s did not stop in time; killing it", process.pid)
                process.kill()
                process.join()


def run_workers(config: WebConfig, sock: socket.socket, count: int, *,
                clock: Callable[[], float] = time.monotonic) -> bool:
    """Serve ``config``'s console from ``count`` processes on ``sock`` until SIGINT or SIGTERM
    (see the module's guarantees). ``True`` when stopped by a signal, ``False`` when a worker
    could not start. Runs in the main thread (it handles the signals)."""
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    pool = _Pool(config, sock, clock)
    healthy = True
    try:
        pool.fill(count)  # inside: a failed fork still stops the workers already started
        while not stopping and healthy:
            pool.wait_any(_POLL)
            # A Ctrl-C reaches the workers too: their exits are not failures to replace.
            if not stopping:
                healthy = pool.replace_dead()
    finally:
        pool.stop()
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return healthy
