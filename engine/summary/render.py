"""The 15:00 summary as text for messages and reports: Telegram HTML, plain text and Markdown.

Empty sections are left out; the header, the light counts and the audit chain's anchor are
always there. Text people typed goes through :func:`engine.inputs.one_line`: a stored control
character is shown as a visible stand-in, never written raw. (The terminal's table is the CLI's
own rendering of the same :class:`~engine.read.schemas.SummaryView`.)
"""

from __future__ import annotations

import re
from html import escape, unescape

from engine.inputs import one_line
from engine.read.schemas import SummaryView, TaskRow

TELEGRAM_ROWS = 10
"""Rows per section in a Telegram message (which is capped at 4096 characters)."""


def title(data: SummaryView) -> str:
    return f"督办事项每日调度（{one_line(data.scope)}）"


def moment(value: object) -> str:
    """``2024-03-05 15:00`` (times in a summary are already local)."""
    return f"{value:%Y-%m-%d %H:%M}"


def since_text(data: SummaryView) -> str:
    """"上次调度 2024-03-04 15:00", or what a first summary covers instead."""
    return "首次调度，新增、办结按近24小时统计" if data.first else f"上次调度 {moment(data.since)}"


def due_text(row: TaskRow) -> str:
    """The deadline as written, else its date; "未定" for none (no task state breaks a summary)."""
    return one_line(row.due_text or (f"{row.due_at:%Y-%m-%d}" if row.due_at is not None
                                     else "未定"))


def cells(row: TaskRow) -> list[str]:
    """A listed task's cells, each one safe line: code, title, lead unit, deadline, days
    overdue, supervising leader, status."""
    return [one_line(row.code), one_line(row.title), one_line(row.lead_unit), due_text(row),
            str(row.days_overdue or ""), one_line(row.leader or ""), row.status.label]


def _row_text(row: TaskRow) -> str:
    code, name, unit, due, _, leader, status = cells(row)
    extra = f"，逾期{row.days_overdue}天" if row.overdue else ""
    by = f"，分管：{leader}" if leader else ""
    return f"{code} {name}（{unit}，{due}{extra}{by}，{status}）"


def render_html(data: SummaryView) -> str:
    """Telegram-ready HTML (only tags Telegram accepts: b, i, code)."""
    lines = [f"<b>{escape(title(data))}</b>", f"截至 {moment(data.built_at)}",
             f"🔴 红灯 {data.lights['red']}　🟡 黄灯 {data.lights['yellow']}　"
             f"🟢 绿灯 {data.lights['green']}"]
    reds = [u for u in data.by_unit if u.red][:TELEGRAM_ROWS]
    if reds:
        lines.append("<b>红灯单位</b>：" + "、".join(f"{escape(one_line(u.unit))} {u.red}"
                                                for u in reds))
    for section in data.visible_sections():
        lines.append(f"\n<b>{escape(section.title)}（{section.total}）</b>")
        lines += [f"• {escape(_row_text(r))}" for r in section.rows[:TELEGRAM_ROWS]]
        if section.total > TELEGRAM_ROWS:
            lines.append(f"<i>另有 {section.total - TELEGRAM_ROWS} 项，详见调度报告</i>")
    if data.anchor:
        lines.append(f"\n<code>{escape(data.anchor)}</code>")
    return "\n".join(lines)


def render_text(data: SummaryView) -> str:
    """Plain text (for channels without markup)."""
    return unescape(re.sub(r"</?(b|i|code)>", "", render_html(data)))


def render_markdown(data: SummaryView) -> str:
    lines = [f"# {title(data)}", "", f"截至 {moment(data.built_at)}（{since_text(data)}）", "",
             f"- 红灯：{data.lights['red']}", f"- 黄灯：{data.lights['yellow']}",
             f"- 绿灯：{data.lights['green']}", ""]
    if data.by_unit:
        lines += ["## 分单位情况", "", "| 单位 | 红 | 黄 | 绿 | 在办 |", "|---|---|---|---|---|"]
        lines += [f"| {_md(u.unit)} | {u.red} | {u.yellow} | {u.green} | {u.open} |"
                  for u in data.by_unit]
        lines.append("")
    for section in data.visible_sections():
        lines += [f"## {section.title}（{section.total}）", "",
                  "| 编号 | 事项 | 牵头单位 | 时限 | 逾期天数 | 分管领导 | 状态 |",
                  "|---|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(_md(c) for c in cells(r)) + " |" for r in section.rows]
        if section.total > len(section.rows):
            lines.append(f"\n另有 {section.total - len(section.rows)} 项未列出。")
        lines.append("")
    if data.anchor:
        lines += [f"`{data.anchor}`", ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    """A Markdown table cell: one safe line, its pipes made full-width."""
    return one_line(text).replace("|", "｜")
