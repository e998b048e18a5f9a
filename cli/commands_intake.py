"""``duban ingest FILE|-``: documents in, draft directives and tasks out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.main import app
from cli.options import JsonOpt, NowOpt, OperatorOpt
from cli.runtime import (
    actor,
    console,
    done,
    emit_json,
    err_console,
    moment,
    open_session,
    parse_moment,
)

LONG_TEXT = 20_000
"""Characters from which the analysis shows its progress (on standard error)."""


def _limit() -> int:
    from engine.intake import MAX_DOCUMENT_CHARS

    return MAX_DOCUMENT_CHARS


def read_document(source: str) -> str:
    """Plain UTF-8 or GB18030 text, a .docx file, or ``-`` for standard input; a text beyond
    the size limit is refused before it is read whole."""
    from engine.inputs import check_input_file
    from engine.intake.reading import BYTES_PER_CHAR, document_text, too_long

    if source == "-":
        text = sys.stdin.read(_limit() + 1)
        if len(text) > _limit():
            raise too_long(len(text), "字")
        return text
    path = Path(source)
    check_input_file(path)
    if path.stat().st_size > _limit() * BYTES_PER_CHAR:
        raise too_long(path.stat().st_size // 1024, "KB")
    return document_text(source, path.read_bytes())


def parse_numbers(values: list[str] | None, what: str) -> frozenset[int]:
    """Item numbers given as "3", "3,5" or "2-4" (repeatable)."""
    from engine.errors import InvalidInput

    out: set[int] = set()
    for value in values or []:
        for part in filter(None, value.replace("，", ",").replace(" ", "").split(",")):
            low, _, high = part.partition("-")
            # isascii: isdigit alone takes "²", which int refuses; at most 4 digits each, so
            # that "1-9999999999" is refused rather than ten billion numbers collected
            if not (part.isascii() and low.isdigit() and (not high or high.isdigit())) \
                    or max(len(low), len(high)) > 4:
                raise InvalidInput(f"{what} 应为事项序号，如 3、3,5 或 2-4，收到“{part}”")
            out.update(range(int(low), int(high or low) + 1))
    return frozenset(out)


def parse_due(values: list[str] | None) -> dict[int, str]:
    """``N=时限`` pairs: the deadline to use for item N."""
    from engine.errors import InvalidInput

    out: dict[int, str] = {}
    for value in values or []:
        number, sep, text = value.partition("=")
        digits = number.strip()
        if not (sep and digits.isascii() and digits.isdigit()) or len(number) > 6 \
                or not text.strip():
            raise InvalidInput(f"--due 应写作“序号=时限”，如 3=3月31日前，收到“{value}”")
        out[int(number)] = text.strip()
    return out


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help="文件路径（.txt/.docx），或 - 表示标准输入")],
    ref_date: Annotated[str | None, typer.Option("--ref-date", help="参照日期（文中无日期时使用）")] = None,
    addressee: Annotated[str | None, typer.Option("--addressee", help="“你局”等所指的主送单位")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="登记来源事项并创建待交办事项")] = False,
    skip: Annotated[list[str] | None, typer.Option("--skip", help="不登记的事项序号，如 3 或 3,5（可重复）")] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="只登记这些序号的事项（可重复）")] = None,
    due: Annotated[list[str] | None, typer.Option("--due", help="改正某项时限：序号=时限，如 3=3月31日前（可重复）")] = None,
    again: Annotated[bool, typer.Option("--again", help="同一文档已登记过，仍再次登记")] = False,
    as_: OperatorOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """识别文件中的批示、跟批、会议议定事项、督查问题，生成待交办事项供督查室确认。"""
    from engine.intake.apply import ApplyChoices, analyse, result_json
    from engine.store.policy import get_policy, zone_for

    text = read_document(source)
    choices = ApplyChoices(skip=parse_numbers(skip, "--skip"),
                           only=parse_numbers(only, "--only") if only else None,
                           due=parse_due(due), again=again,
                           source="标准输入" if source == "-" else Path(source).name)
    ref = parse_moment(ref_date, what="--ref-date").astimezone(_tz()).date() if ref_date else None
    parse_moment(now)
    with open_session() as session:
        who, when = actor(session, as_), moment(session, now, writes=apply)
        result = _analyse_showing_progress(session, who, text, ref, addressee, analyse)
        data = result_json(result, zone_for(get_policy(session)))
        if apply:
            from engine.intake.apply import apply_drafts

            report = apply_drafts(session=session, result=result, actor=who, now=when,
                                  choices=choices)
            data["applied"] = report.as_dict()
    if json_out:
        emit_json(data)
        return
    _print_review(text, data)
    if apply:
        applied = data["applied"]
        skipped = f"，跳过 {len(applied['skipped'])} 项" if applied["skipped"] else ""
        done(f"已登记来源事项 {len(applied['directives'])} 件，创建待交办事项 "
             f"{len(applied['tasks'])} 项{skipped}")
        for line in applied["incomplete"]:
            console.print(f"  [yellow]需补充[/]：{line}")


def _analyse_showing_progress(session: Any, who: Any, text: str, ref: Any,
                              addressee: str | None, analyse: Any) -> Any:
    """The analysis, with a progress bar on standard error for a long text."""
    if len(text) < LONG_TEXT:
        return analyse(session=session, actor=who, text=text, ref_date=ref, addressee=addressee)
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(TextColumn("正在识别文档"), BarColumn(), TextColumn("{task.completed}/{task.total} 段"),
                  console=err_console, transient=True) as bar:
        job = bar.add_task("intake", total=None)

        def step(done_blocks: int, total: int) -> None:
            bar.update(job, completed=done_blocks, total=total)

        return analyse(session=session, actor=who, text=text, ref_date=ref, addressee=addressee,
                       progress=step)


def _tz() -> Any:
    from cli.runtime import local_zone

    return local_zone()


def _units(t: dict[str, Any], key: str, role: str) -> str:
    named = [u["name"] for u in t[key]]
    named += [f"[yellow]{p['name']}?[/]" for p in t["proposed_units"] if p["role"] == role]
    return "、".join(named)


def _print_review(text: str, data: dict[str, Any]) -> None:
    from engine.values import DirectiveKind

    kinds = {**{k.value: k.label for k in DirectiveKind}, "read": "阅示"}
    table = Table("序号", "类型", "领导", "日期", "上级", "标题", title="识别到的来源事项")
    for d in data["directives"]:
        table.add_row(d["key"], kinds.get(d["kind"], d["kind"]) + ("（阅）" if d["read_only"] else ""),
                      d["issued_by"] or d["issued_by_mention"] or "", d["issued_at"] or "",
                      d["parent_key"] or "", d["title"])
    console.print(table)
    tasks = Table("序号", "来源", "事项", "牵头", "配合", "责任人", "时限", "目标", "置信度", "原文",
                  title="识别到的事项（带 ? 的单位不在通讯录中；标“待核”的请先核对）")
    for t in data["tasks"]:
        start, end = t["source_span"]
        trust = f"{t['confidence']:.2f}" + ("\n[red]待核[/]" if t["low_confidence"] else "")
        due = t["recurrence"] and f"{t['recurrence']}（周期）" or t["due_text"] or ""
        tasks.add_row(str(t["index"]), t["directive_key"], t["title"], _units(t, "lead_units", "lead"),
                      _units(t, "co_units", "co"), t["owner"] or "",
                      f"{due}\n{(t['due_at'] or '')[:16]}",
                      f"{t['quantity']:g}{t['measure'] or ''}" if t["quantity"] else "", trust,
                      text[start:end][:80])
    console.print(tasks)
    basis = data.get("date_basis")
    if basis:
        console.print(f"[dim]日期依据[/]：{basis['source']} {basis['date']}（文中未写年份的日期按此补全）")
    for warning in data["warnings"]:
        console.print(f"[yellow]提示[/]：{warning}")
