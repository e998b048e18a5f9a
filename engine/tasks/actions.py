"""What units and the office do to a task once it is assigned: acknowledge, report, ask for
completion, verify and close, return, cancel. Each is one service call = one transaction.

A unit's action counts for the actor's own unit, or — when the office names it with
``for_unit`` — for that unit, recorded as done on its behalf (代签收 / 代反馈 / 代申请办结): the
unit's own acknowledgement and feedback are updated and the event names the unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from engine.errors import InvalidInput, PolicyViolation
from engine.files.attach import attach_files, audit_files, require_completion_evidence
from engine.files.ingest import StoredFile, Upload, store_uploads
from engine.inputs import check_quantity, check_text
from engine.org.actors import Actor
from engine.org.directory import find_unit
from engine.org.permissions import ON_BEHALF_ACTIONS, UnitAct, require_action
from engine.org.visibility import find_visible_task
from engine.outbox import notify
from engine.outbox import queue as outbox
from engine.store.ids import pk
from engine.store.policy import get_policy
from engine.store.service import service
from engine.tasks import audit, lifecycle
from engine.tasks.extensions import withdraw_pending
from engine.values import Rating, ReportKind, TaskStatus, UnitRole
from models import Attachment, Milestone, ProgressReport, Recheck, Task, TaskUnit, Unit


def _unit_act(session: Session, actor: Actor, task: Task, action: str,
              for_unit: str | None) -> tuple[UnitAct, TaskUnit]:
    """Check a unit action; return for whom it counts and that unit's link to the task."""
    unit = find_unit(session, for_unit) if for_unit is not None else None
    act = require_action(session, actor, task, action, for_unit=unit)
    assert act is not None  # a unit action always counts for a unit
    # Re-read as committed: the page the request showed may have loaded an older link.
    link = session.exec(
        select(TaskUnit).where(TaskUnit.task_id == task.id, TaskUnit.unit_id == act.unit_id)
        .execution_options(populate_existing=True)
    ).one()
    return act, link


def _detail(session: Session, act: UnitAct, action: str, **extra: object) -> dict[str, object]:
    """What the event says about the unit: its part and, when the office acted for it, 代为操作."""
    detail: dict[str, object] = {"unit_role": act.role.value, **extra}
    if act.on_behalf:
        unit = session.get(Unit, act.unit_id)
        detail.update(on_behalf=ON_BEHALF_ACTIONS[action], on_behalf_note="代为操作",
                      unit=unit.code if unit else None)
    return detail


@service
def acknowledge(*, session: Session, task: str | int, actor: Actor, now: datetime,
                for_unit: str | None = None) -> Task:
    """签收 by the actor's unit (or by the office for ``for_unit``: 代签收); the task becomes
    已签收 when its lead unit signs."""
    row = find_visible_task(session, actor, task, for_update=True)
    act, link = _unit_act(session, actor, row, "acknowledge", for_unit)
    lifecycle.target_status(row.status, "acknowledge")  # the status refuses first
    if link.acknowledged_at is not None:
        who = "该单位" if act.on_behalf else "本单位"
        raise PolicyViolation(f"{who}已于此前签收事项 {row.code}，无需重复签收")
    link.acknowledged_at, link.acknowledged_by_id = now, actor.person_id
    link.acknowledged_on_behalf = act.on_behalf
    session.add(link)
    detail = _detail(session, act, "acknowledge")
    behalf = act.unit_id if act.on_behalf else None
    if act.role is UnitRole.LEAD or row.status != TaskStatus.ASSIGNED:
        lifecycle.transition(session, task=row, action="acknowledge", actor=actor, now=now,
                             detail=detail, on_behalf_unit_id=behalf)
    else:
        # A cooperating unit's signature is recorded but does not move the task itself.
        lifecycle.target_status(row.status, "acknowledge")
        audit.record(session, actor=actor, entity="task", entity_id=row.id, action="acknowledge",
                     now=now, before={"status": row.status}, after={"status": row.status, **detail},
                     on_behalf_unit_id=behalf)
    return row


