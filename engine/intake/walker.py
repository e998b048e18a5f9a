"""Walking a document's blocks in order with the reading state: the current directive, a list's
introduction, a table's header, the record being read, and whether the section states goals
(no tasks) or assignments. Tasks found outside any directive belong to the document itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import cast

from engine.intake.context import TaskContext
from engine.intake.directives import DirectiveFinder, DraftDirective
from engine.intake.forms import document_due, owner_names, record_tasks, table_tasks
from engine.intake.roles import Roles, assign_roles
from engine.intake.segment import (
    RECORD_OWNER,
    RECORD_TASK,
    Block,
    cells,
    inline_fields,
    record_label,
    sentences,
    table_columns,
)
from engine.intake.tables import VerticalRows, vertical_header
from engine.intake.tasks import DraftTask, extract_tasks

ISSUE_TIME = time(9, 0)
"""Local time of day assumed for a directive dated by day only (start of the office day); it
matters only for deadlines counted in hours."""

_CELLS = re.compile(r"[|｜\t]")
_TASK_SECTION = re.compile(r"任务|措施|要求|事项|分工")
_GOAL_SECTION = re.compile(r"(?:工作目标|总体目标|主要目标|目标任务|总体要求|指导思想|基本原则|工作成效|主要成效|"
                           r"主要做法|基本情况|总体情况|工作开展情况|工作进展情况|背景)")
_PROBLEM_SECTION = re.compile(r"(?:存在的?(?:主要)?问题|主要问题|督查发现的?问题|发现的?问题|问题清单)")


@dataclass
class Run:
    """One document's walk: the text, the finder, the base task context, the date anchor and the
    document's own directive (created on first need, see :func:`_adopt`)."""

    text: str
    finder: DirectiveFinder
    base: TaskContext
    anchor: date | None
    doc: DraftDirective | None


PROGRESS_EVERY = 200
"""Blocks read between two progress reports."""


def walk(run: Run, body: list[Block],
         progress: Callable[[int, int], None] | None = None) -> list[DraftTask]:
    """Attach each block to its directive and collect the tasks, in document order; tell
    ``progress`` (blocks read, all blocks) as it goes."""
    due = document_due(_context(run, run.doc, None, True), body)
    run.base = replace(run.base, doc_due=due)
    walker = _Walker(run, body)
    for k, block in enumerate(body):
        walker.feed(block, k)
        if progress and (k + 1) % PROGRESS_EVERY == 0:
            progress(k + 1, len(body))
    walker.flush()
    if progress:
        progress(len(body), len(body))
    return walker.tasks


