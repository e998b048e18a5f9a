"""``duban board``, ``duban audit verify`` and ``duban demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.main import app
from cli.options import JsonOpt, NowOpt, OperatorOpt, ReaderOpt
from cli.render import print_board
from cli.runtime import actor, done, emit_json, moment, open_session, parse_moment

audit_app = typer.Typer(help="审计", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@app.command()
def board(as_: ReaderOpt = None, now: NowOpt = None, json_out: JsonOpt = False) -> None:
    """各单位红黄绿灯看板。"""
    from engine.read.tasks import board as build_board

    parse_moment(now)
    with open_session(read_only=True) as session:
        rows = build_board(session=session, actor=actor(session, as_),
                           now=moment(session, now, writes=False))
    if json_out:
        emit_json([r.to_json() for r in rows])
    else:
        print_board(rows, title="督办看板（按牵头单位）")


@audit_app.command("verify")
def audit_verify(
    as_: OperatorOpt = None,
    anchor: Annotated[list[str] | None, typer.Option(
        "--anchor", help="已公布的审计锚点 序号:哈希（每日调度、情况通报末尾所印），可重复")] = None,
    json_out: JsonOpt = False,
) -> None:
    """校验审计链（以审计密钥签名）：任何事件被改动、删除、插入，或链尾被截断（对照已公布的锚点），都会被发现。"""
    from engine.tasks.audit_verify import parse_anchor, verify

    anchors = [parse_anchor(value) for value in anchor or []]
    with open_session(read_only=True) as session:
        report = verify(session=session, actor=actor(session, as_), anchors=anchors)
    if json_out:
        emit_json({"ok": True, "events": report.events,
                   "head": str(report.head) if report.head else None,
                   "anchors": [str(a) for a in report.anchors]})
        return
    checked = f"，与 {len(anchors)} 个已公布锚点相符" if anchors else ""
    head = f"；当前锚点 {report.head}" if report.head else ""
    done(f"审计链完整：共 {report.events} 条事件{checked}{head}")


@audit_app.command("anchor")
def audit_anchor(json_out: JsonOpt = False) -> None:
    """显示审计链当前锚点（最新事件的序号:哈希），供抄录或公布到库外。"""
    from engine.tasks.audit import chain_anchor

    with open_session(read_only=True) as session:
        anchor = chain_anchor(session)
    if json_out:
        emit_json({"anchor": str(anchor) if anchor else None})
        return
    done(f"审计锚点：{anchor}" if anchor else "审计链尚无事件")


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="演示数据目录")] = Path("duban-demo"),
    days: Annotated[int, typer.Option("--days", help="模拟天数")] = 30,
    json_out: JsonOpt = False,
    serve: Annotated[bool, typer.Option("--serve", help="演示结束后在网页控制台中打开示例城市")] = False,
    host: Annotated[str, typer.Option("--host", help="网页控制台监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="网页控制台端口")] = 8000,
) -> None:
    """演示：建一个示例城市，登记批示、会议、督查事项，模拟一个月的办理与督办。"""
    from demo.run import run_demo

    figures = run_demo(directory=directory, days=days, json_out=json_out)
    if serve:
        _serve_demo(directory, figures, host=host, port=port)
        return
    if json_out:
        emit_json(figures)


def _serve_demo(directory: Path, figures: dict, host: str, port: int) -> None:  # type: ignore[type-arg]
    """Serve the demo database in the console, its clock running on from the demo's last day."""
    from datetime import datetime

    from rich.table import Table

    from cli.commands_web import serve_console
    from cli.runtime import console
    from demo.console import set_demo_passwords
    from web.config import from_env, moved_clock

    end = datetime.fromisoformat(figures["end"])
    accounts = set_demo_passwords(directory / "duban.db", now=end)
    table = Table("姓名", "角色", "密码", title="演示账号（密码每次运行重新生成）")
    for account in accounts:
        table.add_row(account.name, account.role, account.password)
    console.print(table)
    config = from_env(database_url=f"sqlite:///{directory / 'duban.db'}", clock=moved_clock(end))
    serve_console(config, host=host, port=port)
