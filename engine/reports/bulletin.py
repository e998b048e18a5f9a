"""The monthly 情况通报 (bulletin) built from the database: the queries. Its wording lives in
:mod:`engine.reports.bulletin_text`, its parts and renderers (which also number the sub-parts
（一）（二）…) in :mod:`engine.reports.bulletin_docx`, re-exported here.

Definitions (the statistics paragraph is checked against them):

- the period is a calendar month in the policy's zone, ``[1st 00:00, next 1st 00:00)``; a
  bulletin is written **as of** a moment — by default the period's last second, or now for the
  month still under way (:func:`report_moment`) — and every count and "逾期N天" is as of it;
- its **tasks** are those of the directives issued in the period, decomposed sub-tasks included,
  except drafts (待交办: not yet given to a unit) and cancelled ones (已撤销);
- as of that moment: **已办结** = closed; **逾期** = assigned, not closed, past its (possibly
  extended) deadline; **办理中** = the others; 总数 = 已办结 + 办理中 + 逾期; **办结率** =
  已办结 / 总数; overdue tasks of earlier periods are counted beside them (**往期逾期**);
- sections 一–三 tell the directives issued in the period (批示/跟批/12345 诉求; 会议; 督查检查)
  with exactly those tasks, a closed one with the evidence files of its completion requests;
  四 lists assigned open tasks due from the moment to the end of the following month, then the
  period's 上级文件/任务清单 with their tasks; 五 names every unit with tasks overdue at the
  moment, whatever their period, and lists them in a table;
- all counts — the partition, 往期逾期 and each unit's overdue in 五 — come from **one** grouped
  query, so the introduction's 逾期 (本期 + 往期) always equals section 五's total.

Lists are capped (:data:`LIST_LIMIT`, :data:`OVERDUE_LIMIT`) with the remainder counted; counts
never are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine.calendar.lights import days_overdue
from engine.calendar.timefmt import local_date_text
from engine.errors import InvalidInput, PermissionDenied
from engine.files.access import names_by_task
from engine.inputs import one_line
from engine.org.actors import Actor
from engine.org.leaders import scope_leaders
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
from engine.reports.bulletin_text import (
    LIST_LIMIT,
    Context,
    ahead_intro,
    ahead_line,
    date_text,
    due_text,
    leader_text,
    sentence,
    tally,
    task_lines,
)
from engine.store.policy import get_policy, zone_for
from engine.tasks.audit import anchor_text
from engine.tasks.lifecycle import ACTIVE_STATUSES
from engine.values import DirectiveKind
from models import Directive, Person, Task, TaskUnit, Unit

__all__ = ["BulletinData", "Period", "build_bulletin", "parse_period", "render_markdown",
           "report_moment", "write_docx"]
OVERDUE_LIMIT = 200
"""Rows of the overdue table in section 五 (the longest overdue)."""
COUNTED = ("closed", *ACTIVE_STATUSES)
"""Statuses of the tasks a bulletin counts (not drafts, not cancelled)."""
_SECTIONS = (  # title, directive kinds, what their tasks are called, what "none" says
    ("一、领导批示办理情况", ("instruction", "followup", "hotline"), "交办督办事项", "领导批示事项"),
    ("二、会议议定事项落实情况", ("meeting",), "议定事项", "需督办的会议议定事项"),
    ("三、督查检查发现问题整改情况", ("inspection",), "发现问题", "督查检查发现的问题"),
)
OVERDUE_HEADERS = ("序号", "责任单位", "事项编号", "事项内容", "完成时限", "逾期天数", "分管领导")
_PERIOD = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
YEARS = (2000, 2199)
"""The years a bulletin may be asked for (the calendar arithmetic needs room on both sides)."""


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
        # The value is echoed: as one printable line, whatever was typed (or sent in a URL).
        raise InvalidInput(f"统计月份“{one_line(value or '')[:20]}”无效，应为 年-月，如 2024-03")
    year, month = int(match.group(1)), int(match.group(2))
    if not YEARS[0] <= year <= YEARS[1]:
        raise InvalidInput(f"统计月份的年份应在{YEARS[0]}年至{YEARS[1]}年之间")

    def first(m: int) -> datetime:
        return datetime(year + (m - 1) // 12, (m - 1) % 12 + 1, 1, tzinfo=tz)

    return Period(year, month, first(month), first(month + 1), first(month + 2))


def report_moment(span: Period, clock: datetime) -> datetime:
    """As of when a bulletin for ``span`` is written unless told otherwise: the period's last
    second, or ``clock`` while the period is still under way."""
    return min(span.end - timedelta(seconds=1), clock)


def build_bulletin(*, session: Session, actor: Actor, period: str, now: datetime) -> BulletinData:
    """The bulletin of ``period`` ("2024-03") as of ``now``. Reads only; its counts follow the
    definitions of the module docstring. It names every unit's overdue items: only readers who
    see every task (the office, top leaders) may build it."""
    if not sees_all_tasks(session, actor):
        raise PermissionDenied("只有督查室可以生成情况通报")
    policy = get_policy(session)
    span = parse_period(period, zone_for(policy))
    ctx = Context(now=now, tz=zone_for(policy), year=span.year, policy=policy)
    in_period = [col(Directive.issued_at) >= span.start, col(Directive.issued_at) < span.end]
    directives = list(session.exec(select(Directive).where(*in_period).order_by(
        col(Directive.issued_at), col(Directive.id))).all())
    tasks = _tasks(session, [col(Task.directive_id).in_(select(Directive.id).where(*in_period))])
    _load_names(session, ctx, directives, tasks)
    by_directive: dict[int, list[Task]] = {}
    for task in tasks:
        by_directive.setdefault(task.directive_id, []).append(task)
    counts = _counts(session, in_period, now, directives)
    table, units = _overdue(session, ctx, counts.by_unit)
    sections = [Section(title, _directive_blocks(ctx, kinds, noun, directives, by_directive)
                        or [Block(paragraphs=[f"本月无{empty}。"])])
                for title, kinds, noun, empty in _SECTIONS]
    sections.append(Section("四、近期重点工作及时限", [_ahead(session, ctx, span), *_directive_blocks(
        ctx, ("document", "plan"), "分解督办事项", directives, by_directive)]))
    sections.append(Section("五、逾期未办结事项通报", _overdue_blocks(ctx, table, units)))
    return BulletinData(
        title=f"{span.year}年{span.month}月份督办工作情况通报",
        date_line=f"（{local_date_text(now, ctx.tz)}）", summary=_summary(ctx, span, counts.stats),
        stats=counts.stats, sections=sections, overdue_units=units, anchor=anchor_text(session))


def _tasks(session: Session, where: list[Any], limit: int | None = None) -> list[Task]:
    """Counted tasks matching ``where``: by id, or the ``limit`` due first."""
    order = [col(Task.due_at), col(Task.id)] if limit else [col(Task.id)]
    query = select(Task).where(col(Task.status).in_(COUNTED), *where).order_by(*order)
    return list(session.exec(query.limit(limit) if limit else query).all())


@dataclass
class _Counts:
    stats: Stats
    by_unit: list[tuple[int | None, int]]
    """(lead unit id, tasks overdue at the moment) for every unit that has some."""


def _counts(session: Session, in_period: list[Any], now: datetime,
            directives: list[Directive]) -> _Counts:
    """Every count of the bulletin from one aggregate query, grouped by lead unit: the period's
    partition 已办结 / 办理中 / 逾期, and all overdue tasks (any period) per unit."""
    mine = col(Task.directive_id).in_(select(Directive.id).where(*in_period))
    late = (col(Task.status).in_(ACTIVE_STATUSES)) & (col(Task.due_at) < now)

    def tally_of(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    # SQLAlchemy's own select: SQLModel's is typed for at most four columns.
    rows = session.execute(
        sa_select(col(Task.lead_unit_id), tally_of(mine),
                  tally_of(mine & (col(Task.status) == "closed")), tally_of(mine & late),
                  tally_of(late))
        .where(col(Task.status).in_(COUNTED)).group_by(col(Task.lead_unit_id))).all()
    total = sum(int(r[1] or 0) for r in rows)
    done = sum(int(r[2] or 0) for r in rows)
    overdue = sum(int(r[3] or 0) for r in rows)
    every_late = sum(int(r[4] or 0) for r in rows)
    kinds = [d.kind for d in directives]
    stats = Stats(directives={k.value: kinds.count(k) for k in DirectiveKind if k in kinds},
                  total=total, closed=done, in_progress=total - done - overdue, overdue=overdue,
                  carried_overdue=every_late - overdue)
    return _Counts(stats, [(r[0], int(r[4])) for r in rows if r[4]])


def _load_names(session: Session, ctx: Context, directives: list[Directive],
                tasks: list[Task]) -> None:
    """Units, people, parents of 跟批 and cooperating units of the listed tasks, into ``ctx``."""
    ctx.units = {u.id: u.name for u in session.exec(select(Unit)) if u.id is not None}
    ctx.people = {p.id: p for p in session.exec(select(Person)) if p.id is not None}
    ctx.leaders = scope_leaders(session)
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


def _ahead(session: Session, ctx: Context, span: Period) -> Block:
    """Assigned open tasks due from ``now`` to the end of the following month (capped)."""
    where = [col(Task.status).in_(ACTIVE_STATUSES), col(Task.due_at) >= ctx.now,
             col(Task.due_at) < span.ahead_end]
    total = int(session.exec(select(func.count()).select_from(Task).where(*where)).one())
    head = ahead_intro(ctx, total, span.ahead_end)
    if not total:
        return Block("近期到期事项", [head])
    tasks = _tasks(session, where, LIST_LIMIT)
    lines = [ahead_line(ctx, i, t) for i, t in enumerate(tasks, 1)]
    more = [f"……另有{total - len(tasks)}项，详见督办台账。"] if total > len(tasks) else []
    return Block("近期到期事项", [head, *lines, *more])


def _overdue(session: Session, ctx: Context, counts: list[tuple[int | None, int]]
             ) -> tuple[Table, list[tuple[str, int]]]:
    """Section 五's table (units with most overdue first, then longest overdue first) and each
    unit's count of overdue tasks (from :func:`_counts`)."""
    where = [col(Task.status).in_(ACTIVE_STATUSES), col(Task.due_at) < ctx.now]
    order = sorted(counts, key=lambda c: (-c[1], ctx.units.get(c[0] or 0, "")))
    rank = {unit_id: i for i, (unit_id, _) in enumerate(order)}
    tasks = sorted(_tasks(session, where, OVERDUE_LIMIT),
                   key=lambda t: (rank[t.lead_unit_id], t.due_at, t.id or 0))
    rows: list[tuple[str, ...]] = [
        (str(i), ctx.units.get(t.lead_unit_id or 0, ""), t.code, t.title, due_text(ctx, t),
         str(days_overdue(t, ctx.now, ctx.policy)), leader_text(ctx, t))
        for i, t in enumerate(tasks, start=1)]
    return Table(OVERDUE_HEADERS, rows), [(ctx.units.get(u or 0, ""), n) for u, n in order]


