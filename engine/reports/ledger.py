"""The 督办台账: every task as one row of an Excel workbook, streamed.

Layout: row 1 is the title (merged across the table), row 2 the header (:data:`HEADERS`), data
from row 3. Rows 1–2 are frozen (``A3``), the auto-filter covers the header and every data row,
long text wraps, and the 红黄绿灯 cell is filled with its light's colour (:data:`LIGHT_FILLS`).
The 证明材料 column gives each task's attached files: their count, then their names.

Guarantees of :func:`export_ledger`: filters are checked before anything is written; tasks are
read :data:`BATCH` at a time (keyset on the id) and written through openpyxl's write-only mode,
so memory does not grow with the number of tasks; the workbook is written to a temporary file
beside ``path`` and moved into place only when complete, so a failure leaves no partial file.
Column widths fit the header and the first batch (CJK characters count 2), capped per column.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import func
from sqlmodel import Session, col, select

from config.policy import Policy
from engine.calendar.lights import days_overdue, light_at, yellow_cutoff
from engine.calendar.timefmt import local_text
from engine.errors import InvalidInput
from engine.files.access import names_by_task
from engine.inputs import check_line, printable
from engine.org.actors import Actor
from engine.org.directory import find_unit
from engine.org.leaders import leader_id_of, scope_leaders
from engine.read.filters import TaskFilters
from engine.read.tasks import filter_conditions
from engine.store.policy import get_policy, zone_for
from engine.values import DirectiveKind, Light, TaskStatus, label_of
from models import Directive, Person, ProgressReport, Task, TaskUnit, Unit

HEADERS = ("序号", "编号", "来源", "任务内容", "牵头单位", "配合单位", "责任人", "分管领导",
           "完成时限", "原定时限", "办理状态", "最新进展", "证明材料", "红黄绿灯", "逾期天数",
           "完成量/目标量")
LIGHT_COLUMN = HEADERS.index("红黄绿灯")
LIGHT_FILLS: dict[str, str] = {"red": "FFFF0000", "yellow": "FFFFFF00", "green": "FF92D050"}
"""ARGB fill of the 红黄绿灯 cell per light."""

BATCH = 1000
"""Tasks read from the database per query."""

WIDTH_CAPS: dict[str, int] = {"来源": 36, "任务内容": 60, "配合单位": 30, "最新进展": 50,
                              "证明材料": 40}
DEFAULT_WIDTH_CAP = 24
"""Column width caps, in Excel character units (one CJK character is 2)."""

TITLE_ROW, HEADER_ROW = 1, 2


def display_width(text: str) -> int:
    """Width of ``text`` in Excel character units: wide and full-width characters count 2;
    for multi-line text, the widest line."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                for line in text.split("\n")), default=0)


