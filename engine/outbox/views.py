"""Read side of the outbox: listing and statistics."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from engine.calendar.timefmt import iso_local
from engine.labels import OUTBOX_KIND_LABELS
from engine.store.policy import get_policy, zone_for
from models import OutboxMessage, Person, Task

OUTBOX_STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送",
                        "dead": "死信", "cancelled": "已取消"}


def outbox_stats(session: Session) -> dict[str, int]:
    """Row counts per status (every status present, zeros included)."""
    rows = session.exec(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    stats = dict.fromkeys(OUTBOX_STATUS_LABELS, 0)
    stats.update({str(k): int(v) for k, v in rows})
    return stats


def outbox_rows(session: Session, *, status: str | None, limit: int) -> list[dict[str, Any]]:
    tz = zone_for(get_policy(session))
    query = select(OutboxMessage, Person.name, Task.code).join(
        Person, col(Person.id) == col(OutboxMessage.recipient_id), isouter=True).join(
        Task, col(Task.id) == col(OutboxMessage.task_id), isouter=True)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    query = query.order_by(col(OutboxMessage.id).desc()).limit(limit)
    return [{"id": m.id, "kind": m.kind, "kind_label": OUTBOX_KIND_LABELS.get(m.kind, m.kind),
             "level": m.level, "task_id": m.task_id, "task_code": code,
             "recipient": name or "", "status": m.status, "attempts": m.attempts,
             "next_attempt_at": iso_local(m.next_attempt_at, tz), "sent_at": iso_local(m.sent_at, tz),
             "channel": m.channel, "last_error": m.last_error, "dedupe_key": m.dedupe_key,
             "subject": m.subject}
            for m, name, code in session.exec(query).all()]
