"""Splitting a directive into tasks (分解交办): several tasks created — and assigned — together."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from engine.errors import DubanError, InvalidInput, RowsRefused
from engine.org.actors import Actor
from engine.org.directory import find_directive
from engine.org.permissions import require_office
from engine.store.service import service
from engine.tasks.creation import assign_in_transaction, create_task_in_transaction
from models import Task, TaskCreate

MAX_ROWS = 50
"""Tasks one split may create (a 分工方案 longer than this is a task list: import it)."""


@service
def split_directive(*, session: Session, directive_id: int | str, rows: Sequence[TaskCreate],
                    actor: Actor, now: datetime, assign: bool = True) -> list[Task]:
    """Create one task per row under the directive and, with ``assign``, send each to its
    units (交办) — all in one transaction.

    Guarantees: every row is checked as :func:`engine.tasks.creation.create_task` checks one
    task (and as :func:`assign_task` checks its assignment); if any row is refused, nothing at
    all is stored and :class:`RowsRefused` names every refused row with its reason.
    """
    require_office(actor, "拆分来源事项")
    directive = find_directive(session, directive_id)
    if not rows:
        raise InvalidInput("请至少填写一项任务")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"一次最多拆分 {MAX_ROWS} 项任务，更多请用任务清单导入")
    problems: dict[int, str] = {}
    tasks: list[Task] = []
    for number, row in enumerate(rows, start=1):
        data = row.model_copy(update={"directive_id": directive.id, "parent_id": None})
        try:
            task = create_task_in_transaction(session=session, data=data, actor=actor, now=now)
            if assign:
                assign_in_transaction(session, actor, task, now)
        except DubanError as exc:
            # Keep checking the other rows: the office fixes every mistake in one go.
            problems[number] = exc.message
            continue
        tasks.append(task)
    if problems:
        raise RowsRefused(problems, "任务")
    return tasks
