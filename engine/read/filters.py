"""What a task list asks for: filters, the sort, and keyset pagination.

Every filter becomes a SQL condition and every sort an ``ORDER BY`` on indexed columns with the
task id as the tie-breaker, so a page is found by seeking past the previous page's last row
(a *cursor*) instead of counting rows to skip: page 1000 of the ledger at a million tasks costs
what page 1 costs. Cursors are opaque text; one from another sort is refused.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import and_, or_
from sqlmodel import col

from engine.errors import InvalidInput
from engine.inputs import fits_db_int
from engine.values import DirectiveKind, Light, TaskStatus
from models import Task

DEFAULT_PAGE_SIZE = 50
"""Rows per page when the caller does not say."""
MAX_PAGE_SIZE = 1000
"""The largest page a caller may ask for."""


class Sort(StrEnum):
    """Orders of a task list (each ends with the task id, so the order is total)."""

    DUE = "due"
    """Earliest deadline first; tasks without one (drafts) last."""
    DUE_DESC = "-due"
    """Latest deadline first; tasks without one last."""
    NEWEST = "newest"
    """Most recently created first."""
    OLDEST = "oldest"
    """In order of creation."""


@dataclass(frozen=True)
class TaskFilters:
    """Conditions of a task list; unset fields do not filter. All combine with AND."""

    unit: str | None = None
    """A unit (code, name or short name) that leads or cooperates."""
    light: Light | None = None
    statuses: tuple[TaskStatus, ...] = ()
    overdue: bool = False
    """Deadline passed and not ended."""
    leader: str | None = None
    """The supervising leader (分管领导), by name or title form."""
    leader_id: int | None = None
    """The supervising leader, by id."""
    source_kind: DirectiveKind | None = None
    """The kind of the directive the task comes from (批示, 会议 …)."""
    due_from: datetime | None = None
    due_to: datetime | None = None
    text: str | None = None
    """Words in the title, or the task's code."""
    min_escalation: int | None = None
    """Escalation level at least this (2: 督办 and 通报)."""
    awaiting_extension: bool = False
    """Open, with an extension request the office has not decided yet (待延期审批)."""
    sort: Sort = Sort.DUE


@dataclass(frozen=True)
class PageRequest:
    """Which page: ``limit`` rows after ``cursor`` (the first page without one)."""

    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None

    def checked_limit(self) -> int:
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"每页条数应在 1 到 {MAX_PAGE_SIZE} 之间")
        return self.limit


# -- cursors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a page ended: the sort, the last row's sort value (ISO text or None) and id."""

    sort: Sort
    value: str | None
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.sort.value, self.value, self.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, sort: Sort) -> Position:
        try:
            raw = base64.urlsafe_b64decode(cursor.strip() + "=" * (-len(cursor.strip()) % 4))
            name, value, last_id = json.loads(raw)
            position = cls(Sort(name), value, int(last_id))
            # A forged cursor must not reach the database as an id it cannot hold or a naive time.
            if not fits_db_int(position.id) or position.id < 0:
                raise ValueError(last_id)
            if value is not None and datetime.fromisoformat(value).tzinfo is None:
                raise ValueError(value)
        except (ValueError, TypeError, OverflowError):
            raise InvalidInput("分页游标无效，请从第一页重新开始") from None
        if position.sort is not sort:
            raise InvalidInput("分页游标与排序方式不符，请从第一页重新开始")
        return position

    @property
    def moment(self) -> datetime | None:
        return datetime.fromisoformat(self.value) if self.value is not None else None


class Placed(Protocol):
    """What a cursor position is taken from (a task or a listed row of one)."""

    @property
    def id(self) -> int | None: ...
    @property
    def due_at(self) -> datetime | None: ...


def position_of(task: Placed, sort: Sort) -> Position:
    """The cursor position just after ``task`` in ``sort``."""
    value = task.due_at if sort in (Sort.DUE, Sort.DUE_DESC) else None
    return Position(sort, value.isoformat() if value is not None else None, task.id or 0)


# -- ordering and seeking ------------------------------------------------------------------


def dated_phase(sort: Sort, after: Position | None) -> tuple[list[Any], list[Any]] | None:
    """The first phase of a deadline sort: tasks with a deadline, past ``after``.

    Returns ``(conditions, order_by)``, or ``None`` when ``after`` is already among the tasks
    without a deadline (the phase is over). Deadline sorts run in two phases — dated rows in
    index order, then undated ones by id — because "NULLS LAST" cannot walk an index on SQLite.
    """
    if after is not None and after.value is None:
        return None
    due, ident = col(Task.due_at), col(Task.id)
    where: list[Any] = [due.is_not(None)]
    order: list[Any]
    if sort is Sort.DUE:
        order = [due, ident]
        if after is not None:
            where.append(or_(due > after.moment, and_(due == after.moment, ident > after.id)))
    else:
        order = [due.desc(), ident.desc()]
        if after is not None:
            where.append(or_(due < after.moment, and_(due == after.moment, ident < after.id)))
    return where, order


def undated_phase(sort: Sort, after: Position | None) -> tuple[list[Any], list[Any]]:
    """The second phase of a deadline sort (tasks without a deadline, by id)."""
    ident = col(Task.id)
    where: list[Any] = [col(Task.due_at).is_(None)]
    ascending = sort is Sort.DUE
    if after is not None and after.value is None:
        where.append(ident > after.id if ascending else ident < after.id)
    return where, [ident if ascending else ident.desc()]


def id_order(sort: Sort, after: Position | None) -> tuple[list[Any], list[Any]]:
    """Creation-order sorts: by id alone."""
    ident = col(Task.id)
    if sort is Sort.NEWEST:
        return ([ident < after.id] if after else []), [ident.desc()]
    return ([ident > after.id] if after else []), [ident]