def export_ledger(*, session: Session, actor: Actor, path: Path, now: datetime,
                  unit: str | None = None, status: str | None = None,
                  filters: TaskFilters | None = None,
                  codes: Sequence[str] | None = None) -> int:
    """Write the ledger of the tasks ``actor`` may see (or those of ``unit``, lead or
    cooperating, and/or in ``status`` — the English key or its Chinese label) to ``path``;
    return the rows written.

    ``filters`` narrows the rows as the task list does (its sort is ignored: the ledger is in
    creation order) and ``codes`` to those tasks (at most :data:`MAX_CODES`); a code the actor
    may not see is simply not in the ledger."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InvalidInput(f"台账文件名应以 .xlsx 结尾：{path}")
    if not path.parent.is_dir():
        raise InvalidInput(f"目录 {path.parent} 不存在")
    where = _filters(session, unit, status)
    # The list's conditions include what the actor may see (alone, when no filter is given).
    where += filter_conditions(session, actor, filters or TaskFilters(), now)
    if codes is not None:
        where.append(col(Task.code).in_(_checked_codes(codes)))
    policy = get_policy(session)
    title = _title(session, now, policy, unit or (filters.unit if filters else None), status,
                   len(codes) if codes is not None else None)
    rows = _rows(session, where, now, policy)
    handle, temp = tempfile.mkstemp(suffix=".xlsx", prefix=".ledger-", dir=path.parent)
    os.close(handle)
    try:
        count = _write(Path(temp), title, rows)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count


MAX_CODES = 1000
"""Most tasks a ledger of chosen tasks may name."""


def _checked_codes(codes: Sequence[str]) -> list[str]:
    if not codes:
        raise InvalidInput("请至少选择一项事项")
    if len(codes) > MAX_CODES:
        raise InvalidInput(f"一次最多导出 {MAX_CODES} 项选中的事项")
    return [check_line(code, "事项编号", max_length=64).upper() for code in codes]


def _filters(session: Session, unit: str | None, status: str | None) -> list[Any]:
    where: list[Any] = []
    if status is not None:
        key = TaskStatus.parse(status)
        if key is None:
            raise InvalidInput(f"办理状态“{status}”无效，应为：{TaskStatus.choices()}")
        where.append(col(Task.status) == key.value)
    if unit is not None:
        unit_id = find_unit(session, unit).id
        where.append(col(Task.id).in_(select(TaskUnit.task_id).where(TaskUnit.unit_id == unit_id)))
    return where


def _title(session: Session, now: datetime, policy: Policy, unit: str | None,
           status: str | None, chosen: int | None = None) -> str:
    scope = [find_unit(session, unit).name] if unit else []
    if status:
        scope.append(label_of(TaskStatus, status.strip()))
    if chosen is not None:
        scope.append(f"选定 {chosen} 项")
    suffix = f"（{'，'.join(scope)}）" if scope else ""
    return f"督办台账{suffix}　截至 {local_text(now, zone_for(policy))}"


@dataclass
class _Batch:
    """Names for one batch of tasks, each loaded with one query."""

    directives: dict[int, Directive]
    co_units: dict[int, list[int]]
    people: dict[int, str]
    progress: dict[int, str]
    leaders: dict[int, int | None]
    files: dict[int, list[str]]


def _load_batch(session: Session, tasks: list[Task], tz: Any) -> _Batch:
    ids = [t.id for t in tasks if t.id is not None]
    directive_ids = {t.directive_id for t in tasks}
    scopes = scope_leaders(session)
    leaders = {t.id or 0: leader_id_of(t, scopes) for t in tasks}
    person_ids = {i for t in tasks for i in (t.owner_id, leaders[t.id or 0]) if i is not None}
    co: dict[int, list[int]] = defaultdict(list)
    for link in session.exec(select(TaskUnit).where(col(TaskUnit.task_id).in_(ids),
                                                    TaskUnit.role == "co").order_by(col(TaskUnit.id))):
        co[link.task_id].append(link.unit_id)
    rank = func.row_number().over(partition_by=col(ProgressReport.task_id),
                                  order_by=(col(ProgressReport.at).desc(),
                                            col(ProgressReport.id).desc())).label("rank")
    latest = select(ProgressReport.task_id, ProgressReport.text, ProgressReport.at, rank).where(
        col(ProgressReport.task_id).in_(ids)).subquery()
    progress = {task_id: f"{_short_date(at, tz)}：{text or '（见证明材料）'}"
                for task_id, text, at in session.execute(
        select(latest.c.task_id, latest.c.text, latest.c.at).where(latest.c.rank == 1))}
    return _Batch(
        directives={d.id: d for d in session.exec(
            select(Directive).where(col(Directive.id).in_(directive_ids))) if d.id is not None},
        co_units=co,
        people={p.id: p.name for p in session.exec(
            select(Person).where(col(Person.id).in_(person_ids))) if p.id is not None},
        progress=progress,
        leaders=leaders,
        files=names_by_task(session, ids),
    )


def _short_date(at: datetime, tz: Any) -> str:
    """"3月10日" (SQLite hands back the naive UTC it stores: read it as UTC)."""
    local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(tz)
    return f"{local.month}月{local.day}日"


def _rows(session: Session, where: list[Any], now: datetime,
          policy: Policy) -> Iterator[tuple[list[Any], str | None]]:
    """Each ledger row's values and its light, in task-id order, ``BATCH`` tasks per query."""
    cutoff = yellow_cutoff(now, policy)
    units = {u.id: u.name for u in session.exec(select(Unit)) if u.id is not None}
    number, last_id = 0, 0
    while True:
        tasks = list(session.exec(select(Task).where(*where, col(Task.id) > last_id)
                                  .order_by(col(Task.id)).limit(BATCH)).all())
        if not tasks:
            return
        batch = _load_batch(session, tasks, zone_for(policy))
        for task in tasks:
            number += 1
            colour = light_at(task, now, cutoff)
            yield _values(number, task, batch, units, colour, now, policy), colour
        last_id = tasks[-1].id or last_id


def _values(number: int, task: Task, batch: _Batch, units: dict[int, str], colour: str | None,
            now: datetime, policy: Policy) -> list[Any]:
    tz = zone_for(policy)
    directive = batch.directives.get(task.directive_id)
    source = (f"{label_of(DirectiveKind, directive.kind)}：{directive.title}"
              if directive else "")
    original = (_due_text(task.original_due_text, task.original_due_at, tz)
                if task.extension_count else "")
    overdue = days_overdue(task, now, policy)
    return [
        number, task.code, source, task.title, units.get(task.lead_unit_id or 0, ""),
        "、".join(units.get(u, "") for u in batch.co_units.get(task.id or 0, [])),
        batch.people.get(task.owner_id or 0, ""),
        batch.people.get(batch.leaders.get(task.id or 0) or 0, ""),
        _due_text(task.due_text, task.due_at, tz), original, label_of(TaskStatus, task.status),
        batch.progress.get(task.id or 0, ""), evidence_text(batch.files.get(task.id or 0, [])),
        label_of(Light, colour, "—"),
        overdue or None, _amount(task),
    ]


