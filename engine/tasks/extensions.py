"""申请延期: the lead unit asks, the office approves or rejects.

The task keeps its original deadline beside the extended one (statistics need both), the number
of approved extensions is capped by policy, and an approval bumps the deadline version so the
escalation ladder starts again for the new deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from engine.calendar.lights import due_of
from engine.calendar.timefmt import local_text
from engine.errors import InvalidInput, NotFound, PolicyViolation
from engine.files.attach import attach_files, audit_files
from engine.files.ingest import Upload, store_uploads
from engine.inputs import check_line, check_text
from engine.org.actors import Actor
from engine.org.directory import find_task
from engine.org.permissions import require_action
from engine.org.visibility import can_see_task, find_visible_task
from engine.outbox import notify
from engine.store.ids import pk
from engine.store.policy import get_policy, zone_for
from engine.store.service import service
from engine.tasks import audit, lifecycle
from engine.tasks.creation import resolve_due
from engine.values import ExtensionState
from models import ExtensionRequest, Task


def _approved_count(session: Session, task: Task) -> int:
    return task.extension_count


def pending_extensions(session: Session, task: Task) -> list[ExtensionRequest]:
    """The task's undecided extension requests, oldest first (at most one, by the rule below)."""
    return list(session.exec(select(ExtensionRequest).where(
        ExtensionRequest.task_id == task.id, ExtensionRequest.status == ExtensionState.PENDING)
        .order_by(col(ExtensionRequest.id)).execution_options(populate_existing=True)).all())


def extension_blocker(session: Session, task: Task) -> str | None:
    """Why the policy refuses a new extension request on ``task`` now (the cap is reached, or
    one is pending), or ``None`` when it may be filed."""
    cap = get_policy(session).extension_cap
    if _approved_count(session, task) >= cap:
        return f"事项 {task.code} 已延期 {task.extension_count} 次，达到上限 {cap} 次"
    if pending_extensions(session, task):
        return f"事项 {task.code} 已有待审批的延期申请"
    return None


@service
def request_extension(
    *, session: Session, task: str | int, actor: Actor, new_due: str, reason: str,
    now: datetime, files: Sequence[Upload] = (),
) -> ExtensionRequest:
    """File a request, with supporting files if any (sent to the office with it); refused if
    one is pending, the cap is reached or the date is not later."""
    row = find_visible_task(session, actor, task, for_update=True)
    require_action(session, actor, row, "request_extension")
    lifecycle.target_status(row.status, "request_extension")  # the status refuses first
    reason = check_text(reason, "延期理由")
    new_due = check_line(new_due, "申请的新时限", max_length=64, required=True)
    if not reason.strip():
        raise InvalidInput("申请延期须说明理由")
    policy = get_policy(session)
    blocker = extension_blocker(session, row)
    if blocker is not None:
        raise PolicyViolation(blocker)
    resolved = resolve_due(session, text=new_due, issued_at=now)
    if resolved.due_at <= due_of(row):
        raise InvalidInput(f"申请的新时限“{new_due}”不晚于现有时限，无需延期")
    stored = store_uploads(session, files, now=now)
    lifecycle.transition(session, task=row, action="request_extension", actor=actor, now=now,
                         detail={"new_due_at": resolved.due_at, "reason": reason,
                                 **audit_files(stored)})
    request = ExtensionRequest(
        task_id=pk(row), requested_by_id=actor.person_id,
        requested_due_text=resolved.text, requested_due_at=resolved.due_at,
        previous_due_at=due_of(row), reason=reason, created_at=now,
    )
    session.add(request)
    session.flush()
    attachments = attach_files(session, stored, purpose="extension", actor=actor, now=now,
                               task_id=row.id, extension_id=request.id, unit_id=row.lead_unit_id)
    when = local_text(resolved.due_at, zone_for(policy))
    notify.extension_requested(session, task=row, now=now, seq=request.id or 0,
                               requested=f"{resolved.text}（{when}）", reason=reason,
                               attachments=attachments)
    return request


def _request_and_task(session: Session, actor: Actor,
                      request_id: int) -> tuple[ExtensionRequest, Task]:
    """The request and its task, if ``actor`` may see the task (else "not found", as missing);
    the task locked (:func:`engine.org.visibility.find_visible_task`), then the request read
    as committed — two clerks deciding at once are judged one after the other."""
    request = session.get(ExtensionRequest, request_id) if 0 < request_id < 2**63 else None
    task = find_task(session, request.task_id, for_update=True) if request is not None else None
    if request is not None:
        request = session.get(ExtensionRequest, request_id, populate_existing=True)
    if request is None or task is None or not can_see_task(session, actor, task):
        raise NotFound(f"未找到延期申请 {request_id}")
    return request, task


@service
def decide_extension(
    *, session: Session, request_id: int, actor: Actor, approve: bool, now: datetime,
    note: str = "",
) -> ExtensionRequest:
    """Approve (the deadline moves, the ladder restarts) or reject a pending request."""
    request, task = _request_and_task(session, actor, request_id)
    require_action(session, actor, task, "decide_extension")
    note = check_text(note, "审批意见")
    lifecycle.target_status(task.status, "decide_extension")  # the status refuses first
    if request.status != ExtensionState.PENDING:
        raise PolicyViolation(f"延期申请 {request_id} 已处理，不能重复审批")
    policy = get_policy(session)
    if approve and task.extension_count >= policy.extension_cap:
        raise PolicyViolation(f"事项 {task.code} 已达延期上限 {policy.extension_cap} 次")
    lifecycle.transition(session, task=task, action="decide_extension", actor=actor, now=now,
                         detail={"request": request.id, "approved": approve, "note": note})
    request.status = ExtensionState.APPROVED if approve else ExtensionState.REJECTED
    request.decided_by_id = actor.person_id
    request.decided_at, request.decision_note = now, note or None
    session.add(request)
    if approve:
        before = {"due_at": task.due_at, "due_text": task.due_text, "level": task.escalation_level}
        task.due_at, task.due_text = request.requested_due_at, request.requested_due_text
        task.due_base, task.due_base_at = "extension", request.created_at
        task.extension_count += 1
        task.deadline_version += 1
        task.escalation_level, task.escalated_at = 0, None
        audit.record(session, actor=actor, entity="task", entity_id=task.id, action="extend",
                     now=now, before=before,
                     after={"due_at": task.due_at, "due_text": task.due_text, "level": 0})
    notify.extension_decided(session, task=task, approved=approve, now=now, seq=request.id or 0)
    return request


def withdraw_pending(session: Session, *, task: Task, now: datetime) -> int:
    """Close the task's undecided requests (the task ended): they can no longer be decided."""
    rows = session.exec(select(ExtensionRequest).where(
        ExtensionRequest.task_id == task.id, ExtensionRequest.status == ExtensionState.PENDING)
        .execution_options(populate_existing=True)).all()
    for request in rows:
        request.status, request.decided_at = ExtensionState.WITHDRAWN, now
        request.decision_note = "事项已结束，申请自动撤回"
        session.add(request)
    return len(rows)
