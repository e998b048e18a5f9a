"""Rich rendering of tasks, lineage trees and boards for the terminal (Chinese headers)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from cli.runtime import console

LIGHT_MARKUP = {"red": "[bold red]● 红[/]", "yellow": "[yellow]● 黄[/]", "green": "[green]● 绿[/]"}


def light_cell(light: str | None) -> str:
    return LIGHT_MARKUP.get(light or "", "—")


def _due_cell(row: dict[str, Any]) -> str:
    due = (row["due_at"] or "")[:16].replace("T", " ")
    text = f"{row['due_text']}\n{due}" if row["due_text"] else due
    if row.get("extension_count"):
        text += f"\n(原 {(row['original_due_at'] or '')[:10]})"
    return escape(text)


def _amount(row: dict[str, Any]) -> str:
    if row.get("target") is None:
        return ""
    achieved = row.get("achieved") or 0
    return escape(f"{achieved:g}/{row['target']:g}{row.get('measure') or ''}")


def print_task_table(rows: list[dict[str, Any]], *, title: str) -> None:
    table = Table("编号", "灯", "事项", "牵头单位", "配合单位", "完成时限", "状态", "督办", "完成量",
                  title=title, show_lines=False)
    for r in rows:
        overdue = f"\n逾期{r['days_overdue']}天" if r["overdue"] else ""
        # Everything typed by users is escaped: a title like "[/]" must print, not crash rich.
        table.add_row(escape(r["code"]), light_cell(r["light"]), escape(r["title"]),
                      escape(r["lead_unit"]), escape("、".join(r["co_units"])),
                      _due_cell(r) + overdue, r["status_label"],
                      r["escalation_label"] if r["escalation_level"] else "", _amount(r))
    console.print(table)


def _when(iso: str | None) -> str:
    """"2024-03-31 23:59" from an ISO moment ("" for none)."""
    return (iso or "")[:16].replace("T", " ")


def _due_line(text: str, iso: str | None) -> str:
    """"3月31日前（2024-03-31 23:59）", or "未定" for a draft without a deadline."""
    if not iso:
        return f"{text}（未定）" if text else "未定"
    return f"{text}（{_when(iso)}）" if text else _when(iso)


def print_task(detail: dict[str, Any]) -> None:
    d = detail
    console.print(f"[bold]{escape(d['code'])}[/bold] {escape(d['title'])}  "
                  f"{light_cell(d['light'])}  {d['status_label']}")
    lines = [
        ("优先级", d["priority_label"]), ("牵头单位", d["lead_unit"]),
        ("配合单位", "、".join(d["co_units"])), ("责任人", d["owner"] or ""),
        ("分管领导", d["leader"] or ""), ("完成时限", _due_line(d["due_text"], d["due_at"])),
        ("时限起算", f"{_when(d['due_base_at'])}（{d['due_base']}）" if d.get("due_base") else ""),
        ("原定时限", _due_line(d["original_due_text"], d["original_due_at"])
         if d.get("extension_count") else ""),
        ("督办级别", d["escalation_label"] if d["escalation_level"] else ""),
        ("完成量", _amount(d)), ("具体要求", d["requirement"]),
        ("销号评价", d.get("rating_label") or ""),
    ]
    for key, value in lines:
        if value:
            console.print(f"  {key}：{escape(str(value))}")
    units = Table("单位", "角色", "签收时间", "最新反馈", title="承办单位")
    for u in d["units"]:
        units.add_row(escape(u["unit"] or ""), "牵头" if u["role"] == "lead" else "配合",
                      (u["acknowledged_at"] or "未签收")[:16], escape(u["last_feedback"] or ""))
    console.print(units)
    if d["milestones"]:
        stones = Table("序号", "阶段节点", "时限", "完成", title="阶段节点")
        for m in d["milestones"]:
            stones.add_row(str(m["seq"]), escape(m["title"]), escape(m["due_text"]),
                           (m["done_at"] or "")[:10])
        console.print(stones)
    for r in d["reports"]:
        kind = "申请办结" if r["kind"] == "completion" else "反馈进展"
        # Who wrote it: the unit, and the person when the office recorded it for the unit.
        who = r["unit"] or r["by"] or "本机操作员"
        line = f"  [{_when(r['at'])}] {who} {kind}：{r['text']}"
        console.print(escape(line))
    for back in d.get("returns", []):
        console.print(escape(f"  [{_when(back['at'])}] {back['by']} 退回办结申请，理由：{back['reason']}"))
    for e in d["extensions"]:
        decided = f"（{e['decided_by']}：{e['decision_note']}）" if e.get("decision_note") else ""
        console.print(escape(f"  延期申请 #{e['id']}（{e['status_label']}）：申请延至 "
                             f"{e['requested_due_text']}（{_when(e['requested_due_at'])}），"
                             f"理由：{e['reason']}{decided}"))


def print_lineage(node: dict[str, Any], focus: int) -> None:
    tree = Tree(_node_label(node, focus))
    _grow(tree, node, focus)
    console.print(tree)


def _node_label(node: dict[str, Any], focus: int) -> str:
    from engine.labels import DIRECTIVE_KIND_LABELS

    mark = "[reverse]" if node["id"] == focus else ""
    end = "[/reverse]" if mark else ""
    kind = DIRECTIVE_KIND_LABELS.get(node["kind"], node["kind"])
    by = f" {node['issued_by']}" if node["issued_by"] else ""
    text = escape(f"#{node['id']} [{kind}]{by} {node['issued_at'][:10]} {node['title']}")
    return f"{mark}{text}{end}"


def _grow(tree: Tree, node: dict[str, Any], focus: int) -> None:
    for task in node["tasks"]:
        text = escape(f"{task['code']} {task['title']}"
                      f"（{task['lead_unit']}，{task['due_text']}，{task['status_label']}）")
        tree.add(f"{light_cell(task['light'])} {text}")
    for child in node["children"]:
        _grow(tree.add(_node_label(child, focus)), child, focus)


def print_board(rows: list[dict[str, Any]], *, title: str) -> None:
    table = Table("单位", "红灯", "黄灯", "绿灯", "在办", "已升级", "已办结", title=title)
    for r in rows:
        table.add_row(escape(r["unit"]), f"[bold red]{r['red']}[/]" if r["red"] else "0",
                      f"[yellow]{r['yellow']}[/]" if r["yellow"] else "0", str(r["green"]),
                      str(r["open"]), str(r["escalated"]), str(r["closed"]))
    console.print(table)
