"""Upgrading a database whose audit chain predates the key (schema revisions before 0003).

Such a chain was hashed with plain SHA-256: events written before revision 0002 over the fields
of revision 0001, later ones over every column but the hash. ``duban init`` upgrades it once,
with the key in hand:

1. before the schema changes, the old chain is verified under its own rules — a broken chain is
   refused and nothing changes (sealing it would launder the tampering);
2. Alembic upgrades the schema;
3. every event is re-signed with the HMAC, in order, and a ``seal`` event records how many
   events were sealed and the old chain's head hash, so the old scheme's evidence is kept.

Only a database coming from a revision before 0003 is sealed, never one already at or after it:
an unkeyed chain there is tampering, and verification says so.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, inspect, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from engine.errors import AuditChainBroken
from engine.org.actors import SYSTEM
from engine.tasks.audit import GENESIS_HASH, digest, jsonable, record, write_head
from engine.tasks.audit_key import audit_key
from models import AuditEvent, Setting
from models.types import UTCDateTime

KEYED_REVISION = 3
"""The first schema revision whose chain is keyed."""

_TYPES: dict[str, Any] = {
    "id": Integer, "at": UTCDateTime, "recorded_at": UTCDateTime, "actor": String,
    "actor_id": Integer, "channel": String, "client": String, "on_behalf_unit_id": Integer,
    "entity": String, "entity_id": Integer, "action": String, "before": JSON, "after": JSON,
    "prev_hash": String, "hash": String,
}
"""The audit columns of revisions 0001 and 0002, with the types to read them back."""
_HASHED_0002 = ("id", "at", "recorded_at", "actor", "actor_id", "channel", "client",
                "on_behalf_unit_id", "entity", "entity_id", "action", "before", "after",
                "prev_hash")


@dataclass(frozen=True)
class LegacyChain:
    events: int
    head: str


def _sha(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _legacy_digest(row: Any) -> str:
    """The unkeyed hash an event was written with: revision 0001's fields, or (an event written
    at revision 0002, which records its wall clock) every column but the hash."""
    if getattr(row, "recorded_at", None) is not None:
        return _sha({name: jsonable(getattr(row, name)) for name in _HASHED_0002})
    return _sha({"prev": row.prev_hash, "at": row.at.isoformat(), "actor": row.actor,
                 "actor_id": row.actor_id, "entity": row.entity, "entity_id": row.entity_id,
                 "action": row.action, "before": row.before, "after": row.after})


def _old_table(connection: Connection) -> Table:
    present = {c["name"] for c in inspect(connection).get_columns("audit_event")}
    return Table("audit_event", MetaData(), *(
        Column(name, kind, primary_key=name == "id") for name, kind in _TYPES.items()
        if name in present))


def check_legacy_chain(connection: Connection) -> LegacyChain:
    """Verify an unkeyed chain of a pre-0003 database; raise :class:`AuditChainBroken`."""
    table = _old_table(connection)
    prev, count, current_seen = GENESIS_HASH, 0, False
    for found in connection.execute(select(table).order_by(table.c.id)):
        row = SimpleNamespace(**found._mapping)
        for name in ("at", "recorded_at"):  # aware UTC, as the events were hashed
            value = getattr(row, name, None)
            if value is not None and value.tzinfo is None:
                setattr(row, name, value.replace(tzinfo=UTC))
        legacy = getattr(row, "recorded_at", None) is None
        if row.prev_hash != prev or (legacy and current_seen):
            raise AuditChainBroken(row.id, "的前序哈希不连续（旧审计链已被改动，拒绝用密钥封存）")
        if _legacy_digest(row) != row.hash:
            raise AuditChainBroken(row.id, "的内容与哈希不符（旧审计链已被改动，拒绝用密钥封存）")
        prev, count, current_seen = row.hash, count + 1, current_seen or not legacy
    setting = Setting.__table__  # type: ignore[attr-defined]
    head = connection.execute(select(setting.c.value).where(setting.c.key == "audit_head")).first()
    recorded = (head[0] or {}).get("hash") if head is not None else GENESIS_HASH
    if isinstance(recorded, str) and recorded != prev:
        raise AuditChainBroken(count + 1, "及其后的事件缺失（旧审计链的链尾被删除，拒绝用密钥封存）")
    return LegacyChain(count, prev)


def needs_seal(revision: str | None) -> bool:
    """Whether a database at ``revision`` holds an unkeyed chain (``None``: a new database)."""
    return revision is not None and revision.isdigit() and int(revision) < KEYED_REVISION


def seal_legacy_chain(session: Session, *, legacy: LegacyChain, now: datetime) -> int:
    """Re-sign every event with the key in id order and append the ``seal`` event; return the
    number of events re-signed. Commits."""
    key = audit_key()
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    prev, last = GENESIS_HASH, 0
    rows = session.execute(select(table).order_by(col(AuditEvent.id))).mappings().all()
    for row in rows:
        values: dict[str, Any] = {**row, "prev_hash": prev}
        signed = digest(values, key)
        session.execute(update(table).where(table.c.id == row["id"])
                        .values(prev_hash=prev, hash=signed))
        prev, last = signed, int(row["id"])
    write_head(session, seq=last, hash_=prev, key=key, now=now)
    session.flush()
    record(session, actor=SYSTEM.at(now), entity="audit", entity_id=None, action="seal", now=now,
           after={"legacy_events": legacy.events, "legacy_head": legacy.head})
    session.commit()
    return len(rows)


def upgrade_and_seal(engine: Engine, *, now: datetime) -> str | None:
    """``duban init``'s schema step: upgrade to the newest revision, sealing an old unkeyed
    chain as the module docstring says. Returns the revision reached."""
    from engine.store.schema import current_revision, upgrade

    legacy = None
    if needs_seal(current_revision(engine)):
        audit_key()  # no key, no upgrade: the chain could not be sealed afterwards
        with engine.connect() as connection:
            legacy = check_legacy_chain(connection)
    revision = upgrade(engine)
    if legacy is not None and legacy.events:
        with Session(engine) as session:
            seal_legacy_chain(session, legacy=legacy, now=now)
    return revision
