"""Append-only, hash-chained audit trail.

Each event stores the hash of its predecessor and its own hash over a canonical JSON of every
other column (:data:`HASHED_FIELDS`: when and through which channel, by whom, for which unit,
what changed), so editing, inserting or deleting any row breaks the chain at that row. The hash of the
newest event is also kept as the chain head (a ``setting`` row written with it), so deleting the
newest events — which leaves a shorter chain that still links — is found as well. Appends are
serialised (PostgreSQL: a transaction-scoped advisory lock; SQLite: the write lock every
transaction already holds) so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlmodel import Session, col, select

from engine.errors import AuditChainBroken
from engine.org.actors import Actor
from engine.store.ids import pk
from engine.store.mode import check_moment
from models import AuditEvent, Setting

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 0x64756261  # "duba"
_LAST_HASH = "duban.audit.last_hash"
_HEAD_KEY = "audit_head"
_HEAD_ROW = "duban.audit.head_row"


def jsonable(value: Any) -> Any:
    """Values as they are stored in an event's before/after (datetimes as ISO text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


HASHED_FIELDS = ("id", "at", "recorded_at", "actor", "actor_id", "channel", "client",
                 "on_behalf_unit_id", "entity", "entity_id", "action", "before", "after",
                 "prev_hash")
"""Every column of an event but its own hash (a test keeps this equal to the table)."""


def _digest(event: AuditEvent) -> str:
    return event_digest({name: getattr(event, name) for name in HASHED_FIELDS})


def _legacy_digest(event: AuditEvent) -> str:
    """The hash of an event written before revision 0002 (no id, clock, channel, client or
    unit in it): such events keep the hash they were written with."""
    payload = {"prev": event.prev_hash, "at": event.at.isoformat(), "actor": event.actor,
               "actor_id": event.actor_id, "entity": event.entity, "entity_id": event.entity_id,
               "action": event.action, "before": event.before, "after": event.after}
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def event_digest(values: Mapping[str, Any]) -> str:
    """The hash of an event given its column values (every name of :data:`HASHED_FIELDS`); also
    used by tools that write events in bulk (the benchmark generator)."""
    payload = {name: jsonable(values[name]) for name in HASHED_FIELDS}
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _chain_end(session: Session) -> tuple[int, str]:
    """The newest event's id and hash (0 and the genesis hash for an empty chain), under the
    chain's lock; kept for the rest of the transaction."""
    cached = session.info.get(_LAST_HASH)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
    row = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
def _forget_chain_head(session: Session) -> None:
    # The advisory lock ended with the transaction: the next append must re-read the head.
    session.info.pop(_LAST_HASH, None)
    session.info.pop(_HEAD_ROW, None)


def record(
    session: Session,
    *,
    actor: Actor,
    entity: str,
    entity_id: int | None,
    action: str,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    on_behalf_unit_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain in the caller's transaction (not committed here).

    The event records ``now`` (the moment of the change) and the actor's wall clock (the real
    time of the write), the actor, their channel and web client, and the unit acted for. On a
    production database a ``now`` far from that wall clock is refused
    (:func:`engine.store.mode.check_moment`), so every audited write happens at the real time.
    """
    wall_clock = actor.clock()
    check_moment(session, now=now, wall_clock=wall_clock)
    last_id, last_hash = _chain_end(session)
    event = AuditEvent(
        id=last_id + 1,
        at=now.astimezone(UTC),
        recorded_at=wall_clock.astimezone(UTC),
        actor=actor.name[:64],
        actor_id=actor.person_id,
        channel=actor.channel.value,
        client=actor.client[:64] if actor.client else None,
        on_behalf_unit_id=on_behalf_unit_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        prev_hash=last_hash,
        hash="",
    )
    event.hash = _digest(event)
    session.add(event)
    session.info[_LAST_HASH] = (last_id + 1, event.hash)
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


def verify_chain(*, session: Session, actor: Actor, batch: int = 5000) -> int:
    """Check every event in id order; return the number checked. The office's (or the
    operator's) check.

    Raises :class:`AuditChainBroken` naming the first event whose stored hash or link is wrong.
    """
    from engine.org.permissions import require_office_or_system

    require_office_or_system(actor, "校验审计链")
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    current_seen = False
    while True:
        rows = session.exec(
            select(AuditEvent).where(col(AuditEvent.id) > last_id).order_by(col(AuditEvent.id))
            .limit(batch)
        ).all()
        if not rows:
            _check_head(session, prev, last_id)
            return checked
        for event in rows:
            if event.prev_hash != prev:
                raise AuditChainBroken(pk(event), "的前序哈希不连续（其前的事件被删除或改动）")
            # Every event since revision 0002 records its wall clock; one without it after
            # such an event was rewritten to look old.
            legacy = event.recorded_at is None
            if legacy and current_seen:
                raise AuditChainBroken(pk(event), "缺少写入时间（记录被改动）")
            current_seen = current_seen or not legacy
            if (_legacy_digest(event) if legacy else _digest(event)) != event.hash:
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
