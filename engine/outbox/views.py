"""Read side of the outbox for the office: statistics and the newest messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from engine.org.actors import Actor
from engine.org.permissions import require_office
from engine.read.schemas import Schema
from engine.store.policy import get_policy, zone_for
from engine.values import OutboxKind, OutboxStatus
from models import OutboxMessage, Person, Task

_KINDS = {k.value: k for k in OutboxKind}


@dataclass(slots=True)
class OutboxRow(Schema):
    """One queued message as the office reads it (without its body)."""

    id: int
    kind: OutboxKind | str
    """The message's kind (a plain code for kinds a newer version may add)."""
    level: int
    task_id: int | None
    task_code: str | None
    """The task's code (what people know it by), beside its id."""
    recipient: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    channel: str | None
    last_error: str | None
    dedupe_key: str
    subject: str


def outbox_stats(*, session: Session, actor: Actor) -> dict[str, int]:
    """Row counts per status (every status present, zeros included); the office's view."""
    require_office(actor, "查看发件箱")
    rows = session.exec(select(OutboxMessage.status, func.count())
                        .group_by(col(OutboxMessage.status))).all()
    stats = dict.fromkeys((s.value for s in OutboxStatus), 0)
    stats.update({str(k): int(v) for k, v in rows})
    return stats


def outbox_rows(*, session: Session, actor: Actor, status: OutboxStatus | None,
                limit: int) -> list[OutboxRow]:
    """The newest ``limit`` messages (of ``status``); the office's view."""
    require_office(actor, "查看发件箱")
    tz = zone_for(get_policy(session))

    def local(value: datetime | None) -> Any:
        return value.astimezone(tz) if value is not None else None

    query = select(OutboxMessage, Person.name, Task.code).join(
        Person, col(Person.id) == col(OutboxMessage.recipient_id), isouter=True).join(
        Task, col(Task.id) == col(OutboxMessage.task_id), isouter=True)
    if status is not None:
        query = query.where(OutboxMessage.status == status.value)
    query = query.order_by(col(OutboxMessage.id).desc()).limit(max(1, min(limit, 10_000)))
    return [OutboxRow(id=m.id or 0, kind=_KINDS.get(m.kind, m.kind), level=m.level,
                      task_id=m.task_id, task_code=code, recipient=name or "",
                      status=OutboxStatus(m.status), attempts=m.attempts,
                      next_attempt_at=local(m.next_attempt_at), sent_at=local(m.sent_at),
                      channel=m.channel, last_error=m.last_error, dedupe_key=m.dedupe_key,
                      subject=m.subject)
            for m, name, code in session.exec(query).all()]
