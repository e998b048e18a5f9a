"""Append-only audit trail, chained by a keyed hash.

Each event has a gap-free id (1, 2, 3 …), the hash of its predecessor and its own hash: an
HMAC-SHA256, under the audit key (:mod:`engine.tasks.audit_key`, never stored in the database),
of a canonical JSON of **every stored column but ``hash``** — when and through which channel,
by whom, for which unit, what changed — taken from the table's metadata, so a column added
later is signed without a change here.
Whoever can write the database but lacks the key cannot edit, insert or re-chain events
unnoticed. Deleting the newest events leaves a shorter chain that still links: the recorded
chain head finds that unless it was moved back too, and a published anchor
(:func:`chain_anchor`, printed in every daily summary and bulletin) finds it in any case —
:mod:`engine.tasks.audit_verify` checks both.

Appends are serialised (PostgreSQL: a transaction-scoped advisory lock; SQLite: the write lock
every transaction already holds) so the chain never forks; an append with another key than the
chain's (a misconfigured server) is refused rather than mixed in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlmodel import Session, col, select

from engine.org.actors import Actor
from engine.store.mode import check_moment
from engine.tasks.audit_key import AuditKeyError, audit_key, key_id
from models import AuditEvent, Setting

GENESIS_HASH = "0" * 64
UNSIGNED_COLUMNS = frozenset({"hash"})
"""The one column the HMAC does not cover: the HMAC itself (the id, set by :func:`record`
before signing, is covered)."""
_ADVISORY_LOCK_KEY = 0x64756261  # "duba"
_TAIL = "duban.audit.tail"
_HEAD_KEY = "audit_head"
_HEAD_ROW = "duban.audit.head_row"


_PLAIN = (str, int, float, bool, type(None))


def jsonable(value: Any) -> Any:
    """Values as they are stored in an event's before/after and signed (datetimes as ISO text,
    aware ones in UTC)."""
    if type(value) in _PLAIN:  # the common case first: verification calls this per value
        return value
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


@cache
def signed_column_names() -> tuple[str, ...]:
    """Every column of ``audit_event`` the HMAC covers, in table order (read from the table's
    metadata once per process)."""
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    return tuple(c.name for c in table.columns if c.name not in UNSIGNED_COLUMNS)


def digest(values: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA256 (hex) of the signed columns of one event given as ``{column: value}``."""
    payload = {name: jsonable(values[name]) for name in signed_column_names()}
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                           allow_nan=False)
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def event_values(event: AuditEvent) -> dict[str, Any]:
    """An event object's stored values by column name."""
    return {name: getattr(event, name) for name in signed_column_names()}


@dataclass(frozen=True)
class Anchor:
    """A published point of the chain: event ``seq`` has hash ``hash`` (or starts with it)."""

    seq: int
    """The event's id."""
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def chain_anchor(session: Session) -> Anchor | None:
    """The newest event's sequence number and hash (``None`` for an empty chain)."""
    row = session.execute(select(AuditEvent.id, AuditEvent.hash)
                          .order_by(col(AuditEvent.id).desc()).limit(1)).first()
    return Anchor(int(row[0]), str(row[1])) if row else None


def anchor_text(session: Session) -> str:
    """The anchor as printed in summaries and bulletins ("审计锚点：SEQ:HASH")."""
    anchor = chain_anchor(session)
    return f"审计锚点：{anchor}" if anchor else "审计锚点：（尚无审计事件）"


def _tail(session: Session) -> tuple[int, str]:
    cached = session.info.get(_TAIL)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
    anchor = chain_anchor(session)
    return (anchor.seq, anchor.hash) if anchor else (0, GENESIS_HASH)


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
def _forget_chain_head(session: Session) -> None:
    # The advisory lock ended with the transaction: the next append must re-read the head.
    session.info.pop(_TAIL, None)
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
    Raises :class:`~engine.tasks.audit_key.AuditKeyError` when there is no usable key or it is
    not the chain's key: the caller's whole change is then refused.
    """
    key = audit_key()
    wall_clock = actor.clock()
    check_moment(session, now=now, wall_clock=wall_clock)
    head = _head_row(session, key)
    last_id, prev = _tail(session)
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
        prev_hash=prev,
        hash="",
    )
    event.hash = digest(event_values(event), key)
    session.add(event)
    session.info[_TAIL] = (last_id + 1, event.hash)
    _store_head(session, head, event, key)
    return event


def _head_row(session: Session, key: bytes) -> Setting | None:
    """The chain-head row (read once per transaction); refuses a key other than the chain's."""
    head: Setting | None = session.info.get(_HEAD_ROW) or session.get(Setting, _HEAD_KEY)
    if head is not None and head.value.get("key_id") not in (None, key_id(key)):
        raise AuditKeyError("当前审计密钥与本数据库审计链所用的密钥不一致，拒绝写入（请检查 "
                            "DUBAN_AUDIT_KEY 或审计密钥文件是否为本数据库的密钥）")
    return head


def _store_head(session: Session, head: Setting | None, event: AuditEvent, key: bytes) -> None:
    # Under the same lock as the append (advisory lock / SQLite write lock), in the same commit.
    # The row is kept for the rest of the transaction: one read per transaction, not per event
    # (and a head added earlier in it is found even before a flush).
    value = {"seq": event.id, "hash": event.hash, "key_id": key_id(key)}
    if head is None:
        head = Setting(key=_HEAD_KEY, value=value, updated_at=event.at)
    else:
        head.value, head.updated_at = value, event.at
    session.add(head)
    session.info[_HEAD_ROW] = head


def recorded_head(session: Session) -> dict[str, Any] | None:
    """The chain head as recorded beside the chain (``seq``, ``hash``, ``key_id``)."""
    head = session.get(Setting, _HEAD_KEY)
    return dict(head.value) if head is not None else None


def write_head(session: Session, *, seq: int, hash_: str, key: bytes, now: datetime) -> None:
    """Record the chain head (used when a whole chain is re-signed)."""
    head = session.get(Setting, _HEAD_KEY)
    value = {"seq": seq, "hash": hash_, "key_id": key_id(key)}
    if head is None:
        head = Setting(key=_HEAD_KEY, value=value, updated_at=now)
    else:
        head.value, head.updated_at = value, now
    session.add(head)


def verify_chain(*, session: Session, actor: Actor, batch: int = 5000) -> int:
    """Check the whole chain (see :func:`engine.tasks.audit_verify.verify`); return its length.
    The office's (or the operator's) check."""
    from engine.tasks.audit_verify import verify

    return verify(session=session, actor=actor, batch=batch).events
