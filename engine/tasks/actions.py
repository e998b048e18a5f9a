"""What units and the office do to a task once it is assigned: acknowledge, report, ask for
completion, verify and close, return, cancel. Each is one service call = one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from engine.errors import InvalidInput, PolicyViolation
from engine.inputs import check_quantity, check_text
from engine.labels import RATING_LABELS
from engine.org.directory import find_task
from engine.org.permissions import require_action
from engine.outbox import notify
from engine.outbox import queue as outbox
from engine.store.ids import pk
from engine.store.policy import get_policy
from engine.store.service import service
from engine.tasks import audit, lifecycle
from engine.tasks.extensions import withdraw_pending
from models import Milestone, Person, ProgressReport, Recheck, Task, TaskUnit


def _link(session: Session, task: Task, actor: Person | None, role: str | None) -> TaskUnit | None:
    unit_id = actor.unit_id if actor is not None else None
    if role is None or unit_id is None:
        return None
    return session.exec(
        select(TaskUnit).where(TaskUnit.task_id == task.id, TaskUnit.unit_id == unit_id)
    ).first()


@service
def acknowledge(*, session: Session, task: str | int, actor: Person | None, now: datetime) -> Task:
    """签收 by the actor's unit; the task becomes 已签收 when its lead unit signs."""
    row = find_task(session, task)
    role = require_action(session, actor, row, "acknowledge")
    link = _link(session, row, actor, role)
    if link is not None and link.acknowledged_at is not None:
        raise PolicyViolation(f"本单位已于此前签收事项 {row.code}，无需重复签收")
    if link is not None:
        link.acknowledged_at = now
        link.acknowledged_by_id = actor.id if actor else None
        session.add(link)
    detail = {"unit_role": role}
    if role == "lead" or row.status != "assigned":
        lifecycle.transition(session, task=row, action="acknowledge", actor=actor, now=now,
                             detail=detail)
    else:
        # A cooperating unit's signature is recorded but does not move the task itself.
        lifecycle.target_status(row.status, "acknowledge")
        audit.record(session, actor=actor, entity="task", entity_id=row.id, action="acknowledge",
                     now=now, before={"status": row.status}, after={"status": row.status, **detail})
    return row


@service
def report_progress(
    *, session: Session, task: str | int, actor: Person | None, text: str, now: datetime,
    achieved: float | None = None, milestone: int | None = None,
) -> ProgressReport:
    """反馈进展: text, optionally the achieved quantity and a milestone reached."""
    row = find_task(session, task)
    role = require_action(session, actor, row, "report_progress")
    text = check_text(text, "进展内容", required=True)
    achieved = check_quantity(achieved, "完成量")
    # The lifecycle answers first: progress on a draft or closed task is refused as a move.
    lifecycle.target_status(row.status, "report_progress")
    stone = _milestone(session, row, milestone) if milestone is not None else None
    link = _link(session, row, actor, role)
    if link is not None and link.acknowledged_at is None:
        raise PolicyViolation("请先签收事项再反馈进展")
    lifecycle.transition(session, task=row, action="report_progress", actor=actor, now=now,
                         detail={"text": text, "achieved": achieved,
                                 "milestone": stone.seq if stone else None})
    report = ProgressReport(task_id=pk(row), unit_id=link.unit_id if link else None,
                            person_id=actor.id if actor else None, kind="progress", text=text,
                            achieved=achieved, milestone_id=stone.id if stone else None, at=now)
    session.add(report)
    if achieved is not None and role == "lead":
        row.achieved = achieved
    if stone is not None:
        stone.done_at = now
        session.add(stone)
    if link is not None:
        link.last_feedback_at, link.last_feedback_text = now, text
        session.add(link)
    row.last_progress_at = now
    return report


