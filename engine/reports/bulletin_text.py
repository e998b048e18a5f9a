"""The wording of the monthly bulletin: dates, people, deadlines, states and the sentences that
tell a directive and its tasks (the queries live in :mod:`engine.reports.bulletin`).

Sentences are whole: a task whose title is a cut-off piece of its requirement (document intake
keeps titles short) is told by its requirement, shortened at a clause boundary with "……"; a
directive whose source gave no date is told without one (never with the day it was registered).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.calendar.lights import days_overdue, is_overdue
from engine.calendar.timefmt import local_date_text
from models import Directive, Person, Task

LIST_LIMIT = 30
"""Tasks listed under one directive, and near-deadline tasks listed in section 四."""
CONTENT_LIMIT = 120
"""Characters of a task's content told in one list line."""
QUOTE_LIMIT = 300
"""Characters of an instruction quoted in the bulletin."""
EVIDENCE_NAMES = 5
"""Evidence file names given for one closed task."""
_CLAUSE_ENDS = "。；！？，、：;,"


@dataclass
class Context:
    """What the wording needs: the moment, the zone and the names (each loaded once)."""

    now: datetime
    tz: ZoneInfo
    year: int
    policy: Any
    units: dict[int, str] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    directives: dict[int, Directive] = field(default_factory=dict)
    co_units: dict[int, list[int]] = field(default_factory=dict)
    leaders: dict[int, int] = field(default_factory=dict)
    """Unit id → the leader supervising it (org file scopes), for tasks without their own."""
    evidence: dict[int, list[str]] = field(default_factory=dict)
    """Names of the files given with each closed task's completion requests."""


def shorten(text: str, limit: int) -> str:
    """``text`` whole, or cut at the last clause boundary before ``limit`` (or at ``limit`` if
    there is none in its second half) and marked "……"."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    boundary = max(cut.rfind(ch) for ch in _CLAUSE_ENDS)
    if boundary >= limit // 2:
        cut = cut[:boundary]
    return cut.rstrip(_CLAUSE_ENDS + " ") + "……"


def end_sentence(text: str) -> str:
    """``text`` ending as a sentence: "。" added unless it ends with one or with "……"."""
    text = text.rstrip("。 ")
    return text if text.endswith(("……", "！", "？", "”")) else text + "。"


def content(task: Task) -> str:
    """What a task asks, as one readable clause: its title, or — when the title is only the cut
    beginning of its requirement — the requirement, shortened at a clause boundary."""
    title, requirement = task.title.strip(), task.requirement.strip()
    stem = title.rstrip("…. ")
    if requirement and len(requirement) > len(stem) and requirement.startswith(stem):
        return shorten(requirement, CONTENT_LIMIT)
    return shorten(title, CONTENT_LIMIT)


def date_text(ctx: Context, at: datetime | None) -> str:
    """"3月4日", with the year when it is not the period's ("待定" without a date)."""
    if at is None:
        return "待定"
    local = at.astimezone(ctx.tz)
    return f"{local.month}月{local.day}日" if local.year == ctx.year else local_date_text(at, ctx.tz)


def person_text(ctx: Context, person_id: int | None) -> str:
    person = ctx.people.get(person_id or 0)
    return f"{person.name}{person.title}" if person else ""


def leader_text(ctx: Context, task: Task) -> str:
    """The supervising leader: the task's own, else the one whose scope covers its lead unit."""
    return person_text(ctx, task.leader_id or ctx.leaders.get(task.lead_unit_id or 0))


def due_text(ctx: Context, task: Task) -> str:
    """The deadline as written, with the resolved day unless the text already says it."""
    day = date_text(ctx, task.due_at) + ("，经批准延期" if task.extension_count else "")
    text = task.due_text
    if not text:
        return day
    return text if date_text(ctx, task.due_at) in text and not task.extension_count else f"{text}（{day}）"


def state_text(ctx: Context, task: Task, fix: bool) -> str:
    if is_overdue(task, ctx.now):
        review = "（已申请办结，待审核）" if task.status == "pending_review" else ""
        days = days_overdue(task, ctx.now, ctx.policy)
        return f"逾期未{'整改' if fix else '办结'}{review}，已逾期{days}天"
    if task.status == "closed":
        when = f"（{date_text(ctx, task.closed_at)}）" if task.closed_at else ""
        return f"{'已整改销号' if fix else '已办结'}{when}{_evidence(ctx, task)}"
    if task.status == "pending_review":
        return "已申请办结，待审核"
    return "正在整改" if fix else "正在办理"


