"""The monthly 情况通报 (bulletin) built from the database: queries and wording. Its parts and
renderers (which also number the sub-parts （一）（二）…) live in
:mod:`engine.reports.bulletin_docx` and are re-exported here.

Definitions (the statistics paragraph is checked against them):

- the period is a calendar month in the policy's zone, ``[1st 00:00, next 1st 00:00)``;
- its **tasks** are those of the directives issued in the period, decomposed sub-tasks included,
  except drafts (待交办: not yet given to a unit) and cancelled ones (已撤销);
- as at ``now``: **已办结** = closed; **逾期** = open and past its (possibly extended) deadline;
  **办理中** = the other open ones; 总数 = 已办结 + 办理中 + 逾期; **办结率** = 已办结 / 总数;
- sections 一–三 tell the directives issued in the period (批示/跟批/12345 诉求; 会议; 督查检查)
  with exactly those tasks, a closed one with the evidence files of its completion requests; 四 lists assigned open tasks due from ``now`` to the end of the
  following month, then the period's 上级文件/任务清单 with their tasks; 五 names every unit with
  assigned tasks overdue at ``now``, whatever their period, and lists them in a table.

Lists are capped (:data:`LIST_LIMIT`, :data:`OVERDUE_LIMIT`) with the remainder counted; counts
never are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from engine.calendar.lights import days_overdue, is_overdue
from engine.calendar.timefmt import local_date_text
from engine.errors import InvalidInput, PermissionDenied
from engine.files.access import names_by_task
from engine.org.actors import Actor
from engine.org.visibility import sees_all_tasks
from engine.reports.bulletin_docx import (
    Block,
    BulletinData,
    Section,
    Stats,
    Table,
    render_markdown,
    write_docx,
)
from engine.store.policy import get_policy, zone_for
from engine.tasks.lifecycle import ACTIVE_STATUSES, OPEN_STATUSES
from engine.values import DirectiveKind
from models import Directive, Person, Task, TaskUnit, Unit

__all__ = ["BulletinData", "Period", "build_bulletin", "parse_period", "render_markdown",
           "write_docx"]
LIST_LIMIT = 30
"""Tasks listed under one directive, and near-deadline tasks listed in section 四."""
OVERDUE_LIMIT = 200
"""Rows of the overdue table in section 五 (the longest overdue)."""
EVIDENCE_NAMES = 5
"""Evidence file names given for one closed task."""
COUNTED = ("closed", *ACTIVE_STATUSES)
"""Statuses of the tasks a bulletin counts (not drafts, not cancelled)."""
_SECTIONS = (  # title, directive kinds, what their tasks are called, what "none" says
    ("一、领导批示办理情况", ("instruction", "followup", "hotline"), "交办督办事项", "领导批示事项"),
    ("二、会议议定事项落实情况", ("meeting",), "议定事项", "需督办的会议议定事项"),
    ("三、督查检查发现问题整改情况", ("inspection",), "发现问题", "督查检查发现的问题"),
)
OVERDUE_HEADERS = ("序号", "责任单位", "事项编号", "事项内容", "完成时限", "逾期天数", "分管领导")
_PERIOD = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


@dataclass(frozen=True)
class Period:
    year: int
    month: int
    start: datetime
    end: datetime
    ahead_end: datetime
    """End of the month after the period: the horizon of section 四."""


def parse_period(value: str, tz: ZoneInfo) -> Period:
    """``"2024-03"`` → that local calendar month; raises :class:`InvalidInput` otherwise."""
    match = _PERIOD.match(value or "")
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput(f"统计月份“{value}”无效，应为 年-月，如 2024-03")
    year, month = int(match.group(1)), int(match.group(2))

    def first(m: int) -> datetime:
        return datetime(year + (m - 1) // 12, (m - 1) % 12 + 1, 1, tzinfo=tz)

    return Period(year, month, first(month), first(month + 1), first(month + 2))


@dataclass
class _Context:
    """What the wording needs: the moment, the zone and the names (each loaded once)."""

    now: datetime
    tz: ZoneInfo
    year: int
    policy: Any
    units: dict[int, str] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
    directives: dict[int, Directive] = field(default_factory=dict)
    co_units: dict[int, list[int]] = field(default_factory=dict)
    evidence: dict[int, list[str]] = field(default_factory=dict)
    """Names of the files given with each closed task's completion requests."""


