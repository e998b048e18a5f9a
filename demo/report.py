"""The demo's closing report: the last summary, the board, the ledger, outbox statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from demo.run import DemoRun


def print_final(run: DemoRun, end: datetime) -> dict[str, Any]:
    from cli.render import print_board, print_task_table
    from engine.outbox.views import OUTBOX_STATUS_LABELS, outbox_stats
    from engine.read.tasks import board, list_tasks
    from engine.summary.render import render_rich
    from engine.tasks.audit import verify_chain

    console, session = run.console, run.session
    console.rule("[bold]模拟结束[/]")
    last = getattr(run, "last_summary", None)
    if last is not None:
        console.print(render_rich(last.whole))
    now = end
    units = board(session, now=now)
    _print(console, print_board, units, title=f"督办看板（截至 {end:%Y-%m-%d}）")
    rows = list_tasks(session, now=now)
    _print(console, print_task_table, rows, title="督办台账（全部事项）")
    stats = outbox_stats(session)
    console.print("发件箱统计：" + "，".join(f"{OUTBOX_STATUS_LABELS[k]} {v}" for k, v in stats.items()))
    levels = {k: v for k, v in run.stats.items() if k.startswith("escalation")}
    console.print("升级督办：" + "，".join(
        f"{ {1: '催办', 2: '督办', 3: '通报'}[int(k.split(':')[1])]} {v} 条" for k, v in sorted(levels.items())))
    events = verify_chain(session)
    console.print(f"审计链校验通过：{events} 条事件")
    return {"tasks": len(rows), "outbox": stats, "events": events, "board": units,
            "escalations": dict(levels), "delivered": run.stats["delivered"]}


def _print(console: Any, fn: Any, rows: Any, *, title: str) -> None:
    """cli.render prints to the CLI console; route it to the demo's console instead."""
    import cli.render as render

    previous = render.console
    render.console = console
    try:
        fn(rows, title=title)
    finally:
        render.console = previous
