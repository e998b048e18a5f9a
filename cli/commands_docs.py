"""``duban export`` (督办台账 .xlsx), ``duban import`` (任务清单 .xlsx) and ``duban report``
(月度情况通报 .docx/.md).

Bad input — a missing or unreadable file, a wrong suffix, an unknown unit, a bad month — is
refused with a Chinese message before anything is written (exit 1; usage errors exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.main import app
from cli.options import JsonOpt, NowOpt, OperatorOpt, ReaderOpt
from cli.render import print_task_table
from cli.runtime import actor, done, emit_json, local_zone, moment, open_session, parse_moment


def _writable(path: Path, suffixes: tuple[str, ...], what: str) -> None:
    from engine.errors import InvalidInput

    if path.suffix.lower() not in suffixes:
        raise InvalidInput(f"{what}文件名应以 {' 或 '.join(suffixes)} 结尾：{path}")
    if not path.parent.is_dir():
        raise InvalidInput(f"目录 {path.parent} 不存在，无法写入 {path.name}")
    if path.is_dir():
        raise InvalidInput(f"{path} 是一个目录，请指定文件名")


@app.command("export")
def export(
    path: Annotated[Path, typer.Argument(help="台账文件（.xlsx）")],
    unit: Annotated[str | None, typer.Option("--unit", help="只导出该单位（牵头或配合）的事项")] = None,
    status: Annotated[str | None, typer.Option("--status", help="只导出该状态，如 in_progress 或 办理中")] = None,
    as_: ReaderOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """导出督办台账（Excel：红黄绿灯、冻结表头、筛选）。"""
    from engine.reports.ledger import export_ledger

    _writable(path, (".xlsx",), "台账")
    parse_moment(now)
    with open_session(read_only=True) as session:
        count = export_ledger(session=session, actor=actor(session, as_), path=path,
                              now=moment(session, now, writes=False), unit=unit, status=status)
    if json_out:
        emit_json({"path": str(path), "rows": count})
        return
    done(f"已导出督办台账 {count} 条：{path}")


@app.command("import")
def import_tasks(
    path: Annotated[Path, typer.Argument(help="任务清单（.xlsx），需有 任务内容/牵头单位/完成时限 列")],
    directive: Annotated[int, typer.Option("--directive", help="所属来源事项 ID")],
    again: Annotated[bool, typer.Option("--again", help="同一任务清单已导入过，仍再次导入")] = False,
    as_: OperatorOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """导入任务清单：逐行校验，全部通过才一次性创建待交办事项，否则一条也不创建。"""
    from engine.read.tasks import task_rows
    from engine.reports.importer import import_task_list

    parse_moment(now)
    with open_session() as session:
        when = moment(session, now, writes=True)
        tasks = import_task_list(session=session, path=path, directive_id=directive,
                                 actor=actor(session, as_), now=when, again=again)
        rows = task_rows(session, tasks, when)
    if json_out:
        emit_json([r.to_json() for r in rows])
        return
    print_task_table(rows, title=f"已导入待交办事项 {len(rows)} 项")
    done(f"已从 {path.name} 导入 {len(rows)} 项，请核对后交办")


@app.command("report")
def report(
    period: Annotated[str, typer.Option("--period", help="统计月份，如 2024-03")],
    out: Annotated[Path, typer.Option("--out", help="输出文件：.docx 或 .md")],
    as_: ReaderOpt = None,
    now: Annotated[str | None, typer.Option(
        "--now", help="统计截至的时间（默认：该月最后一刻；本月则为当前时间）")] = None,
    json_out: JsonOpt = False,
) -> None:
    """生成月度督办工作情况通报（Word 或 Markdown），默认截至该月末。"""
    from engine.reports.bulletin import (
        build_bulletin,
        parse_period,
        render_markdown,
        report_moment,
        write_docx,
    )

    parse_period(period, local_zone())  # refuse a bad month before touching the database
    _writable(out, (".docx", ".md"), "通报")
    parse_moment(now)
    with open_session(read_only=True) as session:
        # As of the period's end unless told otherwise (--now), never after the real present.
        as_of = moment(session, now, writes=False) if now else report_moment(
            parse_period(period, local_zone()), parse_moment(None))
        data = build_bulletin(session=session, actor=actor(session, as_), period=period,
                              now=as_of)
    if out.suffix.lower() == ".md":
        out.write_text(render_markdown(data), encoding="utf-8")
    else:
        write_docx(data, out)
    stats = data.stats
    if json_out:
        emit_json({"path": str(out), "title": data.title, "total": stats.total,
                   "closed": stats.closed, "in_progress": stats.in_progress,
                   "overdue": stats.overdue, "carried_overdue": stats.carried_overdue,
                   "as_of": as_of.isoformat(), "overdue_units": dict(data.overdue_units),
                   "anchor": data.anchor})
        return
    done(f"已生成《{data.title}》：{out}（事项 {stats.total} 项，已办结 {stats.closed} 项，"
         f"逾期 {stats.overdue} 项）")
