"""``duban web``: the web console, served by uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.main import app
from cli.options import NowOpt
from cli.runtime import console, database_url, moment, open_session, parse_moment

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


def serve_console(config: object, *, host: str, port: int) -> None:
    """Serve ``config``'s console until Ctrl-C, printing where it listens."""
    import uvicorn

    from web.app import create_app

    app_ = create_app(config)  # type: ignore[arg-type]
    console.print(f"网页控制台：http://{host}:{port}/  （Ctrl-C 停止）")
    uvicorn.run(app_, host=host, port=port, log_level="warning", access_log=False)
    console.print("网页控制台已停止")
