"""How an audit event reads in a task's timeline: its kind, a Chinese title and a short text
built from what the event recorded (reasons, ratings, quantities, files, new deadlines)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from engine.tasks.editing import describe_changes
from engine.tasks.lifecycle import ACTION_LABELS
from engine.values import EscalationLevel, Rating

TITLES = {**ACTION_LABELS, "create": "登记事项", "extend": "延期生效", "recheck": "回头看",
          "reopen": "回头看重新打开", "recur": "生成周期任务", "urge": "催办"}
"""Titles of the events a task's trail holds (the lifecycle's action names and the rest)."""


def _files(after: dict[str, Any]) -> str:
    files = after.get("files") or []
    names = "、".join(str(f.get("name", "")) for f in files if isinstance(f, dict))
    return f"附 {len(files)} 个文件：{names}" if files else ""


def _amount(after: dict[str, Any]) -> str:
    achieved = after.get("achieved")
    return f"累计完成 {achieved:g}" if isinstance(achieved, int | float) else ""


def _local(value: Any, tz: tzinfo) -> str:
    try:
        return datetime.fromisoformat(str(value)).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


def _join(*parts: str) -> str:
    return "；".join(p for p in parts if p)


def _report(after: dict[str, Any], units: dict[str, str], tz: tzinfo) -> str:
    stone = after.get("milestone")
    return _join(str(after.get("text") or ""), _amount(after),
                 f"完成第 {stone} 个阶段节点" if stone else "", _files(after))


def _completion(after: dict[str, Any], units: dict[str, str], tz: tzinfo) -> str:
    return _join(str(after.get("evidence") or ""), _amount(after), _files(after))


def _acknowledge(after: dict[str, Any], units: dict[str, str], tz: tzinfo) -> str:
    return "配合单位签收" if after.get("unit_role") == "co" else ""


def _verify(after: dict[str, Any], units: dict[str, str], tz: tzinfo) -> str:
    rating = Rating.parse(str(after.get("rating") or ""))
    return _join(f"评价：{rating.label}" if rating else "", str(after.get("note") or ""))


def _reason(after: dict[str, Any], units: dict[str, str], tz: tzinfo) -> str:
    return str(after.get("reason") or "")


def _extension(after: dict[str, Any], units: dict[str, str], tz: tzinfo) -> str:
    return _join(f"申请延至 {_local(after.get('new_due_at'), tz)}",
                 f"理由：{after.get('reason') or ''}", _files(after))


def _decision(after: dict[str, Any], units: dict[str, str], tz: tzinfo) -> str:
    verdict = "批准" if after.get("approved") else "驳回"
    return _join(f"{verdict}延期申请 {after.get('request')}", str(after.get("note") or ""))


def _extended(after: dict[str, Any], units: dict[str, str], tz: tzinfo) -> str:
    return f"完成时限改为 {after.get('due_text') or ''}（{_local(after.get('due_at'), tz)}）"


def _recheck(after: dict[str, Any], units: dict[str, str], tz: tzinfo) -> str:
    return _join("通过", str(after.get("note") or ""))


def _edit(after: dict[str, Any], units: dict[str, str], tz: tzinfo) -> str:
    changes = after.get("changes")
    return "；".join(describe_changes(changes, units)) if isinstance(changes, dict) else ""


Describe = Callable[[dict[str, Any], dict[str, str], tzinfo], str]
TEXTS: dict[str, Describe] = {
    "report_progress": _report, "request_completion": _completion,
    "acknowledge": _acknowledge, "verify": _verify, "return": _reason, "cancel": _reason,
    "reopen": _reason, "request_extension": _extension, "decide_extension": _decision,
    "extend": _extended, "recheck": _recheck, "edit": _edit,
}


def describe_event(action: str, after: dict[str, Any], units: dict[str, str],
                   tz: tzinfo) -> tuple[str, str, str]:
    """(kind, title, text) of one task event; ``units`` maps unit codes to names."""
    if action == "escalate":
        level = after.get("level")
        return "escalation", f"升级为{_level(level)}", f"第 {level} 级"
    kind = "report" if action in ("report_progress", "request_completion") else "event"
    describe = TEXTS.get(action)
    return kind, TITLES.get(action, action), describe(after, units, tz) if describe else ""


def _level(level: Any) -> str:
    try:
        return EscalationLevel(int(level)).label
    except (TypeError, ValueError):
        return str(level)
