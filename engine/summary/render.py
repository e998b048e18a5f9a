"""The 15:00 summary rendered three ways: rich (terminal), Telegram HTML and Markdown.

Empty sections are left out; the header and the light counts are always there.
"""

from __future__ import annotations

from html import escape
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape as rich_escape
from rich.table import Table
from rich.text import Text

from engine.inputs import one_line
from engine.summary.build import Section, SummaryData

TELEGRAM_ROWS = 10
"""Rows per section in a Telegram message (which is capped at 4096 characters)."""


def _title(data: SummaryData) -> str:
    return f"督办事项每日调度（{one_line(data.scope)}）"


def _due(row: dict[str, Any]) -> str:
    """The deadline as written, else its date; "未定" for none (no task state breaks a summary)."""
    return one_line(row.get("due_text") or (row.get("due_at") or "")[:10] or "未定")


def _cells(row: dict[str, Any]) -> list[str]:
    """A listed task's cells, each one safe line: code, title, unit, deadline, days overdue,
    supervising leader, status."""
    return [one_line(row["code"]), one_line(row["title"]), one_line(row["lead_unit"] or ""),
            _due(row), str(row["days_overdue"] or ""), one_line(row.get("leader") or ""),
            row["status_label"]]


def _row_text(row: dict[str, Any]) -> str:
    code, title, unit, due, _, leader, status = _cells(row)
    extra = f"，逾期{row['days_overdue']}天" if row["overdue"] else ""
    by = f"，分管：{leader}" if leader else ""
    return f"{code} {title}（{unit}，{due}{extra}{by}，{status}）"


def _visible(data: SummaryData) -> list[Section]:
    return [s for s in data.sections if s.total]


def render_rich(data: SummaryData) -> RenderableType:
    parts: list[RenderableType] = [
        Text(_title(data), style="bold"),
        Text(f"截至 {data.built_at}（{data.since}）"),
        Text.assemble(("红灯 ", "bold red"), str(data.lights["red"]), ("  黄灯 ", "yellow"),
                      str(data.lights["yellow"]), ("  绿灯 ", "green"), str(data.lights["green"])),
    ]
    if data.by_unit:
        table = Table("单位", "红", "黄", "绿", "在办", title="分单位情况")
        for u in data.by_unit:
            table.add_row(markup(u["unit"]), str(u["red"]), str(u["yellow"]), str(u["green"]),
                          str(u["open"]))
        parts.append(table)
    for section in _visible(data):
        table = Table("编号", "事项", "牵头单位", "时限", "逾期天数", "分管领导", "状态",
                      title=f"{section.title}（{section.total}）")
        for r in section.rows:
            # Titles and names are typed by people: never let them be read as rich markup.
            table.add_row(*(markup(cell) for cell in _cells(r)))
        parts.append(table)
    parts.append(Text(data.anchor, style="dim"))
    return Group(*parts)


def render_html(data: SummaryData) -> str:
    """Telegram-ready HTML (only tags Telegram accepts: b, i, code)."""
    lines = [f"<b>{escape(_title(data))}</b>", f"截至 {escape(data.built_at)}",
             f"🔴 红灯 {data.lights['red']}　🟡 黄灯 {data.lights['yellow']}　"
             f"🟢 绿灯 {data.lights['green']}"]
    reds = [u for u in data.by_unit if u["red"]][:TELEGRAM_ROWS]
    if reds:
        lines.append("<b>红灯单位</b>：" + "、".join(f"{escape(one_line(u['unit']))} {u['red']}"
                                                for u in reds))
    for section in _visible(data):
        lines.append(f"\n<b>{escape(section.title)}（{section.total}）</b>")
        lines += [f"• {escape(_row_text(r))}" for r in section.rows[:TELEGRAM_ROWS]]
        if section.total > TELEGRAM_ROWS:
            lines.append(f"<i>另有 {section.total - TELEGRAM_ROWS} 项，详见调度报告</i>")
    lines.append(f"\n<code>{escape(data.anchor)}</code>")
    return "\n".join(lines)


def render_text(data: SummaryData) -> str:
    """Plain text (for channels without markup)."""
    import re
    from html import unescape

    return unescape(re.sub(r"</?(b|i|code)>", "", render_html(data)))


def render_markdown(data: SummaryData) -> str:
    lines = [f"# {_title(data)}", "", f"截至 {data.built_at}（{data.since}）", "",
             f"- 红灯：{data.lights['red']}", f"- 黄灯：{data.lights['yellow']}",
             f"- 绿灯：{data.lights['green']}", ""]
    if data.by_unit:
        lines += ["## 分单位情况", "", "| 单位 | 红 | 黄 | 绿 | 在办 |", "|---|---|---|---|---|"]
        lines += [f"| {_md(u['unit'])} | {u['red']} | {u['yellow']} | {u['green']} | {u['open']} |"
                  for u in data.by_unit]
        lines.append("")
    for section in _visible(data):
        lines += [f"## {section.title}（{section.total}）", "",
                  "| 编号 | 事项 | 牵头单位 | 时限 | 逾期天数 | 分管领导 | 状态 |",
                  "|---|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(_md(cell) for cell in _cells(r)) + " |" for r in section.rows]
        if section.total > len(section.rows):
            lines.append(f"\n另有 {section.total - len(section.rows)} 项未列出。")
        lines.append("")
    lines += [f"`{data.anchor}`", ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    """A Markdown table cell: one safe line, its pipes made full-width."""
    return one_line(text).replace("|", "｜")


def markup(text: str) -> str:
    """Text typed by people, safe inside rich markup."""
    return rich_escape(one_line(text))
