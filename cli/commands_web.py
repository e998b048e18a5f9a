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


@app.command()
def web(host: HostOpt = "127.0.0.1", port: PortOpt = 8000, now: NowOpt = None) -> None:
    """运行网页控制台（督查室、领导和责任单位登录使用；Ctrl-C 停止）。"""
    from web.config import from_env, moved_clock

    parse_moment(now)
    with open_session(read_only=True) as session:
        # The console writes: a moved clock only on a simulation database.
        start = moment(session, now, writes=True) if now is not None else None
    config = from_env(database_url=database_url(),
                      clock=moved_clock(start) if start is not None else None)
    serve_console(config, host=host, port=port)


def serve_console(config: WebConfig, *, host: str, port: int) -> None:
    """Serve ``config``'s console until Ctrl-C (or SIGTERM), printing where it listens."""
    import asyncio

    from web.server import ConsoleServer, bind, serve_until_signal

    server = ConsoleServer(config, bind(host, port))
    console.print(f"网页控制台：{server.address}  （Ctrl-C 停止）")
    asyncio.run(serve_until_signal(server))
    console.print("网页控制台已停止")
