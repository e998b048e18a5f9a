"""The Chinese text of every message a person receives about a task (plain text and HTML).

A message names the task's code and title, its deadline as written and as resolved, its light,
and what is asked of the reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from sqlmodel import Session

from engine.calendar.lights import light_at, yellow_cutoff
from engine.calendar.timefmt import local_text
from engine.org.directory import unit_name
from engine.store.policy import get_policy, zone_for
from engine.values import EscalationLevel, Light, Priority, label_of
from models import Task

LIGHT_EMOJI = {"red": "🔴", "yellow": "🟡", "green": "🟢", None: "⚪"}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_task_message(
    session: Session, *, task: Task, headline: str, ask: str, now: datetime,
    cutoff: datetime | None = None,
) -> Rendered:
    """A message about ``task`` opening with ``headline`` and ending with what is asked.

    ``cutoff`` (:func:`engine.calendar.lights.yellow_cutoff` for ``now``) spares a pass that renders many
    messages at one moment from recomputing it per message.
    """
    policy = get_policy(session)
    tz = zone_for(policy)
    colour = light_at(task, now, cutoff if cutoff is not None else yellow_cutoff(now, policy))
    due = f"{task.due_text}（{local_text(task.due_at, tz)}）" if task.due_text else local_text(
        task.due_at, tz
    )
    lines = [
        ("事项", f"{task.code} {task.title}"),
        ("牵头单位", unit_name(session, task.lead_unit_id)),
        ("完成时限", due),
        ("紧急程度", label_of(Priority, task.priority)),
        ("状态灯", f"{LIGHT_EMOJI[colour]} {label_of(Light, colour, '已结束')}"),
    ]
    if task.escalation_level:
        lines.append(("督办级别", EscalationLevel(task.escalation_level).label))
    text = "\n".join([f"【{headline}】", *(f"{k}：{v}" for k, v in lines), f"请：{ask}"])
    html = "\n".join(
        [f"<b>【{escape(headline)}】</b>", *(f"<b>{k}</b>：{escape(v)}" for k, v in lines),
         f"<b>请</b>：{escape(ask)}"]
    )
    return Rendered(subject=f"{headline}：{task.code} {task.title}", text=text, html=html)


ASSIGNED_BUTTONS = [
    {"text": "签收", "data": "ack:{code}"},
    {"text": "反馈进展", "data": "progress:{code}"},
    {"text": "申请延期", "data": "extend:{code}"},
]


def buttons_for(task: Task) -> list[dict[str, str]]:
    """Inline buttons offered under reminders and assignments (签收 / 反馈进展 / 申请延期)."""
    return [{"text": b["text"], "data": b["data"].format(code=task.code)} for b in ASSIGNED_BUTTONS]


REVIEW_BUTTONS = [
    {"text": "审核销号", "data": "verify:{code}"},
    {"text": "退回", "data": "return:{code}"},
]


def review_buttons(task: Task) -> list[dict[str, str]]:
    """Buttons under a completion request sent to the office (审核销号 / 退回)."""
    return [{"text": b["text"], "data": b["data"].format(code=task.code)} for b in REVIEW_BUTTONS]
