"""Serving the console with uvicorn inside an event loop that someone else owns.

``duban web``, ``duban demo --serve`` and ``duban serve`` (beside the scheduler, the dispatcher
and the bot) all run the console through :class:`ConsoleServer`. Guarantees:

- the listening socket is bound before anything else starts (:func:`bind`), so a busy port is
  a Chinese error at once, not a log line from a task that died later;
- uvicorn never touches the process's signal handlers: the owner of the loop decides what
  SIGINT and SIGTERM do (uvicorn 0.55's ``Server.serve`` replaces them with ``signal.signal``
  and raises the captured signal again when it returns, which would turn a clean Ctrl-C into a
  ``KeyboardInterrupt`` after the loop's own handlers are gone);
- when the ``stop`` event is set (or the task running :meth:`ConsoleServer.run` is cancelled)
  the server stops accepting, lets requests in flight finish for up to
  :data:`GRACEFUL_SECONDS`, and only then returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn

from engine.errors import InvalidInput

if TYPE_CHECKING:
    from web.config import WebConfig

log = logging.getLogger(__name__)

GRACEFUL_SECONDS = 5.0
"""Seconds requests in flight may take to finish once the console is asked to stop."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when ``host`` is an IPv6 address); raises
    ``InvalidInput`` with the reason in Chinese when the address cannot be used."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        reason = "端口已被占用" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise InvalidInput(f"网页控制台无法在 {host}:{port} 监听：{reason}"
                           "（可用 --port 换一个端口）") from None
    sock.set_inheritable(True)
    return sock


def address(sock: socket.socket) -> str:
    """The console's local address, ``http://host:port/``, as bound."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


class _LoopOwnedServer(uvicorn.Server):
    """A uvicorn server that leaves the signal handlers to the loop's owner."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ConsoleServer:
    """The console of ``config`` on an already bound socket; :meth:`run` serves until stopped."""

    def __init__(self, config: WebConfig, sock: socket.socket) -> None:
        self.config = config
        self.sock = sock
        self.address = address(sock)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set or this task is cancelled, then shut down gracefully.

        Sets ``stop`` itself if the server ends on its own (it could not start), so that whoever
        runs beside it stops too rather than carrying on without a console.
        """
        from web.app import create_app

        app = create_app(self.config)
        server = _LoopOwnedServer(uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off",
            timeout_graceful_shutdown=int(GRACEFUL_SECONDS)))
        serving = asyncio.create_task(server.serve(sockets=[self.sock]))
        waiting = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({serving, waiting}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            server.should_exit = True
            waiting.cancel()
            await self._finish(serving, stop)
            app.state.engine.dispose()

    async def _finish(self, serving: asyncio.Task[None], stop: asyncio.Event) -> None:
        try:
            await serving
        except (Exception, SystemExit):  # noqa: BLE001 - uvicorn exits on a failed start-up
            log.exception("web console stopped with an error")
        if not stop.is_set():
            log.error("web console ended on its own; stopping")
            stop.set()
        self.sock.close()


async def serve_until_signal(console: ConsoleServer) -> None:
    """Run ``console`` until SIGINT (Ctrl-C) or SIGTERM; returns normally on either."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await console.run(stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