def _chain(head: Directive, chosen: list[Directive]) -> list[Directive]:
    """``head`` and its 跟批 descendants among ``chosen``, depth first, in issue order."""
    return [head, *(d for child in chosen if child.parent_id == head.id
                    for d in _chain(child, chosen))]


def _directive_blocks(ctx: Context, kinds: tuple[str, ...], noun: str,
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
        told = "".join(sentence(ctx, d, in_chain=d is not head) for d in chain)
        if tasks:
            told += f"{noun}{len(tasks)}{'个' if fix else '项'}，{tally(ctx, tasks, fix)}。"
        else:
            told += "阅示件，不生成督办事项。" if all(d.read_only for d in chain) else "暂未交办督办事项。"
        blocks.append(Block(head.title, [told, *task_lines(ctx, tasks, fix)]))
    return blocks


def _overdue_blocks(ctx: Context, table: Table,
                    units: list[tuple[str, int]]) -> list[Block]:
    when = date_text(ctx, ctx.now)
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


def _summary(ctx: Context, span: Period, stats: Stats) -> str:
    """The statistics paragraph: directives by kind, then the partition of the period's tasks."""
    label = f"{span.year}年{span.month}月"
    kinds = "、".join(f"{DirectiveKind(k).label}{n}{'次' if k in ('meeting', 'inspection') else '件'}"
                      for k, n in stats.directives.items())
    issued = f"共登记来源事项{sum(stats.directives.values())}件" + (f"（{kinds}）" if kinds else "")
    when = date_text(ctx, ctx.now)
    carried = (f"另有往期交办事项{stats.carried_overdue}项逾期未办结，合计逾期"
               f"{stats.overdue + stats.carried_overdue}项（见第五部分）。"
               if stats.carried_overdue else "")
    if not stats.total:
        return f"{label}，{issued}，未交办督办事项。" + (f"截至{when}，{carried}" if carried else "")
    return (f"{label}，{issued}，交办督办事项{stats.total}项。截至{when}，"
            f"已办结{stats.closed}项，正在办理{stats.in_progress}项，逾期未办结{stats.overdue}项，"
            f"办结率{stats.rate:.1f}%。{carried}")