def build_bulletin(*, session: Session, actor: Actor, period: str, now: datetime) -> BulletinData:
    """The bulletin of ``period`` ("2024-03") as at ``now``. Reads only; its counts follow the
    definitions of the module docstring. It names every unit's overdue items: only readers who
    see every task (the office, top leaders) may build it."""
    if not sees_all_tasks(session, actor):
        raise PermissionDenied("只有督查室可以生成情况通报")
    policy = get_policy(session)
    span = parse_period(period, zone_for(policy))
    ctx = _Context(now=now, tz=zone_for(policy), year=span.year, policy=policy)
    in_period = [col(Directive.issued_at) >= span.start, col(Directive.issued_at) < span.end]
    directives = list(session.exec(select(Directive).where(*in_period).order_by(
        col(Directive.issued_at), col(Directive.id))).all())
    tasks = _tasks(session, [col(Task.directive_id).in_(select(Directive.id).where(*in_period))])
    _load_names(session, ctx, directives, tasks)
    by_directive: dict[int, list[Task]] = {}
    for task in tasks:
        by_directive.setdefault(task.directive_id, []).append(task)
    table, units = _overdue(session, ctx)
    sections = [Section(title, _directive_blocks(ctx, kinds, noun, directives, by_directive)
                        or [Block(paragraphs=[f"本月无{empty}。"])])
                for title, kinds, noun, empty in _SECTIONS]
    sections.append(Section("四、近期重点工作及时限", [_ahead(session, ctx, span), *_directive_blocks(
        ctx, ("document", "plan"), "分解督办事项", directives, by_directive)]))
    sections.append(Section("五、逾期未办结事项通报", _overdue_blocks(ctx, table, units)))
    stats = _stats(session, in_period, now, directives)
    return BulletinData(
        title=f"{span.year}年{span.month}月份督办工作情况通报",
        date_line=f"（{local_date_text(now, ctx.tz)}）", summary=_summary(ctx, span, stats),
        stats=stats, sections=sections, overdue_units=units)


def _tasks(session: Session, where: list[Any], limit: int | None = None) -> list[Task]:
    """Counted tasks matching ``where``: by id, or the ``limit`` due first."""
    order = [col(Task.due_at), col(Task.id)] if limit else [col(Task.id)]
    query = select(Task).where(col(Task.status).in_(COUNTED), *where).order_by(*order)
    return list(session.exec(query.limit(limit) if limit else query).all())


def _stats(session: Session, in_period: list[Any], now: datetime,
           directives: list[Directive]) -> Stats:
    """One aggregate query over the period's tasks: the partition 已办结 / 办理中 / 逾期."""
    late = (col(Task.status).in_(OPEN_STATUSES)) & (col(Task.due_at) < now)
    total, done, overdue = session.exec(
        select(func.count(), func.sum(case((col(Task.status) == "closed", 1), else_=0)),
               func.sum(case((late, 1), else_=0)))
        .where(col(Task.status).in_(COUNTED),
               col(Task.directive_id).in_(select(Directive.id).where(*in_period)))).one()
    total, done, overdue = int(total), int(done or 0), int(overdue or 0)
    kinds = [d.kind for d in directives]
    return Stats(directives={k.value: kinds.count(k) for k in DirectiveKind if k in kinds},
                 total=total, closed=done, in_progress=total - done - overdue, overdue=overdue)