@service
def report_progress(
    *, session: Session, task: str | int, actor: Actor, text: str, now: datetime,
    achieved: float | None = None, milestone: int | None = None, for_unit: str | None = None,
    files: Sequence[Upload] = (),
) -> ProgressReport:
    """反馈进展 (or the office's 代反馈 for ``for_unit``): text and/or files (photos,
    documents), optionally the achieved quantity and a milestone reached. The files' hashes,
    sizes, types and names go into the audit event."""
    row = find_visible_task(session, actor, task, for_update=True)
    act, link = _unit_act(session, actor, row, "report_progress", for_unit)
    text = check_text(text, "进展内容")
    if not text.strip() and not files:
        raise InvalidInput("进展内容不能为空（可以只发送照片或文件）")
    achieved = check_quantity(achieved, "完成量")
    # The lifecycle answers first: progress on a draft or closed task is refused as a move.
    lifecycle.target_status(row.status, "report_progress")
    if link.acknowledged_at is None:
        raise PolicyViolation("请先签收事项再反馈进展")
    stored = store_uploads(session, files, now=now)
    again = _resubmitted(session, row, act.unit_id, actor, text, achieved, milestone, stored, now)
    if again is not None:
        return again
    stone = _milestone(session, row, milestone) if milestone is not None else None
    lifecycle.transition(session, task=row, action="report_progress", actor=actor, now=now,
                         detail=_detail(session, act, "report_progress", text=text,
                                        achieved=achieved,
                                        milestone=stone.seq if stone else None,
                                        **audit_files(stored)),
                         on_behalf_unit_id=act.unit_id if act.on_behalf else None)
    report = ProgressReport(task_id=pk(row), unit_id=act.unit_id, person_id=actor.person_id,
                            kind=ReportKind.PROGRESS, text=text, achieved=achieved,
                            milestone_id=stone.id if stone else None, at=now,
                            on_behalf=act.on_behalf)
    session.add(report)
    session.flush()
    attach_files(session, stored, purpose="progress", actor=actor, now=now, task_id=row.id,
                 report_id=report.id, unit_id=act.unit_id)
    if achieved is not None and act.role is UnitRole.LEAD:
        row.achieved = achieved
    if stone is not None:
        stone.done_at = now
        session.add(stone)
    link.last_feedback_at = now
    link.last_feedback_text = text or f"（{len(stored)} 个文件）"
    link.last_feedback_by_id, link.last_feedback_on_behalf = actor.person_id, act.on_behalf
    session.add(link)
    row.last_progress_at = now
    return report


RESUBMIT_WINDOW = timedelta(minutes=2)
"""How long after a progress report the very same report from the same person counts as the
same submission sent again (a double-click, a form posted twice, a message resent)."""


def _resubmitted(session: Session, task: Task, unit_id: int, actor: Actor, text: str,
                 achieved: float | None, milestone: int | None, stored: Sequence[StoredFile],
                 now: datetime) -> ProgressReport | None:
    """The unit's last report when this one repeats it — same person, text, quantity,
    milestone and files, within :data:`RESUBMIT_WINDOW` — else ``None``. Read under the task's
    lock, so of two identical submissions at once the second always finds the first; either
    side of the window counts, as the one that waited for the lock may carry the earlier
    moment (each request reads its clock before it queues)."""
    last = session.exec(
        select(ProgressReport).where(ProgressReport.task_id == task.id,
                                     ProgressReport.unit_id == unit_id)
        .order_by(col(ProgressReport.id).desc()).limit(1)
        .execution_options(populate_existing=True)
    ).first()
    if (last is None or last.kind != ReportKind.PROGRESS or last.person_id != actor.person_id
            or last.text != text or last.achieved != achieved
            or abs(now - last.at) > RESUBMIT_WINDOW):
        return None
    stone = session.get(Milestone, last.milestone_id) if last.milestone_id is not None else None
    if (stone.seq if stone is not None else None) != milestone:
        return None
    files = session.exec(select(Attachment.sha256).where(Attachment.report_id == last.id)
                         .order_by(col(Attachment.id))).all()
    return last if list(files) == [f.sha256 for f in stored] else None


def _milestone(session: Session, task: Task, seq: int) -> Milestone:
    stone = session.exec(
        select(Milestone).where(Milestone.task_id == task.id, Milestone.seq == seq)
        .execution_options(populate_existing=True)
    ).first()
    if stone is None:
        raise InvalidInput(f"事项 {task.code} 没有第 {seq} 个阶段节点")
    if stone.done_at is not None:
        raise PolicyViolation(f"阶段节点“{stone.title}”已完成")
    return stone