def _milestone(session: Session, task: Task, seq: int) -> Milestone:
    stone = session.exec(
        select(Milestone).where(Milestone.task_id == task.id, Milestone.seq == seq)
    ).first()
    if stone is None:
        raise InvalidInput(f"事项 {task.code} 没有第 {seq} 个阶段节点")
    if stone.done_at is not None:
        raise PolicyViolation(f"阶段节点“{stone.title}”已完成")
    return stone


@service
def request_completion(
    *, session: Session, task: str | int, actor: Person | None, evidence: str, now: datetime,
    achieved: float | None = None,
) -> Task:
    """申请办结 by the lead unit, with a description of the evidence (证明材料)."""
    row = find_task(session, task)
    require_action(session, actor, row, "request_completion")
    if not evidence.strip():
        raise InvalidInput("申请办结须说明证明材料")
    evidence = check_text(evidence, "证明材料说明", required=True)
    achieved = check_quantity(achieved, "完成量")
    lifecycle.transition(session, task=row, action="request_completion", actor=actor, now=now,
                         detail={"evidence": evidence, "achieved": achieved})
    # The unit is the writer's own unit on the task; the office asking on a unit's behalf is
    # recorded as itself, never as the unit.
    link = _link(session, row, actor, "lead")
    session.add(ProgressReport(task_id=pk(row), unit_id=link.unit_id if link else None,
                               person_id=actor.id if actor else None, kind="completion",
                               text=evidence, achieved=achieved, at=now))
    if achieved is not None:
        row.achieved = achieved
    row.last_progress_at = now
    notify.completion_requested(session, task=row, now=now, seq=notify.event_seq(session, row))
    return row


@service
def verify_and_close(
    *, session: Session, task: str | int, actor: Person | None, rating: str, now: datetime,
    note: str = "",
) -> Task:
    """审核销号 with a rating (优秀/良好/合格/不合格); schedules the 回头看 re-check."""
    row = find_task(session, task)
    require_action(session, actor, row, "verify")
    rating = _rating(rating)
    note = check_text(note, "审核意见")
    lifecycle.transition(session, task=row, action="verify", actor=actor, now=now,
                         detail={"rating": rating, "note": note})
    row.rating, row.closed_at = rating, now
    policy = get_policy(session)
    session.add(Recheck(task_id=pk(row), due_at=now + timedelta(days=policy.recheck_after_days),
                        created_at=now))
    outbox.cancel_pending_for_task(session, task_id=pk(row), now=now)
    withdraw_pending(session, task=row, now=now)
    notify.task_closed(session, task=row, now=now)
    return row


def _rating(value: str) -> str:
    by_label = {label: key for key, label in RATING_LABELS.items()}
    rating = by_label.get(value.strip(), value.strip())
    if rating not in RATING_LABELS:
        raise InvalidInput(f"评价“{value}”无效，应为 优秀、良好、合格 或 不合格")
    return rating


@service
def return_task(
    *, session: Session, task: str | int, actor: Person | None, reason: str, now: datetime
) -> Task:
    """退回: the completion request is refused with a reason; the unit goes on working."""
    row = find_task(session, task)
    require_action(session, actor, row, "return")
    reason = check_text(reason, "退回理由")
    if not reason.strip():
        raise InvalidInput("退回须写明理由")
    lifecycle.transition(session, task=row, action="return", actor=actor, now=now,
                         detail={"reason": reason})
    notify.task_returned(session, task=row, reason=reason, now=now, seq=notify.event_seq(session, row))
    return row


@service
def cancel_task(
    *, session: Session, task: str | int, actor: Person | None, reason: str, now: datetime
) -> Task:
    """撤销 (office only) from any open state; pending reminders are cancelled too."""
    row = find_task(session, task)
    require_action(session, actor, row, "cancel")
    reason = check_text(reason, "撤销理由")
    if not reason.strip():
        raise InvalidInput("撤销须写明理由")
    lifecycle.transition(session, task=row, action="cancel", actor=actor, now=now,
                         detail={"reason": reason})
    outbox.cancel_pending_for_task(session, task_id=pk(row), now=now)
    withdraw_pending(session, task=row, now=now)
    return row
