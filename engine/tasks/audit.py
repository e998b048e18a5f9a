"""Append-only, hash-chained audit trail.

Each event stores the hash of its predecessor and its own hash over a canonical JSON of its
fields, so editing, inserting or deleting any row breaks the chain at that row. The hash of the
newest event is also kept as the chain head (a ``setting`` row written with it), so deleting the
newest events — which leaves a shorter chain that still links — is found as well. Appends are
serialised (PostgreSQL: a transaction-scoped advisory lock; SQLite: the write lock every
transaction already holds) so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlmodel import Session, select

from engine.errors import AuditChainBroken
from engine.store.ids import pk
from models import AuditEvent, Person, Setting

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 0x64756261  # "duba"
_LAST_HASH = "duban.audit.last_hash"
_HEAD_KEY = "audit_head"
_HEAD_ROW = "duban.audit.head_row"


def jsonable(value: Any) -> Any:
    """Values as they are stored in an event's before/after (datetimes as ISO text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _digest(event: AuditEvent) -> str:
    payload = {
        "prev": event.prev_hash,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "actor_id": event.actor_id,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "action": event.action,
        "before": event.before,
        "after": event.after,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _last_hash(session: Session) -> str:
    cached = session.info.get(_LAST_HASH)
    if cached is not None:
        return str(cached)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
    row = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)  # type: ignore[union-attr]
    ).first()
    return row[0] if row else GENESIS_HASH


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
def _forget_chain_head(session: Session) -> None:
    # The advisory lock ended with the transaction: the next append must re-read the head.
    session.info.pop(_LAST_HASH, None)
    session.info.pop(_HEAD_ROW, None)


def record(
    session: Session,
    *,
    actor: Person | None,
    entity: str,
    entity_id: int | None,
    action: str,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain in the caller's transaction (not committed here)."""
    event = AuditEvent(
        at=now.astimezone(UTC),
        actor=actor.name if actor is not None else "system",
        actor_id=actor.id if actor is not None else None,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        prev_hash=_last_hash(session),
        hash="",
    )
    event.hash = _digest(event)
    session.add(event)
    session.info[_LAST_HASH] = event.hash
    _store_head(session, event)
    return event


def _store_head(session: Session, event: AuditEvent) -> None:
    # Under the same lock as the append (advisory lock / SQLite write lock), in the same commit.
    # The row is kept for the rest of the transaction: one read per transaction, not per event
    # (and a head added earlier in it is found even before a flush).
    head = session.info.get(_HEAD_ROW) or session.get(Setting, _HEAD_KEY)
    value = {"hash": event.hash}
    if head is None:
        head = Setting(key=_HEAD_KEY, value=value, updated_at=event.at)
    else:
        head.value, head.updated_at = value, event.at
    session.add(head)
    session.info[_HEAD_ROW] = head


def verify_chain(session: Session, *, batch: int = 5000) -> int:
    """Check every event in id order; return the number checked.

    Raises :class:`AuditChainBroken` naming the first event whose stored hash or link is wrong.
    """
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)  # type: ignore[operator,arg-type]
        ).all()
        if not rows:
            _check_head(session, prev, last_id)
            return checked
        for event in rows:
            if event.prev_hash != prev:
                raise AuditChainBroken(pk(event), "的前序哈希不连续（其前的事件被删除或改动）")
            if _digest(event) != event.hash:
                raise AuditChainBroken(pk(event), "的内容与哈希不符（记录被改动）")
            prev = event.hash
            checked += 1
            last_id = pk(event)
        session.expunge_all()


def _check_head(session: Session, last_hash: str, last_id: int) -> None:
    """The newest event verified must be the recorded chain head (else the tail was cut off)."""
    head = session.get(Setting, _HEAD_KEY)
    expected = head.value.get("hash") if head is not None else GENESIS_HASH
    if expected != last_hash:
        raise AuditChainBroken(last_id + 1, "及其后的事件缺失（最后一条事件与记录的链头不符，链尾被删除或改动）")
