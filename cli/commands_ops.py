"""Operations: ``duban tick``, ``duban summary``, ``duban dispatch``, ``duban outbox …``,
``duban serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.main import app
from cli.options import AdminOpt, JsonOpt, NowOpt, OperatorOpt
from cli.runtime import actor, console, done, emit_json, moment, open_session, parse_moment

outbox_app = typer.Typer(help="通知发件箱", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@app.command()
def tick(as_: OperatorOpt = None, now: NowOpt = None, json_out: JsonOpt = False) -> None:
    """执行一次提醒与升级督办（到期提醒、催办、督办、通报、进展滞后、回头看、周期任务）。"""
    from engine.escalation.planned import planned_json
    from engine.escalation.run import run_pass
    from engine.read.tasks import task_codes
    from engine.values import EscalationLevel, OutboxKind

    parse_moment(now)
    with open_session() as session:
        created = run_pass(session=session, actor=actor(session, as_),
                           now=moment(session, now, writes=True))
        codes = task_codes(session, [p.task_id for p in created[:200]])
    if json_out:
        emit_json(planned_json(created))
        return
    table = Table("类型", "事项编号", "级别", "接收人", title=f"本次生成通知 {len(created)} 条")
    labels = {k.value: k.label for k in OutboxKind}
    for p in created[:200]:
        level = EscalationLevel(p.level).label if p.kind == OutboxKind.ESCALATION else ""
        table.add_row(labels.get(p.kind, p.kind), codes.get(p.task_id or 0, ""), level,
                      escape(p.recipient))
    if len(created) > 200:
        table.caption = f"只列出前 200 条，共 {len(created)} 条（duban outbox list 查看全部）"
    console.print(table)


@app.command()
def summary(
    now: NowOpt = None,
    send: Annotated[bool, typer.Option("--send", help="通过发件箱推送给领导和督查室")] = False,
    reports: Annotated[Path | None, typer.Option("--reports", help="报告目录")] = None,
    as_: OperatorOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """生成每日调度（全市及各分管领导范围），保存 Markdown 报告，可 --send 推送。"""
    from config.settings import get_settings
    from engine.store.mode import is_simulation
    from engine.summary.daily import run_daily_summary

    parse_moment(now)
    with open_session() as session:
        # Without --send it only reads; at a moment other than now on a production database it
        # is a preview, not remembered as that day's summary.
        when = moment(session, now, writes=send)
        record = now is None or is_simulation(session)
        result = run_daily_summary(session=session, actor=actor(session, as_), now=when,
                                   send=send, record=record,
                                   reports_dir=reports or get_settings().reports_dir)
    assert result.whole is not None
    if json_out:
        emit_json({"date": result.local_date, "path": result.path, "queued": result.queued,
                   "whole": result.whole.to_json(),
                   "leaders": {k: v.to_json() for k, v in result.scoped.items()}})
        return
    from cli.render import summary_table

    console.print(summary_table(result.whole))
    done(f"调度报告已保存：{result.path}" + (f"；已排队推送 {result.queued} 条" if send else ""))


@app.command()
def dispatch(
    now: NowOpt = None,
    limit: Annotated[int, typer.Option("--limit", help="本次最多处理条数")] = 500,
    json_out: JsonOpt = False,
) -> None:
    """投递发件箱中到期的通知（失败自动退避重试，超过次数转为死信）。"""
    import asyncio

    from config.settings import get_settings
    from engine.outbox.dispatch import dispatch_once, release_orphans
    from engine.store.lease import this_holder
    from notifiers.registry import build_notifiers

    settings = get_settings()
    notifiers = build_notifiers(settings, compact_console=True)
    parse_moment(now)
    with open_session() as session:
        moment(session, now, writes=True)  # sending is a change: --now on a simulation only
        # Rows claimed by a dispatcher that was killed would otherwise wait for CLAIM_LEASE.
        release_orphans(session)
        clock = (lambda: parse_moment(now)) if now else (lambda: parse_moment(None))
        report = asyncio.run(dispatch_once(session=session, notifiers=notifiers, now=clock,
                                           limit=limit, worker=this_holder(),
                                           public_url=settings.public_url))
    if json_out:
        emit_json(report.as_dict())
        return
    done(f"领取 {report.claimed} 条：发送 {report.sent}，待重试 {report.retried}，死信 {report.dead}")


@outbox_app.command("list")
def outbox_list(
    status: Annotated[str | None, typer.Option("--status", help="待发送|发送中|已发送|死信|已取消（或英文）")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 100,
    as_: AdminOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """查看发件箱。"""
    from engine.errors import InvalidInput
    from engine.outbox.views import outbox_rows, outbox_stats
    from engine.values import OutboxKind, OutboxStatus

    wanted = OutboxStatus.parse(status) if status is not None else None
    if status is not None and wanted is None:
        raise InvalidInput(f"--status 的值“{status}”无效，应为：{OutboxStatus.choices()}")
    with open_session(read_only=True) as session:
        who = actor(session, as_)
        rows = outbox_rows(session=session, actor=who, status=wanted, limit=limit)
        stats = outbox_stats(session=session, actor=who)
    if json_out:
        emit_json({"stats": stats, "messages": [r.to_json() for r in rows]})
        return
    from cli.render import minute

    table = Table("ID", "类型", "事项编号", "级别", "接收人", "状态", "尝试", "下次尝试", "渠道", "错误",
                  title="发件箱：" + "，".join(f"{OutboxStatus(k).label} {v}" for k, v in stats.items()))
    for r in rows:
        kind = r.kind.label if isinstance(r.kind, OutboxKind) else r.kind
        table.add_row(str(r.id), kind, r.task_code or "", str(r.level or ""), escape(r.recipient),
                      r.status.label, str(r.attempts), minute(r.next_attempt_at), r.channel or "",
                      escape(r.last_error or ""))
    console.print(table)


@outbox_app.command("retry")
def outbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="死信 ID")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="重新投递全部死信")] = False,
    as_: AdminOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """把死信重新放回发件箱。"""
    from engine.errors import InvalidInput
    from engine.outbox.dispatch import requeue

    if not ids and not dead:
        raise InvalidInput("请指定死信 ID，或使用 --dead 重新投递全部死信")
    parse_moment(now)
    with open_session() as session:
        count = requeue(session=session, actor=actor(session, as_), ids=ids or None,
                        now=moment(session, now, writes=True))
    emit_json({"requeued": count}) if json_out else done(f"已重新排队 {count} 条")


@app.command()
def serve(
    dispatch_interval: Annotated[float, typer.Option("--dispatch-interval", help="投递间隔（秒）")] = 5.0,
    bot: Annotated[bool, typer.Option("--bot/--no-bot", help="同时运行 Telegram 机器人")] = True,
    web: Annotated[bool, typer.Option("--web/--no-web", help="同时运行网页控制台")] = True,
    host: Annotated[str, typer.Option("--host", help="网页控制台监听地址（对外服务请放在反向代理之后）")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="网页控制台端口")] = 8000,
) -> None:
    """常驻运行：内置调度器（提醒升级、每日 15:00 调度、回头看）、通知投递、机器人和网页控制台。"""
    import asyncio

    from cli.runtime import database_url
    from flows.embedded import Console, ServeOptions
    from flows.embedded import serve as run_serve

    with open_session():
        pass  # refuse early, in Chinese, if the database is not initialised

    def started(table: list) -> None:  # type: ignore[type-arg]
        for job in table:
            console.print(f"  已计划：{job.description}（{job.name}，cron {job.cron}，{job.timezone}）")
        console.print("duban serve 已启动，按 Ctrl-C 停止")

    def open_console() -> Console:
        from web.config import from_env
        from web.server import ConsoleServer, bind

        server = ConsoleServer(from_env(database_url=database_url()), bind(host, port))
        console.print(f"  网页控制台：{server.address}")
        return server.run

    options = ServeOptions(database_url=database_url(), dispatch_interval=dispatch_interval,
                           with_bot=bot, on_started=started,
                           open_console=open_console if web else None)
    asyncio.run(run_serve(options))
    done("duban serve 已停止")
