"""``duban directive …``, ``duban task …`` and ``duban extension …``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli.main import app, escape
from cli.runtime import actor, done, emit_json, open_session, parse_moment

directive_app = typer.Typer(help="来源事项（批示、跟批、会议、督查……）", no_args_is_help=True)
task_app = typer.Typer(help="督办事项", no_args_is_help=True)
extension_app = typer.Typer(help="延期申请审批", no_args_is_help=True)
app.add_typer(directive_app, name="directive")
app.add_typer(task_app, name="task")
app.add_typer(extension_app, name="extension")

JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON")]
AsOpt = Annotated[str, typer.Option("--as", help="操作人姓名或称谓")]
NowOpt = Annotated[str | None, typer.Option("--now", help="当前时间（ISO，用于模拟）")]


@directive_app.command("add")
def directive_add(
    kind: Annotated[str, typer.Option("--kind", help="instruction|followup|meeting|inspection|hotline|document|plan")],
    title: Annotated[str, typer.Option("--title")],
    by: Annotated[str | None, typer.Option("--by", help="批示或主持领导")] = None,
    at: Annotated[str | None, typer.Option("--at", help="下达日期，如 2024-02-25")] = None,
    text: Annotated[str | None, typer.Option("--text")] = None,
    text_file: Annotated[Path | None, typer.Option("--text-file")] = None,
    parent: Annotated[int | None, typer.Option("--parent", help="跟批所跟的批示 ID")] = None,
    doc_number: Annotated[str | None, typer.Option("--doc-number", help="文号")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="阅示/圈阅，不生成事项")] = False,
    as_: Annotated[str | None, typer.Option("--as", help="登记人（默认本机督查室）")] = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """登记来源事项（批示、跟批、会议、督查检查等）。"""
    from engine.errors import InvalidInput
    from engine.tasks.directives import create_directive
    from models import DirectiveCreate

    if text is not None and text_file is not None:
        raise InvalidInput("--text 与 --text-file 只能二选一")
    body = _read_text(text_file) if text_file is not None else (text or "")
    moment = parse_moment(now)
    issued_at = parse_moment(at, what="--at") if at else moment
    with open_session() as session:
        issuer = actor(session, by)
        data = DirectiveCreate(kind=kind, title=title, text=body, doc_number=doc_number,
                               read_only=read_only, issued_by_id=issuer.id if issuer else None,
                               issued_at=issued_at, parent_id=parent)
        directive = create_directive(session=session, data=data, actor=actor(session, as_),
                                     now=moment)
        row = _directive_row(directive, issuer.name if issuer else None)
    emit_json(row) if json_out else done(escape(f"已登记来源事项 #{row['id']}：{row['title']}"))


def _read_text(path: Path) -> str:
    from engine.errors import InvalidInput
    from engine.inputs import check_input_file

    check_input_file(path, "文本文件")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise InvalidInput(f"无法读取文本文件 {path}（须为 UTF-8 文本）") from None


def _directive_row(directive: Any, issuer: str | None) -> dict[str, Any]:
    from cli.runtime import local_zone

    return {"id": directive.id, "kind": directive.kind, "title": directive.title,
            "text": directive.text, "issued_by": issuer, "parent_id": directive.parent_id,
            "issued_at": directive.issued_at.astimezone(local_zone()).isoformat(),
            "doc_number": directive.doc_number, "read_only": directive.read_only}


@directive_app.command("show")
def directive_show(directive_id: int, now: NowOpt = None, json_out: JsonOpt = False) -> None:
    """显示来源事项的批示链（跟批树）及其派生事项。"""
    from engine.read.tasks import task_rows
    from engine.tasks.directives import lineage

    moment = parse_moment(now)
    with open_session(read_only=True) as session:
        root, focus = lineage(session, directive_id)
        tree = _tree(session, root, moment, task_rows)
    if json_out:
        emit_json(tree)
    else:
        from cli.render import print_lineage

        print_lineage(tree, focus)


def _tree(session: Any, node: Any, now: Any, task_rows: Any) -> dict[str, Any]:
    from engine.org.directory import person_name

    row = _directive_row(node.directive, person_name(session, node.directive.issued_by_id) or None)
    row["tasks"] = task_rows(session, node.tasks, now)
    row["children"] = [_tree(session, child, now, task_rows) for child in node.children]
    return row


@task_app.command("add")
def task_add(
    directive: Annotated[int, typer.Option("--directive", help="来源事项 ID")],
    title: Annotated[str, typer.Option("--title")],
    lead: Annotated[str, typer.Option("--lead", help="牵头单位代码或名称")],
    due: Annotated[str, typer.Option("--due", help="完成时限，如 3月31日前、3个工作日内")],
    co: Annotated[list[str] | None, typer.Option("--co", help="配合单位，可重复")] = None,
    priority: Annotated[str, typer.Option("--priority", help="特急|加急|普通（或 urgent|high|normal）")] = "普通",
    target: Annotated[float | None, typer.Option("--target", help="目标量")] = None,
    measure: Annotated[str | None, typer.Option("--measure", help="计量单位，如 个")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="责任人")] = None,
    leader: Annotated[str | None, typer.Option("--leader", help="分管领导")] = None,
    requirement: Annotated[str, typer.Option("--requirement", help="具体要求")] = "",
    parent: Annotated[str | None, typer.Option("--parent", help="上级事项编号（分解）")] = None,
    milestone: Annotated[list[str] | None, typer.Option("--milestone", help="阶段节点 标题=时限，可重复")] = None,
    assign: Annotated[bool, typer.Option("--assign", help="创建后立即交办")] = False,
    allow_past_due: Annotated[bool, typer.Option(
        "--allow-past-due", help="完成时限已过仍交办（须明确确认）")] = False,
    as_: Annotated[str | None, typer.Option("--as", help="操作人（默认本机督查室）")] = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """创建督办事项（草稿，可 --assign 直接交办）。"""
    from engine.org.directory import find_task
    from engine.read.tasks import task_rows
    from engine.tasks.creation import create_and_assign, create_task
    from models import TaskCreate

    moment = parse_moment(now)
    with open_session() as session:
        parent_id = find_task(session, parent).id if parent else None
        data = TaskCreate(directive_id=directive, title=title, lead_unit=lead, co_units=co or [],
                          due=due, priority=priority, target=target,
                          measure=measure or ("个" if target is not None else None),
                          owner=owner, leader=leader, requirement=requirement, parent_id=parent_id,
                          milestones=_milestones(milestone or []))
        who = actor(session, as_)
        if assign:
            task = create_and_assign(session=session, data=data, actor=who, now=moment,
                                     allow_past_due=allow_past_due)
        else:
            task = create_task(session=session, data=data, actor=who, now=moment)
        row = task_rows(session, [task], moment)[0]
    when = (row["due_at"] or "")[:16].replace("T", " ")
    emit_json(row) if json_out else done(escape(
        f"已创建事项 {row['code']}：{row['title']}（完成时限：{row['due_text']}，即 {when}）"))


def _milestones(values: list[str]) -> list[Any]:
    from engine.errors import InvalidInput
    from models import MilestoneCreate

    out = []
    for value in values:
        title, sep, due = value.partition("=")
        if not sep or not title.strip() or not due.strip():
            raise InvalidInput(f"阶段节点“{value}”格式应为 标题=时限")
        out.append(MilestoneCreate(title=title.strip(), due=due.strip()))
    return out


@task_app.command("show")
def task_show(task: str, now: NowOpt = None, json_out: JsonOpt = False) -> None:
    """显示一个事项的详情、各单位签收与反馈、进展和延期记录。"""
    from engine.read.detail import task_detail

    moment = parse_moment(now)
    with open_session(read_only=True) as session:
        detail = task_detail(session, task, now=moment)
    if json_out:
        emit_json(detail)
    else:
        from cli.render import print_task

        print_task(detail)


@task_app.command("list")
def task_list(
    unit: Annotated[str | None, typer.Option("--unit", help="单位（牵头或配合）")] = None,
    light: Annotated[str | None, typer.Option("--light", help="红灯|黄灯|绿灯（或 red|yellow|green）")] = None,
    status: Annotated[str | None, typer.Option("--status", help="办理状态，如 办理中（或 in_progress）")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只看逾期")] = False,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """列出事项，可按单位、红黄绿灯、状态、逾期筛选。"""
    from engine.errors import InvalidInput
    from engine.labels import LIGHT_LABELS, status_key
    from engine.read.tasks import LIGHTS, list_tasks

    by_label = {label: key for key, label in LIGHT_LABELS.items()} | {"红": "red", "黄": "yellow",
                                                                      "绿": "green"}
    light = by_label.get(light.strip(), light.strip()) if light is not None else None
    if light is not None and light not in LIGHTS:
        raise InvalidInput("--light 的值无效，应为 红灯、黄灯、绿灯（或 red、yellow、green）")
    status = status_key(status, option="--status 的值") if status is not None else None
    moment = parse_moment(now)
    with open_session(read_only=True) as session:
        rows = list_tasks(session, now=moment, unit=unit, light_filter=light, status=status,
                          overdue=overdue)
    if json_out:
        emit_json(rows)
    else:
        from cli.render import print_task_table

        print_task_table(rows, title=f"督办事项（{len(rows)}）")
