"""Who supervises a task (分管领导): the leader set on the task, else the leader whose scope in
the org file covers its lead unit.

The org file says which leader supervises which unit (``supervises``); a task whose leader was
not named by hand is supervised by that leader, in every view (summary, ledger, bulletin, task
lists) and in the escalation ladder's level 2 — derived when read, so a changed org file
applies at once. When several leaders supervise one unit, the first registered who is not a
top leader wins (top leaders oversee everything and hear of level 3 anyway).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlmodel import Session, col, select

from engine.errors import AmbiguousReference, NotFound
from engine.org.directory import find_unit, person_names
from models import LeaderScope, Person, Task


def scope_leaders(session: Session) -> dict[int, int]:
    """``{unit id: id of the leader supervising it}`` for every unit in some leader's scope."""
    rows = session.exec(
        select(LeaderScope.unit_id, Person.id, Person.top_leader)
        .join(Person, col(Person.id) == col(LeaderScope.person_id))
        .where(Person.active == True)  # noqa: E712
        .order_by(col(Person.top_leader), col(Person.id))
    ).all()
    found: dict[int, int] = {}
    for unit_id, person_id, _top in rows:
        if person_id is not None:
            found.setdefault(unit_id, person_id)
    return found


class Supervised(Protocol):
    """What the supervising leader is derived from (a task or a listed row of one)."""

    @property
    def leader_id(self) -> int | None: ...
    @property
    def lead_unit_id(self) -> int | None: ...


def leader_id_of(task: Supervised, scopes: dict[int, int]) -> int | None:
    """The supervising leader's id: the task's own, else its lead unit's (``None``: neither)."""
    if task.leader_id is not None:
        return task.leader_id
    return scopes.get(task.lead_unit_id) if task.lead_unit_id is not None else None


def unit_leader_names(session: Session, unit_refs: Iterable[str]) -> dict[str, str]:
    """``{reference: leader's name}`` for each unit reference (code, name or short name, as a
    document or the office wrote it) naming a unit in some leader's scope: the leader a task led
    by that unit is supervised by when it names none — :func:`leader_id_of`'s rule, so a draft's
    review shows the leader its stored task will have. A reference naming no unit (or several),
    or a unit in no scope, is left out."""
    scopes = scope_leaders(session)
    leader_of: dict[str, int] = {}
    for ref in {r.strip() for r in unit_refs if r.strip()}:
        try:
            unit = find_unit(session, ref)
        except (NotFound, AmbiguousReference):
            continue
        if unit.id in scopes:
            leader_of[ref] = scopes[unit.id]
    names = person_names(session, leader_of.values())
    return {ref: names[leader] for ref, leader in leader_of.items() if leader in names}


def supervising_leader_id(session: Session, task: Task) -> int | None:
    """:func:`leader_id_of` for one task."""
    if task.leader_id is not None or task.lead_unit_id is None:
        return task.leader_id
    return session.exec(
        select(Person.id).join(LeaderScope, col(LeaderScope.person_id) == col(Person.id))
        .where(LeaderScope.unit_id == task.lead_unit_id, Person.active == True)  # noqa: E712
        .order_by(col(Person.top_leader), col(Person.id)).limit(1)
    ).first()


def supervised_by(session: Session, person_id: int | None) -> Any:
    """The SQL condition "the task's supervising leader is ``person_id``": named on the task,
    or — when the task names none — the leader of its lead unit's scope (the rule of
    :func:`leader_id_of`, including who wins when several leaders supervise one unit)."""
    own = [unit for unit, leader in scope_leaders(session).items() if leader == person_id]
    return (col(Task.leader_id) == person_id) | (
        col(Task.leader_id).is_(None) & col(Task.lead_unit_id).in_(own))
