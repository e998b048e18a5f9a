"""Rich rendering of the engine's read schemas for the terminal (Chinese headers).

Everything typed by users is escaped: a title like "[/]" must print, not crash rich.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from cli.runtime import console
from engine.read.schemas import (
    BoardRow,
    DirectiveNode,
    FileView,
    SummaryView,
    TaskDetail,
    TaskRow,
)
from engine.values import Light

LIGHT_MARKUP = {Light.RED: "[bold red]● 红[/]", Light.YELLOW: "[yellow]● 黄[/]",
                Light.GREEN: "[green]● 绿[/]"}


def light_cell(light: Light | None) -> str:
    return LIGHT_MARKUP.get(light, "—") if light is not None else "—"


def minute(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else ""


def day(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d}" if value is not None else ""


def _due_cell(row: TaskRow) -> str:
    due = minute(row.due_at)
    text = f"{row.due_text}\n{due}" if row.due_text else due
    if row.extension_count:
        text += f"\n(原 {day(row.original_due_at)})"
    return escape(text)


def _amount(row: TaskRow) -> str:
    if row.target is None:
        return ""
    return escape(f"{row.achieved or 0:g}/{row.target:g}{row.measure or ''}")


def print_task_table(rows: list[TaskRow], *, title: str) -> None:
    table = Table("编号", "灯", "事项", "牵头单位", "配合单位", "完成时限", "状态", "督办", "完成量",
                  title=title, show_lines=False)
    for r in rows:
        overdue = f"\n逾期{r.days_overdue}天" if r.overdue else ""
        table.add_row(escape(r.code), light_cell(r.light), escape(r.title), escape(r.lead_unit),
                      escape("、".join(r.co_units)), _due_cell(r) + overdue, r.status.label,
                      r.escalation_level.label if r.escalation_level else "", _amount(r))
    console.print(table)


def _due_line(text: str, at: datetime | None) -> str:
    """"3月31日前（2024-03-31 23:59）", or "未定" for a draft without a deadline."""
    if at is None:
        return f"{text}（未定）" if text else "未定"
    return f"{text}（{minute(at)}）" if text else minute(at)


def print_task(detail: TaskDetail) -> None:
    d = detail.task
    console.print(f"[bold]{escape(d.code)}[/bold] {escape(d.title)}  "
                  f"{light_cell(d.light)}  {d.status.label}")
    lines = [
        ("来源", f"{detail.directive_kind.label}：{detail.directive_title}"),
        ("优先级", d.priority.label), ("牵头单位", d.lead_unit), ("配合单位", "、".join(d.co_units)),
        ("责任人", d.owner or ""), ("分管领导", d.leader or ""),
        ("完成时限", _due_line(d.due_text, d.due_at)),
        ("时限起算", f"{minute(detail.due_base_at)}（{detail.due_base.label}）"
         if detail.due_base else ""),
        ("原定时限", _due_line(d.original_due_text, d.original_due_at)
         if d.extension_count else ""),
        ("督办级别", d.escalation_level.label if d.escalation_level else ""),
        ("完成量", _amount(d)), ("销号评价", d.rating.label if d.rating else ""),
        ("具体要求", detail.requirement),
    ]
    for key, value in lines:
        if value:
            console.print(f"  {key}：{escape(str(value))}")
    units = Table("单位", "角色", "签收", "最新反馈", title="承办单位")
    for u in detail.units:
        ack = minute(u.acknowledged_at) or "未签收"
        if u.acknowledged_on_behalf:
            ack += f"（{u.acknowledged_by or '督查室'}代签收）"
        feedback = (u.last_feedback or "") + ("（督查室代反馈）" if u.last_feedback_on_behalf else "")
        units.add_row(escape(u.unit), u.role.label, escape(ack), escape(feedback))
    console.print(units)
    if detail.milestones:
        stones = Table("序号", "阶段节点", "时限", "完成", title="阶段节点")
        for m in detail.milestones:
            stones.add_row(str(m.seq), escape(m.title), escape(m.due_text), day(m.done_at))
        console.print(stones)
    for r in detail.reports:
        # Who wrote it: the unit, the office for the unit, or whoever recorded it themselves.
        if r.on_behalf:
            who = f"督查室{r.by or ''}代{r.kind.label}"
        else:
            who = f"{r.unit or r.by or '系统操作员'} {r.kind.label}"
        console.print(escape(f"  [{minute(r.at)}] {who}：{r.text}"))
    for back in detail.returns:
        console.print(escape(f"  [{minute(back.at)}] {back.by} 退回办结申请，理由：{back.reason}"))
    for e in detail.extensions:
        decided = f"（{e.decided_by or '督查室'}：{e.decision_note}）" if e.decision_note else ""
        console.print(escape(f"  延期申请 #{e.id}（{e.status.label}）：申请延至 "
                             f"{e.requested_due_text}（{minute(e.requested_due_at)}），"
                             f"理由：{e.reason}{decided}"))
    print_files(detail.files, title="证明材料与附件")


def file_size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} B"


def print_files(files: list[FileView], *, title: str) -> None:
    """Attached files, each with its full SHA-256 (``duban file get`` takes it, or a prefix)."""
    if not files:
        return
    console.print(f"  [bold]{title}（{len(files)}）[/bold]")
    for f in files:
        console.print(escape(f"  · {f.name}  {f.kind_label} {file_size_text(f.size)}  "
                             f"{f.purpose_label}  {f.by or ''} {minute(f.at)}"))
        console.print(f"    SHA-256 {f.sha256}")


def print_lineage(root: DirectiveNode) -> None:
    tree = Tree(_node_label(root))
    _grow(tree, root)
    console.print(tree)


def _node_label(node: DirectiveNode) -> str:
    by = f" {node.issued_by}" if node.issued_by else ""
    text = escape(f"#{node.id} [{node.kind.label}]{by} {day(node.issued_at)} {node.title}")
    return f"[reverse]{text}[/reverse]" if node.focus else text


def _grow(tree: Tree, node: DirectiveNode) -> None:
    for task in node.tasks:
        text = escape(f"{task.code} {task.title}（{task.lead_unit}，{task.due_text}，"
                      f"{task.status.label}）")
        tree.add(f"{light_cell(task.light)} {text}")
    for child in node.children:
        _grow(tree.add(_node_label(child)), child)


def print_board(rows: list[BoardRow], *, title: str) -> None:
    table = Table("单位", "红灯", "黄灯", "绿灯", "在办", "已升级", "已办结", title=title)
    for r in rows:
        table.add_row(escape(r.unit), f"[bold red]{r.red}[/]" if r.red else "0",
                      f"[yellow]{r.yellow}[/]" if r.yellow else "0", str(r.green),
                      str(r.open), str(r.escalated), str(r.closed))
    console.print(table)


def summary_table(data: SummaryView) -> RenderableType:
    """The 15:00 summary as rich tables (the messages and reports use engine.summary.render)."""
    from engine.summary.render import cells, moment, since_text, title

    parts: list[RenderableType] = [
        Text(title(data), style="bold"),
        Text(f"截至 {moment(data.built_at)}（{since_text(data)}）"),
        Text.assemble(("红灯 ", "bold red"), str(data.lights["red"]), ("  黄灯 ", "yellow"),
                      str(data.lights["yellow"]), ("  绿灯 ", "green"), str(data.lights["green"])),
    ]
    if data.by_unit:
        table = Table("单位", "红", "黄", "绿", "在办", title="分单位情况")
        for u in data.by_unit:
            table.add_row(escape(u.unit), str(u.red), str(u.yellow), str(u.green), str(u.open))
        parts.append(table)
    for section in data.visible_sections():
        table = Table("编号", "事项", "牵头单位", "时限", "逾期天数", "分管领导", "状态",
                      title=f"{section.title}（{section.total}）")
        for r in section.rows:
            # Typed by people: never read as rich markup (and controls shown, by SafeConsole).
            table.add_row(*(escape(cell) for cell in cells(r)))
        parts.append(table)
    if data.anchor:
        parts.append(Text(data.anchor, style="dim"))
    return Group(*parts)
