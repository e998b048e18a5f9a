"""The 15:00 summary as text for messages and reports: Telegram HTML, plain text and Markdown.

Empty sections are left out; the header and the light counts are always there. (The terminal's
table is the CLI's own rendering of the same :class:`~engine.read.schemas.SummaryView`.)
"""

from __future__ import annotations

import re
from html import escape

from engine.read.schemas import SummaryView, TaskRow

TELEGRAM_ROWS = 10
"""Rows per section in a Telegram message (which is capped at 4096 characters)."""


def title(data: SummaryView) -> str:
    return f"督办事项每日调度（{data.scope}）"


def moment(value: object) -> str:
    """``2024-03-05 15:00`` (times in a summary are already local)."""
    return f"{value:%Y-%m-%d %H:%M}"


def due_text(row: TaskRow) -> str:
    """The deadline as written, else its date."""
    return row.due_text or (f"{row.due_at:%Y-%m-%d}" if row.due_at is not None else "")


def _row_text(row: TaskRow) -> str:
    extra = f"，逾期{row.days_overdue}天" if row.overdue else ""
    leader = f"，分管：{row.leader}" if row.leader else ""
    return (f"{row.code} {row.title}（{row.lead_unit}，{due_text(row)}"
            f"{extra}{leader}，{row.status.label}）")


def render_html(data: SummaryView) -> str:
    """Telegram-ready HTML (only tags Telegram accepts: b, i, code)."""
    lines = [f"<b>{escape(title(data))}</b>", f"截至 {moment(data.built_at)}",
             f"🔴 红灯 {data.lights['red']}　🟡 黄灯 {data.lights['yellow']}　"
             f"🟢 绿灯 {data.lights['green']}"]
    reds = [u for u in data.by_unit if u.red][:TELEGRAM_ROWS]
    if reds:
        lines.append("<b>红灯单位</b>：" + "、".join(f"{escape(u.unit)} {u.red}" for u in reds))
    for section in data.visible_sections():
        lines.append(f"\n<b>{escape(section.title)}（{section.total}）</b>")
        lines += [f"• {escape(_row_text(r))}" for r in section.rows[:TELEGRAM_ROWS]]
        if section.total > TELEGRAM_ROWS:
            lines.append(f"<i>另有 {section.total - TELEGRAM_ROWS} 项，详见调度报告</i>")
    return "\n".join(lines)


def render_text(data: SummaryView) -> str:
    """Plain text (for channels without markup)."""
    return re.sub(r"</?(b|i|code)>", "", render_html(data)).replace("&lt;", "<").replace(
        "&gt;", ">").replace("&amp;", "&").replace("&quot;", '"')


def render_markdown(data: SummaryView) -> str:
    lines = [f"# {title(data)}", "", f"截至 {moment(data.built_at)}（上次调度 {moment(data.since)}）",
             "",
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
        lines += [f"| {r.code} | {_md(r.title)} | {_md(r.lead_unit)} | "
                  f"{_md(due_text(r))} | {r.days_overdue or ''} | "
                  f"{_md(r.leader or '')} | {r.status.label} |" for r in section.rows]
        if section.total > len(section.rows):
            lines.append(f"\n另有 {section.total - len(section.rows)} 项未列出。")
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "｜")
