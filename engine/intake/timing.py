"""When a task is due: its due date, milestones and recurrence, from its clauses' deadlines.

The latest resolved date is the due date unless a 时限 field names one; earlier dates are
milestones; a periodic duty without a date is due at its first occurrence (from "从3月3日开始"
when the task says so).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from engine.calendar.deadlines import resolve_deadline
from engine.errors import DeadlineParseError
from engine.intake.clauses import Clause
from engine.intake.context import TaskContext
from engine.intake.deadline_text import URGENT, Deadline

_START = re.compile(r"(?:从|自)?((?:\d{4}年)?\d{1,2}月\d{1,2}日)(?:开始|起(?!至))")


def task_timing(ctx: TaskContext, ch: list[Clause]) -> tuple[
        datetime | None, list[tuple[str, datetime]], str | None, str | None, bool]:
    """(due_at, milestones, recurrence text, due text, blurred) for one task's deadlines."""
    dls = [d for c in ch for d in c.deadlines]
    s, e = ch[0].start, ch[-1].end
    periodic = next(iter(_periodic(dls)), None)
    points = [d for d in dls if d.category == "point" and d.resolved and not (
        periodic and periodic.category == "window" and URGENT.search(d.text))]
    recurrence = periodic.text if periodic else None
    if not points:
        if periodic and periodic.category == "recurring" and periodic.resolved:
            return _first_occurrence(ctx, periodic, s, e), [], recurrence, periodic.text, False
        written = periodic.text if periodic else (dls[0].text if dls else None)
        return None, [], recurrence, written, False
    fields = [d for d in points if d.field]
    in_text = [d for d in points if not d.field]
    main = fields[-1] if fields else max(points, key=lambda d: resolved_due(d))
    due_text = main.text
    if fields and in_text:  # the text's own date and the 完成时限 column: the earlier holds
        own = max(in_text, key=lambda d: resolved_due(d))
        if resolved_due(own) < resolved_due(main):
            main, due_text = own, f"{own.text}（完成时限：{main.text}）"
        elif resolved_due(own) > resolved_due(main):
            due_text = f"{main.text}（文中：{own.text}）"
    milestones = [(_label(ch, ctx.text, d), resolved_due(d)) for d in points
                  if d is not main and resolved_due(d) < resolved_due(main)]
    blur = bool(main.resolved and main.resolved.blur)
    return resolved_due(main), milestones, recurrence, due_text, blur


_BARE_PERIOD = re.compile(r"每个?(?:周|星期|月|季度?|天|日|半年)")


def _periodic(dls: list[Deadline]) -> list[Deadline]:
    """The periodic deadlines of a task, a bare period ("每月通报制度") giving way to a precise
    one ("每月5日前报送") of the same task."""
    found = [d for d in dls if d.category in ("recurring", "window")]
    precise = [d for d in found if not _BARE_PERIOD.fullmatch(d.text)]
    return [d for d in found if d in precise or not any(
        p.text.startswith(d.text[:2]) for p in precise)]


def resolved_due(d: Deadline) -> datetime:
    """The due date of a resolved deadline."""
    assert d.resolved is not None
    return d.resolved.due_at


def recurrences(ctx: TaskContext, ch: list[Clause]) -> list[tuple[str, datetime | None]]:
    """Each distinct periodic duty of a task (text, first occurrence): "每周五上午下班前、每月
    25日前报送" is two duties, each its own task."""
    s, e = ch[0].start, ch[-1].end
    seen: dict[str, datetime | None] = {}
    for d in (d for d in _periodic([d for c in ch for d in c.deadlines])
              if d.category == "recurring"):
        if d.text not in seen:
            seen[d.text] = _first_occurrence(ctx, d, s, e) if d.resolved else None
    return list(seen.items())


def _first_occurrence(ctx: TaskContext, d: Deadline, s: int, e: int) -> datetime | None:
    """First occurrence of a periodic deadline not before the directive is issued, from "从3月3日
    开始" if the task says so (a start already passed does not make an occurrence passed)."""
    assert d.resolved is not None and d.resolved.recurrence is not None
    m = _START.search(ctx.text, s, e)
    if m is None or ctx.issued_at is None:
        return d.resolved.due_at
    try:
        begin = resolve_deadline(m.group(1), issued_at=ctx.issued_at - timedelta(days=31),
                                 tz=ctx.tz, calendar=ctx.calendar)
    except DeadlineParseError:
        return d.resolved.due_at
    start_day = begin.due_at.astimezone(ctx.tz).replace(hour=0, minute=0, second=0)
    after = max(start_day - timedelta(seconds=1), ctx.issued_at)
    return d.resolved.recurrence.next_after(after, ctx.tz)


def _label(ch: list[Clause], text: str, d: Deadline) -> str:
    clause = next((c for c in ch if c.start <= d.start < c.end), None)
    return text[clause.start:clause.end].strip("，,。；;：: ")[:30] if clause else d.text
