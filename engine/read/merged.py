"""The first rows of a list whose condition is a union of index ranges.

``status IN (a, b, c) AND due_at < now ORDER BY due_at LIMIT 50`` is, to SQLite, a sort of every
match (the index on (status, due_at) is ordered within one status only); at a million tasks
that is hundreds of thousands of rows for fifty. Reading each disjoint range in its own index
order with the same limit, then merging, costs a few index seeks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Task


def first_merged(session: Session, branches: list[list[Any]], order: list[Any],
                 key: Callable[[Task], Any], limit: int) -> list[Task]:
    """The first ``limit`` tasks of the union of ``branches`` (disjoint lists of conditions)
    by ``key``, each branch read in ``order`` (which must agree with ``key``, ending with the
    task id)."""
    found: list[Task] = []
    for where in branches:
        found += session.exec(select(Task).where(*where).order_by(*order).limit(limit)).all()
    return sorted(found, key=key)[:limit]


def count_branches(session: Session, branches: list[list[Any]]) -> int:
    """How many tasks match the union of ``branches`` (disjoint): one count per range."""
    return sum(int(session.exec(select(func.count()).select_from(Task).where(*where)).one())
               for where in branches)


def by_status(statuses: tuple[str, ...], where: list[Any]) -> list[list[Any]]:
    """``where`` split into one branch per status (each an index range on a status-led index)."""
    return [[col(Task.status) == s, *where] for s in statuses]


def due_key(task: Task) -> tuple[Any, int]:
    return task.due_at, task.id or 0