@service
def request_completion(
    *, session: Session, task: str | int, actor: Actor, evidence: str, now: datetime,
    achieved: float | None = None, for_unit: str | None = None, files: Sequence[Upload] = (),
) -> Task:
    """申请办结 by the lead unit (or the office's 代申请办结 for it), with its evidence
    (证明材料): a description and/or files.

    Where the policy requires a file for the task's priority, a request without one is refused
    (:class:`engine.errors.EvidenceRequired`). The office is sent the files (each its own
    message) and then the review message with the 审核销号 / 退回 buttons.
    """
    row = find_visible_task(session, actor, task, for_update=True)
    act, link = _unit_act(session, actor, row, "request_completion", for_unit)
    evidence = check_text(evidence, "证明材料说明")
    if not evidence.strip() and not files:
        raise InvalidInput("申请办结须说明证明材料或附上文件")
    achieved = check_quantity(achieved, "完成量")
    lifecycle.target_status(row.status, "request_completion")  # the status refuses first
    require_completion_evidence(session, row, files)
    stored = store_uploads(session, files, now=now)
    lifecycle.transition(session, task=row, action="request_completion", actor=actor, now=now,
                         detail=_detail(session, act, "request_completion", evidence=evidence,
                                        achieved=achieved, **audit_files(stored)),
                         on_behalf_unit_id=act.unit_id if act.on_behalf else None)
    report = ProgressReport(task_id=pk(row), unit_id=act.unit_id, person_id=actor.person_id,
                            kind=ReportKind.COMPLETION, text=evidence, achieved=achieved,
                            at=now, on_behalf=act.on_behalf)
    session.add(report)
    session.flush()
    attachments = attach_files(session, stored, purpose="completion", actor=actor, now=now,
                               task_id=row.id, report_id=report.id, unit_id=act.unit_id)
    link.last_feedback_at = now
    link.last_feedback_text = evidence or f"（{len(stored)} 个文件）"
    link.last_feedback_by_id, link.last_feedback_on_behalf = actor.person_id, act.on_behalf
    session.add(link)
    if achieved is not None:
        row.achieved = achieved
    row.last_progress_at = now
    notify.completion_requested(session, task=row, now=now, seq=notify.event_seq(session, row),
                                attachments=attachments)
    return row


@service
def verify_and_close(
    *, session: Session, task: str | int, actor: Actor, rating: str, now: datetime,
    note: str = "",
) -> Task:
    """审核销号 with a rating (优秀/良好/合格/不合格); schedules the 回头看 re-check."""
    row = find_visible_task(session, actor, task, for_update=True)
    require_action(session, actor, row, "verify")
    rating = _rating(rating)
    note = check_text(note, "审核意见")
    lifecycle.transition(session, task=row, action="verify", actor=actor, now=now,
                         detail={"rating": rating, "note": note})
    row.rating, row.closed_at = rating.value, now
    policy = get_policy(session)
    session.add(Recheck(task_id=pk(row), due_at=now + timedelta(days=policy.recheck_after_days),
                        created_at=now))
    outbox.cancel_pending_for_task(session, task_id=pk(row), now=now)
    withdraw_pending(session, task=row, now=now)
    notify.task_closed(session, task=row, now=now)
    return row


def _rating(value: str) -> Rating:
    rating = Rating.parse(value)
    if rating is None:
        raise InvalidInput(f"评价“{value}”无效，应为 优秀、良好、合格 或 不合格")
    return rating


@service
def return_task(
    *, session: Session, task: str | int, actor: Actor, reason: str, now: datetime
) -> Task:
    """退回: the completion request is refused with a reason; the unit goes on working."""
    row = find_visible_task(session, actor, task, for_update=True)
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
    *, session: Session, task: str | int, actor: Actor, reason: str, now: datetime
) -> Task:
    """撤销 (office only) from any open state; pending reminders are cancelled too."""
    row = find_visible_task(session, actor, task, for_update=True)
    require_action(session, actor, row, "cancel")
    reason = check_text(reason, "撤销理由")
    if not reason.strip():
        raise InvalidInput("撤销须写明理由")
    lifecycle.transition(session, task=row, action="cancel", actor=actor, now=now,
                         detail={"reason": reason})
    outbox.cancel_pending_for_task(session, task_id=pk(row), now=now)
    withdraw_pending(session, task=row, now=now)
    return row