class _Walker:
    """The reading state across blocks: current directive, list intro, table, record."""

    def __init__(self, run: Run, body: list[Block]) -> None:
        self.run, self.body = run, body
        self.tasks: list[DraftTask] = []
        self.current, self.intro, self.listing = run.doc, cast(Roles | None, None), False
        self.columns: dict[str, int] | None = None
        self.record: list[tuple[str, tuple[int, int]]] = []
        self.rows: VerticalRows | None = None
        # "goal" in a 工作目标 / 基本情况 section (no assignments), "problem" in a 存在问题
        # section (only problems a form assigns to a unit are tasks)
        self.section: str | None = None

    def feed(self, block: Block, k: int) -> None:
        run, line = self.run, self.run.text[block.start:block.end]
        if self.rows is not None:
            got = self.rows.take(run.text, block)
            if isinstance(got, list):
                ctx = _context(run, self.current, None, True)
                self._add(table_tasks(ctx, got, self.rows.columns, (got[0][0], got[-1][1])))
            if got != "out":
                return
            self.rows = None
        header = vertical_header(run.text, self.body, k)
        if header:
            self.flush()
            self.rows = VerticalRows(header[0], header[1], header[1] - 1)
            return
        label = record_label(run.text, block.start, block.end)
        if label is None or label in {name for name, _ in self.record}:
            self.flush()
        if label is not None:
            self.record.append((label, (block.start, block.end)))
        elif block.level and self._fields_follow(k):
            self.record = [("工作任务", (block.start, block.end))]
        elif block.heading:
            self.current, self.intro = run.doc, None
            self.listing = bool(_TASK_SECTION.search(line))
            self.section = "goal" if _GOAL_SECTION.match(line) else (
                "problem" if _PROBLEM_SECTION.match(line) else None)
        elif self.section == "goal":
            return
        elif len(_CELLS.findall(line)) >= 2:
            self._table_row(block)
        elif block.level and (fields := inline_fields(run.text, block.start, block.end)):
            self.record = fields
            self.flush(single=False)
        elif self.section != "problem":
            self._paragraph(block, line)

    def _fields_follow(self, k: int) -> bool:
        """Whether the fields of a record (责任单位：…, 牵头负责领导：…) follow item ``k``."""
        if k + 1 >= len(self.body):
            return False
        nxt = self.body[k + 1]
        label = record_label(self.run.text, nxt.start, nxt.end)
        return label is not None and label not in RECORD_TASK

    def flush(self, *, single: bool = True) -> None:
        """Turn a finished 问题/整改措施/责任单位/整改时限 record into its task."""
        if self.record and all(label in RECORD_OWNER for label, _ in self.record):
            self._owner_line()
        elif self.record:
            ctx = _context(self.run, self.current, None, True)
            self._add(record_tasks(ctx, self.record, single=single))
        self.record = []

    def _owner_line(self) -> None:
        """"消防安全责任人：王建国" on its own: the person answers for the tasks before it that
        name none."""
        text = self.run.text
        names = [owner_names(text[a:b].split("：", 1)[-1]) for _, (a, b) in self.record]
        owner = "、".join(filter(None, names))
        for task in self.tasks:
            task.owner = task.owner or owner or None

    def _add(self, found: list[DraftTask]) -> None:
        self.tasks += _adopt(self.run, self.current, self.body, found)
        self.current = self.current or self.run.doc

    def _table_row(self, block: Block) -> None:
        if self.columns is None:
            self.columns = table_columns(self.run.text, block.start, block.end)
            return
        ctx = _context(self.run, self.current, None, True)
        self._add(table_tasks(ctx, cells(self.run.text, block.start, block.end), self.columns,
                              (block.start, block.end)))

    def _paragraph(self, block: Block, line: str) -> None:
        run = self.run
        in_item = bool(block.level) and (self.listing or (run.doc is not None
                                                          and run.doc.kind == "plan"))
        events = run.finder.events(block, run.doc.kind if run.doc else None)
        for event in events:
            if event.region:
                ctx = _context(run, event.directive, None, in_item)
                self.tasks += extract_tasks(ctx, *event.region)
        if events:
            self.current = next((e.directive for e in reversed(events) if not (
                e.directive.read_only or (run.doc and e.directive.kind == "hotline"))),
                self.current)
            return
        ctx = _context(run, self.current, self.intro if block.level else None, in_item)
        self._add(extract_tasks(ctx, block.start, block.end))
        self.intro = _intro_roles(run, block) or (self.intro if block.level else None)
        self.listing = line.endswith(("：", ":")) if not block.level else self.listing


def _context(run: Run, directive: DraftDirective | None, inherited: Roles | None,
             in_item: bool) -> TaskContext:
    directive = directive or placeholder()
    day = directive.issued_at or run.anchor
    issued = datetime.combine(day, ISSUE_TIME, tzinfo=run.base.tz) if day else None
    return replace(run.base, directive=directive, issued_at=issued, inherited=inherited,
                   in_item=in_item)


def _adopt(run: Run, current: DraftDirective | None, body: list[Block],
           found: list[DraftTask]) -> list[DraftTask]:
    """Tasks found outside any directive belong to the document itself (created lazily)."""
    if found and current is None:
        run.doc = run.doc or _lazy_doc(run, body)
        for task in found:
            task.directive_key = run.doc.key
    return found


def _intro_roles(run: Run, block: Block) -> Roles | None:
    """Units of a block that introduces a list ("会议要求住建、应急部门：")."""
    if not run.text[block.start:block.end].endswith(("：", ":")):
        return None
    start, end = sentences(run.text, block.start, block.end)[-1]
    roles = assign_roles(run.base.units, run.text, start, end, addressees=run.base.addressees)
    return roles if roles.lead or roles.co else None


def placeholder() -> DraftDirective:
    """A stand-in directive for task contexts built before any directive is known."""
    return DraftDirective("D0", "document", "", "", None, None, None, None, False, (0, 0))


def _lazy_doc(run: Run, body: list[Block]) -> DraftDirective:
    """The document itself as a directive, for requirements outside any announced one."""
    first = body[0] if body else None
    title = run.text[first.start:first.end][:30] if first else "来文"
    return run.finder.new("document", title, (0, len(run.text)), issued_at=run.anchor)
