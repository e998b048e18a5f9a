"""``duban web``: the web console, served by uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cli.main import app
from cli.options import NowOpt
from cli.runtime import console, database_url, moment, open_session, parse_moment

if TYPE_CHECKING:
    from web.config import WebConfig

HostOpt = Annotated[str, typer.Option("--host", help="监听地址（对外服务请放在反向代理之后）")]
PortOpt = Annotated[int, typer.Option("--port", min=1, max=65535, help="监听端口")]
WorkersOpt = Annotated[int, typer.Option(
    "--workers", min=1, max=32,
    help="工作进程数：多核服务器上设为核数，可同时处理更多请求（默认 1）")]


@app.command()
def web(host: HostOpt = "127.0.0.1", port: PortOpt = 8000, workers: WorkersOpt = 1,
        now: NowOpt = None) -> None:
    """运行网页控制台（督查室、领导和责任单位登录使用；Ctrl-C 停止）。"""
    from web.config import from_env, moved_clock

    parse_moment(now)
    with open_session(read_only=True) as session:
        # The console writes: a moved clock only on a simulation database.
        start = moment(session, now, writes=True) if now is not None else None
    config = from_env(database_url=database_url(),
                      clock=moved_clock(start) if start is not None else None)
    serve_console(config, host=host, port=port, workers=workers)


def serve_console(config: WebConfig, *, host: str, port: int, workers: int = 1) -> None:
    """Serve ``config``'s console until Ctrl-C (or SIGTERM), printing where it listens; from
    ``workers`` processes when more than one (:mod:`web.workers`)."""
    import asyncio

    from engine.errors import DubanError
    from web.server import ConsoleServer, address, bind, serve_until_signal
    from web.workers import run_workers

    sock = bind(host, port)
    if workers == 1:
        console.print(f"网页控制台：{address(sock)}  （Ctrl-C 停止）")
        asyncio.run(serve_until_signal(ConsoleServer(config, sock)))
    else:
        console.print(f"网页控制台：{address(sock)}  （{workers} 个工作进程，Ctrl-C 停止）")
        if not run_workers(config, sock, workers):
            raise DubanError("网页控制台的工作进程无法启动，已全部停止（请检查数据库是否可用，"
                             "详情见日志）")
    console.print("网页控制台已停止")
