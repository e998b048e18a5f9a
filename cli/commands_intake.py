"""``duban ingest FILE|-``: documents in, draft directives and tasks out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.main import app
from cli.options import JsonOpt, NowOpt, OperatorOpt
from cli.runtime import actor, console, done, emit_json, moment, open_session, parse_moment


def read_document(source: str) -> str:
    """Plain UTF-8 text, a .docx file, or ``-`` for standard input."""
    from engine.errors import InvalidInput
    from engine.inputs import check_input_file

    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    check_input_file(path)
    if path.suffix.lower() == ".docx":
        try:
            import docx

            document = docx.Document(str(path))
        except Exception:  # noqa: BLE001 - any failure to open is a bad input file
            raise InvalidInput(f"无法读取 Word 文件 {source}") from None
        return "\n".join(p.text for p in document.paragraphs)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        try:
            return path.read_text(encoding="gb18030")
        except UnicodeDecodeError:
            raise InvalidInput(f"无法识别文件 {source} 的编码（应为 UTF-8 或 GB18030 文本）") from None


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help="文件路径（.txt/.docx），或 - 表示标准输入")],
    ref_date: Annotated[str | None, typer.Option("--ref-date", help="参照日期（文中无日期时使用）")] = None,
    addressee: Annotated[str | None, typer.Option("--addressee", help="“你局”等所指的主送单位")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="登记来源事项并创建待交办事项")] = False,
    as_: OperatorOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """识别文件中的批示、跟批、会议议定事项、督查问题，生成待交办事项供督查室确认。"""
    from engine.intake.apply import analyse, result_json
    from engine.store.policy import get_policy, zone_for

    text = read_document(source)
    ref = parse_moment(ref_date, what="--ref-date").astimezone(_tz()).date() if ref_date else None
    parse_moment(now)
    with open_session() as session:
        who, when = actor(session, as_), moment(session, now, writes=apply)
        result = analyse(session=session, actor=who, text=text, ref_date=ref, addressee=addressee)
        data = result_json(result, zone_for(get_policy(session)))
        if apply:
            from engine.intake.apply import apply_drafts

            report = apply_drafts(session=session, result=result, actor=who, now=when)
            data["applied"] = report.as_dict()
    if json_out:
        emit_json(data)
        return
    _print_review(text, data)
    if apply:
        applied = data["applied"]
        done(f"已登记来源事项 {len(applied['directives'])} 件，创建待交办事项 {len(applied['tasks'])} 项")
        for line in applied["incomplete"]:
            console.print(f"  [yellow]需补充[/]：{line}")


def _tz() -> Any:
    from cli.runtime import local_zone

    return local_zone()


def _print_review(text: str, data: dict[str, Any]) -> None:
    from engine.values import DirectiveKind

    kinds = {**{k.value: k.label for k in DirectiveKind}, "read": "阅示"}
    table = Table("序号", "类型", "领导", "日期", "上级", "标题", title="识别到的来源事项")
    for d in data["directives"]:
        table.add_row(d["key"], kinds.get(d["kind"], d["kind"]) + ("（阅）" if d["read_only"] else ""),
                      d["issued_by"] or d["issued_by_mention"] or "", d["issued_at"] or "",
                      d["parent_key"] or "", d["title"])
    console.print(table)
    tasks = Table("来源", "事项", "牵头", "配合", "时限", "目标", "置信度", "原文", title="识别到的事项")
    for t in data["tasks"]:
        start, end = t["source_span"]
        unknown = "、".join(f"[yellow]{u}?[/]" for u in t["unknown_units"])
        tasks.add_row(t["directive_key"], t["title"], "、".join(t["lead_units"]) or unknown,
                      "、".join(t["co_units"]), f"{t['due_text'] or ''}\n{(t['due_at'] or '')[:16]}",
                      f"{t['quantity']:g}{t['measure'] or ''}" if t["quantity"] else "",
                      f"{t['confidence']:.2f}", text[start:end][:80])
    console.print(tasks)
    for warning in data["warnings"]:
        console.print(f"[yellow]提示[/]：{warning}")
