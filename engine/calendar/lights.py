"""红黄绿灯 and overdue, derived from ``now``, the deadline and the policy (never stored).

One rule for every view (lists, board, summary, ledger, bulletin, messages): only work given to
a unit has a light or can be overdue — from 交办 to 申请办结 (:data:`LIT_STATUSES`). A draft
(待交办) is the office's own queue and has none; closed and cancelled tasks have none either.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, case
from sqlmodel import col

from config.policy import Policy
from engine.store.policy import calendar_for, zone_for
from engine.tasks.lifecycle import ACTIVE_STATUSES
from models import Task

LIT_STATUSES = ACTIVE_STATUSES
"""Statuses with a light and a possible overdue: assigned, acknowledged, in progress, pending review."""


class Deadlined(Protocol):
    """What a light is derived from: a :class:`models.Task` or a listed row of one."""

    @property
    def status(self) -> str: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def escalation_level(self) -> int: ...


def due_of(task: Task) -> datetime:
    """The deadline of a task that has one (every task once assigned; drafts may not)."""
    if task.due_at is None:
        raise ValueError(f"task {task.code} has no deadline")
    return task.due_at


def is_overdue(task: Deadlined, now: datetime) -> bool:
    """Due passed while the task is with its units (never for drafts, closed or cancelled)."""
    return task.status in LIT_STATUSES and task.due_at is not None and now > task.due_at


def days_overdue(task: Deadlined, now: datetime, policy: Policy) -> int:
    """Calendar days overdue in local dates (0 when not overdue)."""
    if not is_overdue(task, now) or task.due_at is None:
        return 0
    tz = zone_for(policy)
    return max(1, (now.astimezone(tz).date() - task.due_at.astimezone(tz).date()).days)


def workdays_overdue(task: Task, now: datetime, policy: Policy) -> int:
    """Working days elapsed after the due day (0 on the due day itself or when not overdue)."""
    if not is_overdue(task, now) or task.due_at is None:
        return 0
    tz = zone_for(policy)
    cal = calendar_for(policy)
    return cal.workdays_between(task.due_at.astimezone(tz).date(), now.astimezone(tz).date())


def yellow_cutoff(now: datetime, policy: Policy) -> datetime:
    """Tasks due at or before this moment (and not yet overdue) are yellow.

    The end of the day before the working day that would put more than
    ``warning_window_workdays`` working days between today and the due day: the same rule as
    :func:`light`, in a form a SQL query can use.
    """
    return workdays_cutoff(now, policy, policy.warning_window_workdays)


def workdays_cutoff(now: datetime, policy: Policy, workdays: int) -> datetime:
    """The last moment of "due within ``workdays`` working days" as of ``now``: the end of the
    day before the working day that would put more than ``workdays`` working days between today
    and the due day."""
    tz = zone_for(policy)
    today = now.astimezone(tz).date()
    beyond = calendar_for(policy).add_workdays(today, workdays + 1)
    return datetime.combine(beyond - timedelta(days=1), time.max, tzinfo=tz)


def light(task: Task, now: datetime, policy: Policy) -> str | None:
    """``red`` overdue; ``yellow`` due within the warning window or escalated; else ``green``.

    Drafts, closed and cancelled tasks have no light (``None``).
    """
    return light_at(task, now, yellow_cutoff(now, policy))


def light_at(task: Deadlined, now: datetime, cutoff: datetime) -> str | None:
    """:func:`light` given ``cutoff = yellow_cutoff(now, policy)``, for lists computed at once."""
    if task.status not in LIT_STATUSES or task.due_at is None:
        return None
    if now > task.due_at:
        return "red"
    if task.escalation_level >= 1 or task.due_at <= cutoff:
        return "yellow"
    return "green"


def light_case(now: datetime, cutoff: datetime) -> Any:
    """:func:`light_at` as a SQL ``CASE`` over a task with a deadline (callers restrict the
    statuses): ``red`` overdue, ``yellow`` due by ``cutoff`` or escalated, else ``green``."""
    return case((col(Task.due_at) < now, "red"),
                ((col(Task.due_at) <= cutoff) | (col(Task.escalation_level) >= 1), "yellow"),
                else_="green")


def light_condition(colour: str, now: datetime, cutoff: datetime) -> Any:
    """The SQL condition "the task's light is ``colour``": the rule of :func:`light_at`, written
    so that each colour is a range on the deadline (an index can serve it)."""
    due = col(Task.due_at)
    lit = and_(col(Task.status).in_(LIT_STATUSES), due.is_not(None))
    escalated = col(Task.escalation_level) >= 1
    if colour == "red":
        return and_(lit, due < now)
    if colour == "yellow":
        return and_(lit, due >= now, (due <= cutoff) | escalated)
    return and_(lit, due > cutoff, ~escalated)
