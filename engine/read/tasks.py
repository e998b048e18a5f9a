"""Read side: tasks as plain dicts for the CLI, the bot and JSON, the board of lights per unit.

Nothing here writes. Lists are built with one query for the tasks, one for their units and a
name map, never one query per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from config.policy import Policy
from engine.calendar.lights import LIT_STATUSES, days_overdue, is_overdue, light_at, yellow_cutoff
from engine.calendar.timefmt import iso_local
from engine.labels import ESCALATION_LABELS, LIGHT_LABELS, PRIORITY_LABELS, STATUS_LABELS
from engine.org.directory import find_unit
from engine.org.leaders import leader_id_of, scope_leaders
from engine.store.policy import get_policy, zone_for
from models import Person, Task, TaskUnit, Unit

LIGHTS = ("red", "yellow", "green")


def _unit_names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    """Names of the units ``ids`` (of every unit when ``None``): columns only, no ORM rows."""
    query = select(Unit.id, Unit.name)
    if ids is not None:
        wanted = set(ids)
        if not wanted:
            return {}
        query = query.where(Unit.id.in_(wanted))  # type: ignore[union-attr]
    return {i: n for i, n in session.exec(query).all() if i is not None}


def _person_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Person.id, Person.name).where(Person.id.in_(wanted))).all()  # type: ignore[union-attr]
    return {i: n for i, n in rows if i is not None}


def _co_units(session: Session, task_ids: Sequence[int]) -> dict[int, list[int]]:
    co: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(task_ids), 500):
        chunk = task_ids[start:start + 500]
        for task_id, unit_id in session.exec(
            select(TaskUnit.task_id, TaskUnit.unit_id)
            .where(TaskUnit.task_id.in_(chunk), TaskUnit.role == "co")  # type: ignore[attr-defined]
            .order_by(TaskUnit.id)  # type: ignore[arg-type]
        ).all():
            co[task_id].append(unit_id)
    return co


def task_codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """``{task id: code}`` for ``ids`` (one query)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Task.id, Task.code).where(col(Task.id).in_(wanted))).all()
    return {i: c for i, c in rows if i is not None}


def task_rows(session: Session, tasks: Sequence[Task], now: datetime) -> list[dict[str, Any]]:
    """Each task as a JSON-ready dict (ISO datetimes with the local offset, Chinese labels)."""
    if not tasks:
        return []
    policy = get_policy(session)
    scopes = scope_leaders(session)
    leaders = {t.id: leader_id_of(t, scopes) for t in tasks}
    people = _person_names(session, [t.owner_id for t in tasks] + list(leaders.values()))
    co = _co_units(session, [t.id for t in tasks if t.id is not None])
    units = _unit_names(session, {t.lead_unit_id for t in tasks if t.lead_unit_id is not None} | {u for us in co.values() for u in us})
    # The same rule as engine.calendar.lights.light, with the warning-window boundary computed once
    # instead of counting working days per row.
    cutoff = yellow_cutoff(now, policy)
    tz = zone_for(policy)
    return [_row(t, now, policy, tz, cutoff, units, people, co.get(t.id or 0, []),
                 leaders[t.id]) for t in tasks]


def _row(task: Task, now: datetime, policy: Policy, tz: Any, cutoff: datetime,
         units: dict[int, str], people: dict[int, str], co: list[int],
         leader_id: int | None) -> dict[str, Any]:
    colour = light_at(task, now, cutoff)
    return {
        "id": task.id,
        "code": task.code,
        "title": task.title,
        "status": task.status,
        "status_label": STATUS_LABELS[task.status],
        "priority": task.priority,
        "priority_label": PRIORITY_LABELS.get(task.priority, task.priority),
        "light": colour,
        "light_label": LIGHT_LABELS.get(colour or "", "—"),
        "overdue": is_overdue(task, now),
        "days_overdue": days_overdue(task, now, policy),
        "due_at": iso_local(task.due_at, tz),
        "due_text": task.due_text,
        "original_due_at": iso_local(task.original_due_at, tz),
        "original_due_text": task.original_due_text,
        "extension_count": task.extension_count,
        "lead_unit": units.get(task.lead_unit_id or 0, ""),
        "co_units": [units.get(u, "") for u in co],
        "owner": people.get(task.owner_id or 0),
        "leader": people.get(leader_id or 0),
        "escalation_level": task.escalation_level,
        "escalation_label": ESCALATION_LABELS[task.escalation_level],
        "target": task.target,
        "achieved": task.achieved,
        "measure": task.measure,
        "directive_id": task.directive_id,
        "parent_id": task.parent_id,
        "recurrence": task.recurrence_text,
        "rating": task.rating,
        "last_progress_at": iso_local(task.last_progress_at, tz),
    }


def list_tasks(
    session: Session, *, now: datetime, unit: str | None = None, light_filter: str | None = None,
    status: str | None = None, overdue: bool = False, limit: int | None = None,
) -> list[dict[str, Any]]:
    """Tasks filtered by unit (lead or cooperating), status, overdue and light, by due date."""
    query = select(Task)
    if unit is not None:
        unit_id = find_unit(session, unit).id
        query = query.join(TaskUnit, TaskUnit.task_id == Task.id).where(TaskUnit.unit_id == unit_id)  # type: ignore[arg-type]
    if status is not None:
        query = query.where(Task.status == status)
    if overdue:
        query = query.where(col(Task.status).in_(LIT_STATUSES), col(Task.due_at) < now)
    query = query.order_by(col(Task.due_at).nulls_last(), col(Task.id))
    tasks = list(session.exec(query).all())
    if light_filter is not None:
        policy = get_policy(session)
        cutoff = yellow_cutoff(now, policy)
        tasks = [t for t in tasks if light_at(t, now, cutoff) == light_filter]
    if limit is not None:
        tasks = tasks[:limit]
    return task_rows(session, tasks, now)


def board(session: Session, *, now: datetime) -> list[dict[str, Any]]:
    """Per lead unit: assigned tasks by light, escalated and closed counts; red-heavy first."""
    policy = get_policy(session)
    units = _unit_names(session)
    counts: dict[int, dict[str, int]] = defaultdict(
        lambda: {"red": 0, "yellow": 0, "green": 0, "open": 0, "closed": 0, "escalated": 0}
    )
    cutoff = yellow_cutoff(now, policy)
    # Drafts are the office's own queue, not yet the units' work.
    for task in session.exec(select(Task).where(Task.status != "draft")).all():
        entry = counts[task.lead_unit_id or 0]
        colour = light_at(task, now, cutoff)
        if colour is None:
            entry["closed"] += task.status == "closed"
            continue
        entry[colour] += 1
        entry["open"] += 1
        entry["escalated"] += task.escalation_level > 0
    rows = [{"unit": units.get(uid, ""), **c} for uid, c in counts.items()]
    return sorted(rows, key=lambda r: (-r["red"], -r["yellow"], r["unit"]))
