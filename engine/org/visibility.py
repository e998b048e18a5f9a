"""Which tasks a person may see: one rule, as a SQL condition for lists and as a row check.

- the office, admins, the server's operator and the system see every task, drafts included —
  a draft (待交办) is the office's own queue, seen by nobody else until it is assigned;
- a unit's head and contact see the tasks their unit leads or cooperates on;
- a leader sees their scope — tasks led by a unit they supervise (分管), tasks they supervise
  (分管领导) and tasks from directives they issued — or every task when they are a top leader or
  the policy says ``leaders_see_all``;
- anyone sees the tasks they are the responsible person (责任人) of.

A task outside the scope is reported exactly as a task that does not exist
(:func:`find_visible_task` raises the same :class:`NotFound` with the same message), so a refusal
never tells anyone that it exists. Every read service and every task action goes through here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, or_, union
from sqlmodel import Session, col, select

from engine.org.actors import Actor
from engine.org.directory import find_task, task_not_found
from engine.store.policy import get_policy
from engine.values import Role, TaskStatus
from models import Directive, LeaderScope, Task, TaskUnit

UNIT_ROLES = (Role.UNIT_HEAD, Role.UNIT_CONTACT)


def leader_scope_unit_ids(session: Session, person_id: int | None) -> list[int]:
    """The unit ids a leader supervises (empty for none)."""
    if person_id is None:
        return []
    rows = session.exec(select(LeaderScope.unit_id).where(LeaderScope.person_id == person_id))
    return list(rows.all())


def sees_all_tasks(session: Session, actor: Actor) -> bool:
    """Whether no assigned task is hidden from ``actor`` (drafts are still the office's)."""
    if actor.sees_everything:
        return True
    person = actor.person
    if person is None or not actor.has(Role.LEADER):
        return False
    return person.top_leader or get_policy(session).leaders_see_all


def task_scope(session: Session, actor: Actor) -> Any | None:
    """The SQL condition on ``task`` selecting what ``actor`` may see; ``None`` when nothing is
    hidden (callers then add no condition at all, so that plans stay those of the bare query)."""
    if actor.sees_everything:
        return None
    assigned = col(Task.status) != TaskStatus.DRAFT.value
    if sees_all_tasks(session, actor):
        return assigned
    me = actor.person
    if me is None:
        return false()
    unit = me.unit_id if actor.has(*UNIT_ROLES) else None
    if unit is not None and not actor.has(Role.LEADER):
        # One IN over a union, not "owner = me OR id IN (…)": an OR keeps SQLite walking the
        # whole deadline index for a unit with few tasks (seconds at a million); a single IN
        # lets it start from the unit's own links.
        return and_(assigned, col(Task.id).in_(union(
            select(TaskUnit.task_id).where(TaskUnit.unit_id == unit),
            select(col(Task.id)).where(col(Task.owner_id) == me.id))))
    parts: list[Any] = [col(Task.owner_id) == me.id]
    if unit is not None:
        parts.append(col(Task.id).in_(select(TaskUnit.task_id).where(TaskUnit.unit_id == unit)))
    if actor.has(Role.LEADER):
        parts.append(leader_scope(session, me.id or 0))
    return and_(assigned, or_(*parts))


def leader_scope(session: Session, person_id: int) -> Any:
    """A leader's 分管范围 as a SQL condition: tasks led by a unit they supervise, tasks they
    supervise, and tasks from directives they issued (their own 批示). The scoped 15:00 summary
    covers exactly this."""
    parts: list[Any] = [col(Task.leader_id) == person_id]
    units = leader_scope_unit_ids(session, person_id)
    if units:
        parts.append(col(Task.lead_unit_id).in_(units))
    parts.append(col(Task.directive_id).in_(
        select(Directive.id).where(Directive.issued_by_id == person_id)))
    return or_(*parts)


def can_see_task(session: Session, actor: Actor, task: Task) -> bool:
    """The row form of :func:`task_scope` for one loaded task."""
    if actor.sees_everything:
        return True
    if task.status == TaskStatus.DRAFT:
        return False
    if sees_all_tasks(session, actor):
        return True
    me = actor.person
    if me is None:
        return False
    if task.owner_id is not None and task.owner_id == me.id:
        return True
    if me.unit_id is not None and actor.has(*UNIT_ROLES) and unit_part(session, me.unit_id,
                                                                      task) is not None:
        return True
    if not actor.has(Role.LEADER):
        return False
    if task.leader_id == me.id or task.lead_unit_id in leader_scope_unit_ids(session, me.id):
        return True
    directive = session.get(Directive, task.directive_id)
    return directive is not None and directive.issued_by_id == me.id


def unit_part(session: Session, unit_id: int | None, task: Task) -> str | None:
    """``"lead"``, ``"co"`` or ``None``: the unit's part in ``task``."""
    if unit_id is None:
        return None
    link = session.exec(
        select(TaskUnit.role).where(TaskUnit.task_id == task.id, TaskUnit.unit_id == unit_id)
    ).first()
    return link


def find_visible_task(session: Session, actor: Actor, ref: str | int, *,
                      for_update: bool = False) -> Task:
    """The task ``ref`` if ``actor`` may see it; otherwise the very :class:`NotFound` a missing
    task gives (no leak of its existence).

    ``for_update`` — every service that changes a task takes it so, first: the row stays locked
    until the service commits, so two people acting on one task at once (a double-click, two
    clerks, a unit and the office) are applied one after the other, and the second is checked
    against the task as the first left it. Rows of the task read after this (its units, its
    requests, its milestones) are read as committed too; services re-read them with
    ``populate_existing`` where the session may hold an older copy."""
    task = find_task(session, ref, for_update=for_update)
    if not can_see_task(session, actor, task):
        raise task_not_found(ref)
    return task
