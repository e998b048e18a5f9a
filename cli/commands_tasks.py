"""``duban directive …``, ``duban task …`` and ``duban extension …``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli.main import app, escape
from cli.options import JsonOpt, NowOpt, OperatorOpt, ReaderOpt
from cli.runtime import actor, done, emit_json, moment, open_session, parse_moment, person_for
from cli.uploads import FileOpt, uploads

directive_app = typer.Typer(help="来源事项（批示、跟批、会议、督查……）", no_args_is_help=True)
task_app = typer.Typer(help="督办事项", no_args_is_help=True)
extension_app = typer.Typer(help="延期申请审批", no_args_is_help=True)
app.add_typer(directive_app, name="directive")
app.add_typer(task_app, name="task")
app.add_typer(extension_app, name="extension")

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
    as_: OperatorOpt = None,
    file: FileOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """登记来源事项（批示、跟批、会议、督查检查等），可附原件扫描件（--file，可重复）。"""
    from engine.errors import InvalidInput
    from engine.tasks.directives import create_directive
    from models import DirectiveCreate

    if text is not None and text_file is not None:
        raise InvalidInput("--text 与 --text-file 只能二选一")
    body = _read_text(text_file) if text_file is not None else (text or "")
    parse_moment(now)
    issued = parse_moment(at, what="--at") if at else None
    with open_session() as session, uploads(file) as files:
        when = moment(session, now, writes=True)
        issuer = person_for(session, by)
        data = DirectiveCreate(kind=kind, title=title, text=body, doc_number=doc_number,
                               read_only=read_only, issued_by_id=issuer.id if issuer else None,
                               issued_at=issued or when, parent_id=parent)
        directive = create_directive(session=session, data=data, actor=actor(session, as_),
                                     now=when, files=files)
        row = _directive_row(directive, issuer.name if issuer else None)
        row["files"] = _files_of(session, directive.id)
    attached = f"（附 {len(row['files'])} 个文件）" if row["files"] else ""
    emit_json(row) if json_out else done(escape(f"已登记来源事项 #{row['id']}：{row['title']}{attached}"))


def _files_of(session: Any, directive_id: int | None) -> list[dict[str, Any]]:
    from engine.files.access import directive_files

    return [f.to_json() for f in directive_files(session, directive_id or 0)]


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
    from engine.values import DirectiveKind

    return {"id": directive.id, "kind": directive.kind,
            "kind_label": DirectiveKind(directive.kind).label, "title": directive.title,
            "text": directive.text, "issued_by": issuer, "parent_id": directive.parent_id,
            "issued_at": directive.issued_at.astimezone(local_zone()).isoformat(),
            "doc_number": directive.doc_number, "read_only": directive.read_only}


@directive_app.command("show")
def directive_show(directive_id: int, as_: ReaderOpt = None, now: NowOpt = None,
                   json_out: JsonOpt = False) -> None:
    """显示来源事项的批示链（跟批树）及其派生事项。"""
    from engine.read.directives import directive_tree

    parse_moment(now)
    with open_session(read_only=True) as session:
        tree = directive_tree(session=session, actor=actor(session, as_),
                              directive_id=directive_id, now=moment(session, now, writes=False))
    if json_out:
        emit_json(tree.to_json())
    else:
        from cli.render import print_lineage

        print_lineage(tree)


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
    as_: OperatorOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """创建督办事项（草稿，可 --assign 直接交办）。"""
    from engine.org.visibility import find_visible_task
    from engine.read.tasks import task_rows
    from engine.tasks.creation import create_task
    from models import TaskCreate

    parse_moment(now)
    with open_session() as session:
        who, when = actor(session, as_), moment(session, now, writes=True)
        parent_id = find_visible_task(session, who, parent).id if parent else None
        data = TaskCreate(directive_id=directive, title=title, lead_unit=lead, co_units=co or [],
                          due=due, priority=priority, target=target,
                          measure=measure or ("个" if target is not None else None),
                          owner=owner, leader=leader, requirement=requirement, parent_id=parent_id,
                          milestones=_milestones(milestone or []))
        task = create_task(session=session, data=data, actor=who, now=when, assign=assign,
                           allow_past_due=allow_past_due)
        row = task_rows(session, [task], when)[0]
    due_at = f"{row.due_at:%Y-%m-%d %H:%M}" if row.due_at else "未定"
    emit_json(row.to_json()) if json_out else done(escape(
        f"已创建事项 {row.code}：{row.title}（完成时限：{row.due_text or due_at}，即 {due_at}）"))


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
def task_show(task: str, as_: ReaderOpt = None, now: NowOpt = None,
              json_out: JsonOpt = False) -> None:
    """显示一个事项的详情、各单位签收与反馈、进展和延期记录。"""
    from engine.read.detail import task_detail

    parse_moment(now)
    with open_session(read_only=True) as session:
        detail = task_detail(session=session, actor=actor(session, as_), code=task,
                             now=moment(session, now, writes=False))
    if json_out:
        emit_json(detail.to_json())
    else:
        from cli.render import print_task

        print_task(detail)


@task_app.command("list")
def task_list(
    unit: Annotated[str | None, typer.Option("--unit", help="单位（牵头或配合）")] = None,
    light: Annotated[str | None, typer.Option("--light", help="red|yellow|green 或 红灯|黄灯|绿灯")] = None,
    status: Annotated[list[str] | None, typer.Option("--status", help="状态，如 in_progress 或 办理中，可重复")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只看逾期")] = False,
    leader: Annotated[str | None, typer.Option("--leader", help="分管领导")] = None,
    source: Annotated[str | None, typer.Option("--source", help="来源类型，如 meeting 或 会议")] = None,
    due_from: Annotated[str | None, typer.Option("--due-from", help="时限不早于，如 2024-03-01")] = None,
    due_to: Annotated[str | None, typer.Option("--due-to", help="时限不晚于，如 2024-03-31")] = None,
    text: Annotated[str | None, typer.Option("--text", help="标题中的文字或事项编号")] = None,
    view: Annotated[str | None, typer.Option("--view", help="常用视图：mine 我的待办、unit 本单位、red 红灯、week 本周到期、focus 领导关注")] = None,
    sort: Annotated[str, typer.Option("--sort", help="due（时限先到先列）、-due、newest、oldest")] = "due",
    limit: Annotated[int | None, typer.Option("--limit", help="每页条数（不指定：全部）")] = None,
    cursor: Annotated[str | None, typer.Option("--cursor", help="上一页给出的下一页游标")] = None,
    as_: ReaderOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """列出事项，可按单位、红黄绿灯、状态、逾期、分管领导、来源、时限、文字筛选，分页查看。"""
    from engine.read.filters import DEFAULT_PAGE_SIZE, PageRequest
    from engine.read.tasks import visible_tasks

    filters = _filters(unit, light, status, overdue, leader, source, due_from, due_to, text, sort)
    page = PageRequest(limit=limit or DEFAULT_PAGE_SIZE, cursor=cursor) if limit or cursor else None
    parse_moment(now)
    with open_session(read_only=True) as session:
        who, when = actor(session, as_), moment(session, now, writes=False)
        if view is not None:
            filters = _with_view(session, who, view, filters, when)
        result = visible_tasks(session=session, actor=who, now=when, filters=filters, page=page)
    if json_out:
        rows = [row.to_json() for row in result.items]
        emit_json({"items": rows, "next_cursor": result.next_cursor} if page else rows)
        return
    from cli.render import print_task_table

    print_task_table(result.items, title=f"督办事项（{len(result.items)}）")
    if result.next_cursor:
        done(f"还有更多，下一页：--cursor {result.next_cursor}")


def _filters(unit: str | None, light: str | None, status: list[str] | None, overdue: bool,
             leader: str | None, source: str | None, due_from: str | None, due_to: str | None,
             text: str | None, sort: str) -> Any:
    from engine.errors import InvalidInput
    from engine.read.filters import Sort, TaskFilters
    from engine.values import DirectiveKind, Light, TaskStatus

    def coded(enum: Any, value: str | None, option: str) -> Any:
        if value is None:
            return None
        found = enum.parse(value)
        if found is None:
            raise InvalidInput(f"{option} 的值“{value}”无效，应为：{enum.choices()}")
        return found

    sorts = {s.value: s for s in Sort}
    if sort not in sorts:
        raise InvalidInput(f"--sort 的值“{sort}”无效，应为：{'、'.join(sorts)}")
    return TaskFilters(
        unit=unit, light=coded(Light, light, "--light"),
        statuses=tuple(coded(TaskStatus, s, "--status") for s in status or []), overdue=overdue,
        leader=leader, source_kind=coded(DirectiveKind, source, "--source"),
        due_from=parse_moment(due_from, what="--due-from") if due_from else None,
        due_to=parse_moment(due_to, what="--due-to", end_of_day=True) if due_to else None,
        text=text, sort=sorts[sort])


def _with_view(session: Any, who: Any, view: str, filters: Any, when: Any) -> Any:
    from engine.read.views import SavedView, view_filters

    saved = SavedView.parse(view)
    if saved is None:
        from engine.errors import InvalidInput

        raise InvalidInput(f"--view 的值“{view}”无效，应为：{SavedView.choices()}")
    return view_filters(session=session, actor=who, view=saved, now=when, base=filters)
