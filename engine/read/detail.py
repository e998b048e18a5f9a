"""One task in full: its row plus units' acknowledgements, milestones, reports, extensions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from engine.calendar.timefmt import iso_local
from engine.labels import DUE_BASE_LABELS, EXTENSION_STATUS_LABELS, RATING_LABELS
from engine.org.directory import find_task
from engine.read.tasks import task_rows
from engine.store.policy import get_policy, zone_for
from models import (
    AuditEvent,
    ExtensionRequest,
    Milestone,
    Person,
    ProgressReport,
    Recheck,
    TaskUnit,
    Unit,
)


def task_detail(session: Session, ref: str | int, *, now: datetime) -> dict[str, Any]:
    """Everything the office needs to judge one task, JSON-ready."""
    task = find_task(session, ref)
    tz = zone_for(get_policy(session))
    row = task_rows(session, [task], now)[0]
    units = {u.id: u.name for u in session.exec(select(Unit)).all()}
    people = {p.id: p.name for p in session.exec(select(Person)).all()}
    row["requirement"] = task.requirement
    row["due_base"] = DUE_BASE_LABELS.get(task.due_base or "", None)
    row["due_base_at"] = iso_local(task.due_base_at, tz)
    row["units"] = [
        {"unit": units.get(link.unit_id), "role": link.role,
         "acknowledged_at": iso_local(link.acknowledged_at, tz),
         "acknowledged_by": people.get(link.acknowledged_by_id or 0),
         "last_feedback_at": iso_local(link.last_feedback_at, tz),
         "last_feedback": link.last_feedback_text}
        for link in session.exec(select(TaskUnit).where(TaskUnit.task_id == task.id)).all()
    ]
    row["milestones"] = [
        {"seq": m.seq, "title": m.title, "due_text": m.due_text, "due_at": iso_local(m.due_at, tz),
         "done_at": iso_local(m.done_at, tz)}
        for m in session.exec(select(Milestone).where(Milestone.task_id == task.id)
                              .order_by(Milestone.seq)).all()  # type: ignore[arg-type]
    ]
    row["reports"] = [
        {"kind": r.kind, "at": iso_local(r.at, tz), "unit": units.get(r.unit_id or 0),
         "by": people.get(r.person_id or 0), "text": r.text, "achieved": r.achieved}
        for r in session.exec(select(ProgressReport).where(ProgressReport.task_id == task.id)
                              .order_by(ProgressReport.at)).all()  # type: ignore[arg-type]
    ]
    row["extensions"] = [
        {"id": e.id, "status": e.status,
         "status_label": EXTENSION_STATUS_LABELS.get(e.status, e.status),
         "requested_due_text": e.requested_due_text,
         "requested_due_at": iso_local(e.requested_due_at, tz), "reason": e.reason,
         "decided_by": people.get(e.decided_by_id or 0), "decision_note": e.decision_note}
        for e in session.exec(select(ExtensionRequest).where(ExtensionRequest.task_id == task.id)
                              .order_by(ExtensionRequest.id)).all()  # type: ignore[arg-type]
    ]
    row["rating_label"] = RATING_LABELS.get(task.rating or "", None)
    row["returns"] = [
        {"at": iso_local(at, tz), "by": actor, "reason": (after or {}).get("reason", "")}
        for at, actor, after in session.exec(
            select(AuditEvent.at, AuditEvent.actor, AuditEvent.after).where(
                AuditEvent.entity == "task", AuditEvent.entity_id == task.id,
                AuditEvent.action == "return").order_by(col(AuditEvent.seq))).all()
    ]
    row["rechecks"] = [
        {"due_at": iso_local(r.due_at, tz), "done_at": iso_local(r.done_at, tz),
         "result": r.result, "note": r.note}
        for r in session.exec(select(Recheck).where(Recheck.task_id == task.id)).all()
    ]
    return row