def _load_names(session: Session, ctx: _Context, directives: list[Directive],
                tasks: list[Task]) -> None:
    """Units, people, parents of 跟批 and cooperating units of the listed tasks, into ``ctx``."""
    ctx.units = {u.id: u.name for u in session.exec(select(Unit)) if u.id is not None}
    ctx.people = {p.id: p for p in session.exec(select(Person)) if p.id is not None}
    ctx.directives = {d.id: d for d in directives if d.id is not None}
    missing = {d.parent_id for d in directives if d.parent_id and d.parent_id not in ctx.directives}
    for parent in session.exec(select(Directive).where(col(Directive.id).in_(missing))):
        ctx.directives[parent.id or 0] = parent
    ids = [t.id for t in tasks if t.id is not None]
    closed = [t.id for t in tasks if t.id is not None and t.status == "closed"]
    ctx.evidence = names_by_task(session, closed, purposes=("completion",))
    for start in range(0, len(ids), 500):
        for link in session.exec(select(TaskUnit).where(
                col(TaskUnit.task_id).in_(ids[start:start + 500]), TaskUnit.role == "co")
                .order_by(col(TaskUnit.id))):
            ctx.co_units.setdefault(link.task_id, []).append(link.unit_id)


def _ahead(session: Session, ctx: _Context, span: Period) -> Block:
    """Assigned open tasks due from ``now`` to the end of the following month (capped)."""
    where = [col(Task.status).in_(ACTIVE_STATUSES), col(Task.due_at) >= ctx.now,
             col(Task.due_at) < span.ahead_end]
    total = int(session.exec(select(func.count()).select_from(Task).where(*where)).one())
    last = _date(ctx, span.ahead_end - timedelta(days=1))
    if not total:
        return Block("近期到期事项", [f"截至{_date(ctx, ctx.now)}，{last}前无到期的督办事项。"])
    tasks = _tasks(session, where, LIST_LIMIT)
    lines = [f"{i}. {t.title.rstrip('。')}（牵头单位：{ctx.units.get(t.lead_unit_id or 0, '')}；"
             f"完成时限：{_due(ctx, t)}；{_state(ctx, t, False)}）。" for i, t in enumerate(tasks, 1)]
    more = [f"……另有{total - len(tasks)}项，详见督办台账。"] if total > len(tasks) else []
    head = f"以下{total}项督办事项将于{last}前到期，请责任单位抓紧办理，按时报送办理结果："
    return Block("近期到期事项", [head, *lines, *more])


def _overdue(session: Session, ctx: _Context) -> tuple[Table, list[tuple[str, int]]]:
    """Section 五's table (units with most overdue first, then longest overdue first) and each
    unit's count of overdue tasks."""
    where = [col(Task.status).in_(ACTIVE_STATUSES), col(Task.due_at) < ctx.now]
    counts = session.exec(select(Task.lead_unit_id, func.count()).where(*where)
                          .group_by(col(Task.lead_unit_id))).all()
    order = sorted(counts, key=lambda c: (-int(c[1]), ctx.units.get(c[0], "")))
    rank = {unit_id: i for i, (unit_id, _) in enumerate(order)}
    tasks = sorted(_tasks(session, where, OVERDUE_LIMIT),
                   key=lambda t: (rank[t.lead_unit_id or 0], t.due_at, t.id or 0))
    rows: list[tuple[str, ...]] = [(str(i), ctx.units.get(t.lead_unit_id or 0, ""), t.code, t.title, _due(ctx, t),
             str(days_overdue(t, ctx.now, ctx.policy)), _person(ctx, t.leader_id))
            for i, t in enumerate(tasks, start=1)]
    return Table(OVERDUE_HEADERS, rows), [(ctx.units.get(u or 0, ""), int(n)) for u, n in order]


def _date(ctx: _Context, at: datetime | None) -> str:
    """"3月4日", with the year when it is not the period's ("待定" without a date)."""
    if at is None:
        return "待定"
    local = at.astimezone(ctx.tz)
    return f"{local.month}月{local.day}日" if local.year == ctx.year else local_date_text(at, ctx.tz)