def _evidence(ctx: Context, task: Task) -> str:
    """"，证明材料：整改前.jpg、整改后.jpg" for a closed task with files, else ""."""
    names = ctx.evidence.get(task.id or 0, [])
    if not names:
        return ""
    more = f"等{len(names)}个文件" if len(names) > EVIDENCE_NAMES else ""
    return f"，证明材料：{'、'.join(names[:EVIDENCE_NAMES])}{more}"


def tally(ctx: Context, tasks: list[Task], fix: bool) -> str:
    """"已办结1项、逾期1项" (zero counts left out), or "均已办结" when one state covers all."""
    late = sum(is_overdue(t, ctx.now) for t in tasks)
    done = sum(t.status == "closed" for t in tasks)
    names = ("已整改", "正在整改", "逾期未整改") if fix else ("已办结", "正在办理", "逾期")
    parts = [(name, n) for name, n in zip(names, (done, len(tasks) - done - late, late),
                                          strict=True) if n]
    if len(parts) == 1:
        return "均" + ("已逾期" if parts[0][0] == "逾期" else parts[0][0])
    return "、".join(f"{name}{n}{'个' if fix else '项'}" for name, n in parts)


def task_lines(ctx: Context, tasks: list[Task], fix: bool) -> list[str]:
    lines = []
    for i, task in enumerate(tasks[:LIST_LIMIT], start=1):
        co = "、".join(ctx.units.get(u, "") for u in ctx.co_units.get(task.id or 0, []))
        lines.append(f"{i}. {end_sentence(content(task))}"
                     f"牵头单位：{ctx.units.get(task.lead_unit_id or 0, '')}"
                     f"{'；配合单位：' + co if co else ''}；完成时限：{due_text(ctx, task)}；"
                     f"{'整改' if fix else '办理'}情况：{state_text(ctx, task, fix)}。")
    if len(tasks) > LIST_LIMIT:
        lines.append(f"……另有{len(tasks) - LIST_LIMIT}项，详见督办台账。")
    return lines


def ahead_intro(ctx: Context, total: int, end: datetime) -> str:
    """The sentence opening section 四's list of the ``total`` tasks due from the bulletin's
    moment until ``end`` (exclusive): the window named by both ends, so that it reads as the
    span the listed deadlines fall in — never as one deadline shared by them all. A moment at
    or past ``end`` (a bulletin of an old month written late) has no window to name."""
    if ctx.now >= end:
        return f"截至{date_text(ctx, ctx.now)}，无近期到期的在办督办事项。"
    window = f"{date_text(ctx, ctx.now)}至{date_text(ctx, end - timedelta(days=1))}期间"
    if not total:
        return f"{window}没有到期的在办督办事项。"
    spread = "陆续" if total > 1 else ""  # several deadlines fall one after another
    return f"以下{total}项督办事项将在{window}{spread}到期，请责任单位抓紧办理，按时报送办理结果："


def ahead_line(ctx: Context, number: int, task: Task) -> str:
    """A near-deadline task in section 四."""
    return (f"{number}. {content(task).rstrip('。')}（牵头单位："
            f"{ctx.units.get(task.lead_unit_id or 0, '')}；完成时限：{due_text(ctx, task)}；"
            f"{state_text(ctx, task, False)}）。")


def sentence(ctx: Context, d: Directive, *, in_chain: bool = False) -> str:
    """One directive as the bulletin tells it ("3月4日，王炳森书记在《…》上作出批示：“…”");
    an undated one without a date."""
    who = person_text(ctx, d.issued_by_id)
    text = d.text.strip()
    quote = f"：“{shorten(text, QUOTE_LIMIT)}”" if text else ""
    if d.read_only:
        body = f"{who or '有关领导'}圈阅了《{d.title}》"
    elif d.kind == "followup":
        parent = ctx.directives.get(d.parent_id or 0)
        when = "" if parent is None or parent.undated else date_text(ctx, parent.issued_at)
        on = ("" if in_chain or parent is None else
              f"对{when}{person_text(ctx, parent.issued_by_id)}的批示")
        body = f"{who}{on}作出跟批{quote}"
    elif d.kind in ("instruction", "hotline"):
        source = "12345诉求" if d.kind == "hotline" else ""
        body = f"{who or '有关领导'}在{source}《{d.title}》上作出批示{quote}"
    elif d.kind in ("meeting", "inspection"):
        lead = (who + ("主持" if d.kind == "meeting" else "带队")) if who else ""
        body = f"{lead}{'召开' if d.kind == 'meeting' else '开展'}{d.title}"
    else:
        body = f"印发《{d.title}》" + (f"（{d.doc_number}）" if d.doc_number else "")
    told = body if body.endswith(("。”", "！”", "？”")) else body + "。"
    return told if d.undated else f"{date_text(ctx, d.issued_at)}，{told}"
