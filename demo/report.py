"""The demo's closing report: the last summary, the board, the ledger, outbox statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from demo.run import DemoRun


def print_final(run: DemoRun, end: datetime) -> dict[str, Any]:
    from cli.render import print_board, print_task_table, summary_table
    from demo.run import operator
    from engine.outbox.views import outbox_stats
    from engine.read.tasks import board, visible_tasks
    from engine.tasks.audit import verify_chain
    from engine.values import OutboxStatus

    console, session = run.console, run.session
    op = operator()
    console.rule("[bold]模拟结束[/]")
    last = getattr(run, "last_summary", None)
    if last is not None and last.whole is not None:
        console.print(summary_table(last.whole))
    now = end
    units = board(session=session, actor=op, now=now)
    _print(console, print_board, units, title=f"督办看板（截至 {end:%Y-%m-%d}）")
    rows = visible_tasks(session=session, actor=op, now=now).items
    _print(console, print_task_table, rows, title="督办台账（全部事项）")
    stats = outbox_stats(session=session, actor=op)
    console.print("发件箱统计：" + "，".join(f"{OutboxStatus(k).label} {v}" for k, v in stats.items()))
    levels = {k: v for k, v in run.stats.items() if k.startswith("escalation")}
    console.print("升级督办：" + "，".join(
        f"{ {1: '催办', 2: '督办', 3: '通报'}[int(k.split(':')[1])]} {v} 条" for k, v in sorted(levels.items())))
    events = verify_chain(session=session, actor=op)
    console.print(f"审计链校验通过：{events} 条事件")
    return {"tasks": len(rows), "outbox": stats, "events": events,
            "board": [u.to_json() for u in units],
            "escalations": dict(levels), "delivered": run.stats["delivered"],
            "end": end.isoformat()}


def _print(console: Any, fn: Any, rows: Any, *, title: str) -> None:
    """cli.render prints to the CLI console; route it to the demo's console instead."""
    import cli.render as render

    previous = render.console
    render.console = console
    try:
        fn(rows, title=title)
    finally:
        render.console = previous