def _person(ctx: _Context, person_id: int | None) -> str:
    person = ctx.people.get(person_id or 0)
    return f"{person.name}{person.title}" if person else ""


def _due(ctx: _Context, task: Task) -> str:
    """The deadline as written, with the resolved day unless the text already says it."""
    day = _date(ctx, task.due_at) + ("，经批准延期" if task.extension_count else "")
    text = task.due_text
    if not text:
        return day
    return text if _date(ctx, task.due_at) in text and not task.extension_count else f"{text}（{day}）"


def _state(ctx: _Context, task: Task, fix: bool) -> str:
    if is_overdue(task, ctx.now):
        review = "（已申请办结，待审核）" if task.status == "pending_review" else ""
        days = days_overdue(task, ctx.now, ctx.policy)
        return f"逾期未{'整改' if fix else '办结'}{review}，已逾期{days}天"
    if task.status == "closed":
        when = f"（{_date(ctx, task.closed_at)}）" if task.closed_at else ""
        return f"{'已整改销号' if fix else '已办结'}{when}{_evidence(ctx, task)}"
    if task.status == "pending_review":
        return "已申请办结，待审核"
    return "正在整改" if fix else "正在办理"


def _evidence(ctx: _Context, task: Task) -> str:
    """"，证明材料：整改前.jpg、整改后.jpg" for a closed task with files, else ""."""
    names = ctx.evidence.get(task.id or 0, [])
    if not names:
        return ""
    more = f"等{len(names)}个文件" if len(names) > EVIDENCE_NAMES else ""
    return f"，证明材料：{'、'.join(names[:EVIDENCE_NAMES])}{more}"


def _tally(ctx: _Context, tasks: list[Task], fix: bool) -> str:
    """"已办结1项、逾期1项" (zero counts left out), or "均已办结" when one state covers all."""
    late = sum(is_overdue(t, ctx.now) for t in tasks)
    done = sum(t.status == "closed" for t in tasks)
    names = ("已整改", "正在整改", "逾期未整改") if fix else ("已办结", "正在办理", "逾期")
    parts = [(name, n) for name, n in zip(names, (done, len(tasks) - done - late, late),
                                          strict=True) if n]
    if len(parts) == 1:
        return "均" + ("已逾期" if parts[0][0] == "逾期" else parts[0][0])
    return "、".join(f"{name}{n}{'个' if fix else '项'}" for name, n in parts)


def _task_lines(ctx: _Context, tasks: list[Task], fix: bool) -> list[str]:
    lines = []
    for i, task in enumerate(tasks[:LIST_LIMIT], start=1):
        co = "、".join(ctx.units.get(u, "") for u in ctx.co_units.get(task.id or 0, []))
        lines.append(f"{i}. {task.title.rstrip('。')}。牵头单位：{ctx.units.get(task.lead_unit_id or 0, '')}"
                     f"{'；配合单位：' + co if co else ''}；完成时限：{_due(ctx, task)}；"
                     f"{'整改' if fix else '办理'}情况：{_state(ctx, task, fix)}。")
    if len(tasks) > LIST_LIMIT:
        lines.append(f"……另有{len(tasks) - LIST_LIMIT}项，详见督办台账。")
    return lines


def _sentence(ctx: _Context, d: Directive, *, in_chain: bool = False) -> str:
    """One directive as the bulletin tells it ("3月4日，王炳森书记在《…》上作出批示：“…”")."""
    who = _person(ctx, d.issued_by_id)
    text = d.text.strip()
    quote = f"：“{text[:300]}{'……' if len(text) > 300 else ''}”" if text else ""
    if d.read_only:
        body = f"{who or '有关领导'}圈阅了《{d.title}》"
    elif d.kind == "followup":
        parent = ctx.directives.get(d.parent_id or 0)
        on = ("" if in_chain or parent is None else
              f"对{_date(ctx, parent.issued_at)}{_person(ctx, parent.issued_by_id)}的批示")
        body = f"{who}{on}作出跟批{quote}"
    elif d.kind in ("instruction", "hotline"):
        source = "12345诉求" if d.kind == "hotline" else ""
        body = f"{who or '有关领导'}在{source}《{d.title}》上作出批示{quote}"
    elif d.kind in ("meeting", "inspection"):
        lead = (who + ("主持" if d.kind == "meeting" else "带队")) if who else ""
        body = f"{lead}{'召开' if d.kind == 'meeting' else '开展'}{d.title}"
    else:
        body = f"印发《{d.title}》" + (f"（{d.doc_number}）" if d.doc_number else "")
    return f"{_date(ctx, d.issued_at)}，{body}" + ("" if body.endswith(("。”", "！”", "？”")) else "。")


