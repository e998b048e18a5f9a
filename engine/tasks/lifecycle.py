"""The task lifecycle: one transition table and the one function that changes a task's status.

::

    draft ─assign→ assigned ─acknowledge→ acknowledged ─report_progress→ in_progress
    in_progress|acknowledged ─request_completion→ pending_review ─verify→ closed
    pending_review ─return→ in_progress          closed ─reopen→ in_progress (回头看)
    any open state ─cancel→ cancelled (office only)

Actions that keep the status (progress while in progress, extension requests, co-unit
acknowledgements …) are self-loops in the same table, so *every* action on a task is checked
here and audited here. Overdue is derived from the deadline, never stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from engine.errors import InvalidTransition
from engine.tasks import audit
from models import Person, Task

STATUSES = (
    "draft", "assigned", "acknowledged", "in_progress", "pending_review", "closed", "cancelled",
)
OPEN_STATUSES = ("draft", "assigned", "acknowledged", "in_progress", "pending_review")
ACTIVE_STATUSES = ("assigned", "acknowledged", "in_progress", "pending_review")
"""Statuses after assignment and before the end."""
LADDER_STATUSES = ("assigned", "acknowledged", "in_progress")
"""Statuses in which the unit owes work, so reminders and the escalation ladder run (while the
office reviews a completion request, the unit is not chased)."""

ACTION_LABELS: dict[str, str] = {
    "assign": "交办",
    "acknowledge": "签收",
    "report_progress": "反馈进展",
    "request_completion": "申请办结",
    "verify": "审核销号",
    "return": "退回",
    "reopen": "回头看重新打开",
    "cancel": "撤销",
    "request_extension": "申请延期",
    "decide_extension": "审批延期",
    "escalate": "升级督办",
    "edit": "修改",
}

_WORKING = ("acknowledged", "in_progress")
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "assign"): "assigned",
    ("assigned", "acknowledge"): "acknowledged",
    ("acknowledged", "acknowledge"): "acknowledged",
    ("in_progress", "acknowledge"): "in_progress",
    ("pending_review", "acknowledge"): "pending_review",
    ("acknowledged", "report_progress"): "in_progress",
    ("in_progress", "report_progress"): "in_progress",
    **{(s, "request_completion"): "pending_review" for s in _WORKING},
    ("pending_review", "verify"): "closed",
    ("pending_review", "return"): "in_progress",
    ("closed", "reopen"): "in_progress",
    **{(s, "cancel"): "cancelled" for s in OPEN_STATUSES},
    **{(s, "request_extension"): s for s in ("assigned", *_WORKING)},
    **{(s, "decide_extension"): s for s in ACTIVE_STATUSES},
    **{(s, "escalate"): s for s in ACTIVE_STATUSES},
    **{(s, "edit"): s for s in OPEN_STATUSES},
}


def target_status(current: str, action: str) -> str:
    """The status ``action`` leads to from ``current``; raises :class:`InvalidTransition`."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise InvalidTransition(current, current, ACTION_LABELS.get(action, action)) from None


def transition(
    session: Session,
    *,
    task: Task,
    action: str,
    actor: Person | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> str:
    """Apply ``action`` to ``task``: check the table, set the status, append the audit event.

    Nothing is committed here: the caller's service commits the status, its own changes and this
    event together, or nothing at all. Returns the new status.
    """
    before = task.status
    after = target_status(before, action)
    task.status = after
    task.updated_at = now
    # Any change may move the next reminder: the next escalation pass recomputes it exactly.
    task.next_check_at = now if after in LADDER_STATUSES else None
    session.add(task)
    audit.record(
        session,
        actor=actor,
        entity="task",
        entity_id=task.id,
        action=action,
        now=now,
        before={"status": before},
        after={"status": after, **(detail or {})},
    )
    return after
