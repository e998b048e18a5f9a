"""The columns of a task that a list row shows, read without the ORM.

A page of the ledger shows 50 tasks out of a million; loading them as ORM objects (every column,
identity map, instrumented attributes) cost more than the query itself. :data:`LISTED_COLUMNS`
selects just what :func:`engine.read.tasks.task_rows` needs, and :class:`ListedTask` holds one
such row. Both it and :class:`models.Task` satisfy :class:`Listed`, so every list builds its rows
with the same code whichever way its tasks were read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from models import Task


class Listed(Protocol):
    """What a list row is built from (read-only)."""

    @property
    def id(self) -> int | None: ...
    @property
    def code(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def due_text(self) -> str: ...
    @property
    def original_due_at(self) -> datetime | None: ...
    @property
    def original_due_text(self) -> str: ...
    @property
    def extension_count(self) -> int: ...
    @property
    def lead_unit_id(self) -> int | None: ...
    @property
    def owner_id(self) -> int | None: ...
    @property
    def leader_id(self) -> int | None: ...
    @property
    def escalation_level(self) -> int: ...
    @property
    def target(self) -> float | None: ...
    @property
    def achieved(self) -> float | None: ...
    @property
    def measure(self) -> str | None: ...
    @property
    def directive_id(self) -> int: ...
    @property
    def parent_id(self) -> int | None: ...
    @property
    def recurrence_text(self) -> str | None: ...
    @property
    def rating(self) -> str | None: ...
    @property
    def last_progress_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class ListedTask:
    """One task's listed columns (see :class:`Listed`), in :data:`LISTED_COLUMNS` order."""

    id: int
    code: str
    title: str
    status: str
    priority: str
    due_at: datetime | None
    due_text: str
    original_due_at: datetime | None
    original_due_text: str
    extension_count: int
    lead_unit_id: int | None
    owner_id: int | None
    leader_id: int | None
    escalation_level: int
    target: float | None
    achieved: float | None
    measure: str | None
    directive_id: int
    parent_id: int | None
    recurrence_text: str | None
    rating: str | None
    last_progress_at: datetime | None


LISTED_COLUMNS: tuple[Any, ...] = tuple(
    getattr(Task, f.name) for f in fields(ListedTask))
"""``select(*LISTED_COLUMNS)`` reads :class:`ListedTask` rows."""


def listed(rows: Sequence[Any]) -> list[ListedTask]:
    """Rows of ``select(*LISTED_COLUMNS)`` as :class:`ListedTask` values."""
    return [ListedTask(*row) for row in rows]