def _chain(head: Directive, chosen: list[Directive]) -> list[Directive]:
    """``head`` and its 跟批 descendants among ``chosen``, depth first, in issue order."""
    return [head, *(d for child in chosen if child.parent_id == head.id
                    for d in _chain(child, chosen))]


def _directive_blocks(ctx: _Context, kinds: tuple[str, ...], noun: str,
                      directives: list[Directive],
                      by_directive: dict[int, list[Task]]) -> list[Block]:
    """One block per directive of ``kinds`` (per 跟批 chain for instructions): what was asked,
    the tally of its tasks and each task with how it was handled."""
    chosen = [d for d in directives if d.kind in kinds]
    ids = {d.id for d in chosen}
    fix = noun == "发现问题"
    blocks = []
    for head in [d for d in chosen if d.parent_id not in ids]:
        chain = _chain(head, chosen)
        tasks = [t for d in chain for t in by_directive.get(d.id or 0, [])]
        told = "".join(_sentence(ctx, d, in_chain=d is not head) for d in chain)
        if tasks:
            told += f"{noun}{len(tasks)}{'个' if fix else '项'}，{_tally(ctx, tasks, fix)}。"
        else:
            told += "阅示件，不生成督办事项。" if all(d.read_only for d in chain) else "暂未交办督办事项。"
        blocks.append(Block(head.title, [told, *_task_lines(ctx, tasks, fix)]))
    return blocks


def _overdue_blocks(ctx: _Context, table: Table,
                    units: list[tuple[str, int]]) -> list[Block]:
    when = _date(ctx, ctx.now)
    if not units:
        return [Block(paragraphs=[f"截至{when}，无逾期未办结的督办事项。"])]
    total = sum(n for _, n in units)
    named = "；".join(f"{name}{n}项" for name, n in units)
    blocks = [Block(paragraphs=[f"截至{when}，共有{len(units)}个单位的{total}项督办事项逾期未办结，"
                                f"现予通报：{named}。"]), Block(table=table)]
    if total > len(table.rows):
        blocks.append(Block(paragraphs=[f"表中列出逾期时间最长的{len(table.rows)}项，其余详见督办台账。"]))
    blocks.append(Block(paragraphs=["请被通报单位逐项分析逾期原因，明确整改措施和完成时间，抓紧办结并"
                                    "及时反馈进展；确需延期的，须经分管领导同意后按程序申请。"]))
    return blocks


def _summary(ctx: _Context, span: Period, stats: Stats) -> str:
    """The statistics paragraph: directives by kind, then the partition of the period's tasks."""
    label = f"{span.year}年{span.month}月"
    kinds = "、".join(f"{DirectiveKind(k).label}{n}{'次' if k in ('meeting', 'inspection') else '件'}"
                      for k, n in stats.directives.items())
    issued = f"共登记来源事项{sum(stats.directives.values())}件" + (f"（{kinds}）" if kinds else "")
    if not stats.total:
        return f"{label}，{issued}，未交办督办事项。"
    return (f"{label}，{issued}，交办督办事项{stats.total}项。截至{_date(ctx, ctx.now)}，"
            f"已办结{stats.closed}项，正在办理{stats.in_progress}项，逾期未办结{stats.overdue}项，"
            f"办结率{stats.rate:.1f}%。")