EVIDENCE_NAMES = 10
"""File names listed in a ledger cell before "等"."""


def evidence_text(names: list[str]) -> str:
    """"3个：整改前.jpg、整改后.jpg、验收单.pdf" (the count, then the names), or ""."""
    if not names:
        return ""
    more = "等" if len(names) > EVIDENCE_NAMES else ""
    return f"{len(names)}个：{'、'.join(names[:EVIDENCE_NAMES])}{more}"


def _due_text(text: str, at: datetime | None, tz: Any) -> str:
    """"3月31日前（2024-03-31）": as written, then the resolved local date (and time when it is
    not the end of the day); "待定" for a draft without a deadline."""
    if at is None:
        return text or "待定"
    local = at.astimezone(tz)
    shown = local.strftime("%Y-%m-%d" if (local.hour, local.minute) == (23, 59) else "%Y-%m-%d %H:%M")
    return f"{text}（{shown}）" if text and text != shown else shown


def _amount(task: Task) -> str:
    if task.target is None:
        return ""
    return f"{task.achieved or 0:g}/{task.target:g}{task.measure or ''}"


def _write(path: Path, title: str, rows: Iterator[tuple[list[Any], str | None]]) -> int:
    """Stream ``rows`` into a new workbook at ``path``; return how many were written.

    Write-only sheets take widths and frozen panes before the first row and the auto-filter and
    merged title after the last, so the first batch is held back to size the columns.
    """
    first = list(itertools.islice(rows, BATCH))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("督办台账")
    styles = _styles(sheet)
    for index, width in enumerate(_widths([v for v, _ in first]), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.row_dimensions[TITLE_ROW].height = 30
    sheet.append([_cell(sheet, title, styles["title"])])
    sheet.append([_cell(sheet, h, styles["header"]) for h in HEADERS])
    count = 0
    for values, colour in itertools.chain(first, rows):
        sheet.append([_cell(sheet, v, styles[_style_key(i, colour)])
                      for i, v in enumerate(values)])
        count += 1
    last = get_column_letter(len(HEADERS))
    sheet.merged_cells.add(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + count}"
    book.save(path)
    return count


def _style_key(index: int, colour: str | None) -> str:
    if index == LIGHT_COLUMN:
        return colour or "text"
    return "number" if index in _NUMBER_COLUMNS else "text"


_NUMBER_COLUMNS = {HEADERS.index("序号"), HEADERS.index("逾期天数")}


def _cell(sheet: Any, value: Any, style: Any) -> Any:
    # Excel's XML cannot hold control characters (openpyxl raises): show them as stand-ins. A
    # leading "=" would make a typed title a formula: such text is kept as text.
    if isinstance(value, str):
        value = printable(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    # A ready style array, shared: far cheaper than setting each attribute, and safe because a
    # write-only cell is serialised once and never restyled.
    cell._style = style
    return cell


def _styles(sheet: Any) -> dict[str, Any]:
    """The style arrays of the ledger's cell kinds, registered once in the workbook."""
    thin = Side(style="thin", color="FF808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    body = Font(name="宋体", size=10)
    specs: dict[str, dict[str, Any]] = {
        "title": {"font": Font(name="黑体", size=16, bold=True),
                  "alignment": Alignment(horizontal="center", vertical="center")},
        "header": {"font": Font(name="黑体", size=11, bold=True), "border": border,
                   "fill": PatternFill("solid", fgColor="FFD9D9D9"),
                   "alignment": Alignment(horizontal="center", vertical="center", wrap_text=True)},
        "text": {"font": body, "border": border,
                 "alignment": Alignment(vertical="center", wrap_text=True)},
        "number": {"font": body, "border": border,
                   "alignment": Alignment(horizontal="center", vertical="center")},
    }
    for light, argb in LIGHT_FILLS.items():
        specs[light] = {**specs["number"], "fill": PatternFill("solid", fgColor=argb)}
    arrays = {}
    for key, attrs in specs.items():
        proto = WriteOnlyCell(sheet)
        for name, value in attrs.items():
            setattr(proto, name, value)
        arrays[key] = proto._style
    return arrays


def _widths(sample: Sequence[Sequence[Any]]) -> list[float]:
    widths = []
    for index, header in enumerate(HEADERS):
        cap = WIDTH_CAPS.get(header, DEFAULT_WIDTH_CAP)
        longest = max([display_width(header)] + [display_width(str(r[index])) for r in sample
                                                 if r[index] is not None])
        widths.append(float(min(cap, max(6, longest + 2))))
    return widths
