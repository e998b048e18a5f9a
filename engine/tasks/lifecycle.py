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
from engine.org.actors import Actor
from engine.tasks import audit
from engine.values import ACTIVE_STATUSES, LADDER_STATUSES, OPEN_STATUSES, TaskStatus
from models import Task

STATUSES = tuple(TaskStatus)
__all__ = ["ACTIVE_STATUSES", "LADDER_STATUSES", "OPEN_STATUSES", "STATUSES", "TRANSITIONS",
           "target_status", "transition"]

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

S = TaskStatus
_WORKING = (S.ACKNOWLEDGED, S.IN_PROGRESS)
TRANSITIONS: dict[tuple[str, str], TaskStatus] = {
    (S.DRAFT, "assign"): S.ASSIGNED,
    (S.ASSIGNED, "acknowledge"): S.ACKNOWLEDGED,
    (S.ACKNOWLEDGED, "acknowledge"): S.ACKNOWLEDGED,
    (S.IN_PROGRESS, "acknowledge"): S.IN_PROGRESS,
    (S.PENDING_REVIEW, "acknowledge"): S.PENDING_REVIEW,
    (S.ACKNOWLEDGED, "report_progress"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "report_progress"): S.IN_PROGRESS,
    **{(s, "request_completion"): S.PENDING_REVIEW for s in _WORKING},
    (S.PENDING_REVIEW, "verify"): S.CLOSED,
    (S.PENDING_REVIEW, "return"): S.IN_PROGRESS,
    (S.CLOSED, "reopen"): S.IN_PROGRESS,
    **{(s, "cancel"): S.CANCELLED for s in OPEN_STATUSES},
    **{(s, "request_extension"): s for s in (S.ASSIGNED, *_WORKING)},
    **{(s, "decide_extension"): s for s in ACTIVE_STATUSES},
    **{(s, "escalate"): s for s in ACTIVE_STATUSES},
    **{(s, "edit"): s for s in OPEN_STATUSES},
}
"""(current status, action) → the status it leads to; actions that keep the status are
self-loops."""


def target_status(current: str, action: str) -> TaskStatus:
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
    actor: Actor,
    now: datetime,
    detail: dict[str, Any] | None = None,
    on_behalf_unit_id: int | None = None,
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
        on_behalf_unit_id=on_behalf_unit_id,
    )
    return after
