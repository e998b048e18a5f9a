"""Work the escalation pass does besides the ladder: the next occurrence of recurring tasks
(每月5日前报送 — each occurrence is its own record) and 回头看 re-checks that fall due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from engine.calendar.deadlines import resolve_deadline
from engine.calendar.lights import due_of
from engine.escalation.planned import Planned
from engine.org.actors import Actor
from engine.org.directory import find_task
from engine.org.permissions import require_office_or_system
from engine.outbox import notify
from engine.outbox import queue as outbox
from engine.outbox.messages import render_task_message
from engine.outbox.recipients import office_people
from engine.store.codes import next_task_code
from engine.store.ids import pk
from engine.store.policy import calendar_for, get_policy, zone_for
from engine.tasks import audit
from engine.values import OutboxKind, TaskStatus
from models import Recheck, Task, TaskUnit

_COPIED = ("title", "requirement", "priority", "target", "measure", "cadence_days",
           "recurrence_text", "directive_id", "parent_id", "lead_unit_id", "owner_id", "leader_id")


def awaiting_occurrence() -> list[Any]:
    """A recurring task whose next occurrence has not been created (its deadline says when)."""
    return [col(Task.recurrence_text).is_not(None),
            col(Task.successor_created) == False,  # noqa: E712 - the partial index's form
            col(Task.status).not_in((TaskStatus.CANCELLED, TaskStatus.DRAFT))]


def awaiting_recheck() -> list[Any]:
    """A 回头看 not yet done nor announced (its ``due_at`` says when)."""
    return [col(Recheck.done_at).is_(None), col(Recheck.notified_at).is_(None)]


def create_due_occurrences(*, session: Session, actor: Actor, now: datetime) -> list[Planned]:
    """For each recurring task whose period has ended, create and assign the next occurrence."""
    due = session.exec(
        select(Task).where(*awaiting_occurrence(), col(Task.due_at) <= now).order_by(col(Task.id))
        # A concurrent pass holds these until it commits their successors: skip, never repeat.
        .with_for_update(skip_locked=True).execution_options(populate_existing=True)
    ).all()
    created: list[Planned] = []
    for task in due:
        successor = _next_occurrence(session, actor, task, now)
        created.append(Planned("occurrence", successor.id, 0, "", f"occurrence:{successor.code}"))
    if created:
        session.commit()
    return created


def _next_occurrence(session: Session, actor: Actor, task: Task, now: datetime) -> Task:
    policy = get_policy(session)
    tz = zone_for(policy)
    base_at = max(due_of(task), now)
    resolved = resolve_deadline(task.recurrence_text or "", issued_at=base_at, tz=tz,
                                calendar=calendar_for(policy))
    task.series_id = task.series_id or task.id
    task.successor_created = True
    successor = Task(**{f: getattr(task, f) for f in _COPIED},
                     code=next_task_code(session, year=resolved.due_at.astimezone(tz).year),
                     series_id=task.series_id, occurrence=task.occurrence + 1,
                     status=TaskStatus.ASSIGNED.value,
                     due_at=resolved.due_at, due_text=task.due_text,
                     original_due_at=resolved.due_at, original_due_text=task.due_text,
                     due_base="recurrence", due_base_at=base_at,
                     assigned_at=now, created_at=now, updated_at=now, next_check_at=now)
    session.add_all([task, successor])
    session.flush()
    links = session.exec(select(TaskUnit).where(TaskUnit.task_id == task.id)).all()
    for link in links:
        session.add(TaskUnit(task_id=pk(successor), unit_id=link.unit_id, role=link.role))
    session.flush()
    audit.record(session, actor=actor, entity="task", entity_id=successor.id, action="recur",
                 now=now, after={"code": successor.code, "previous": task.code,
                                 "occurrence": successor.occurrence, "due_at": successor.due_at})
    notify.task_assigned(session, task=successor, now=now)
    return successor


def notify_due_rechecks(*, session: Session, actor: Actor, now: datetime) -> list[Planned]:
    """Tell the office once that a 回头看 re-check has fallen due (the system's job, or the
    office's ``duban tick``)."""
    require_office_or_system(actor, "发送回头看提醒")
    rows = session.exec(
        select(Recheck).where(*awaiting_recheck(), col(Recheck.due_at) <= now)
        .with_for_update(skip_locked=True).execution_options(populate_existing=True)
    ).all()
    if not rows:
        return []
    created: list[Planned] = []
    office = office_people(session)
    for recheck in rows:
        task = find_task(session, recheck.task_id)
        rendered = render_task_message(session, task=task, headline="回头看到期", now=now,
                                       ask="开展回头看，核实整改成效是否巩固")
        for person in office:
            key = f"recheck:{recheck.id}:p{person.id}"
            if outbox.enqueue(session, dedupe_key=key, kind=OutboxKind.RECHECK, recipient=person,
                              task_id=task.id, subject=rendered.subject, body=rendered.text,
                              body_html=rendered.html, now=now):
                created.append(Planned("recheck", task.id, 0, person.name, key))
        recheck.notified_at = now
        session.add(recheck)
    session.commit()
    return created
