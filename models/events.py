"""Append-only audit events, chained by a keyed hash (HMAC) in ``seq`` order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String
from sqlmodel import Field

from models.base import Model
from models.types import UTCDateTime


class AuditEvent(Model, table=True):
    __tablename__ = "audit_event"
    # The 15:00 summary's "escalated since the last summary" list.
    __table_args__ = (Index("ix_audit_action_at", "action", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    # Position in the chain: 1, 2, 3 … without gaps (ids may have gaps on PostgreSQL). Published
    # anchors name an event by it ("SEQ:HASH").
    seq: int = Field(unique=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(sa_type=String(64))
    actor_id: int | None = None
    entity: str = Field(sa_type=String(32))
    entity_id: int | None = Field(default=None, index=True)
    action: str = Field(sa_type=String(32))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    prev_hash: str = Field(sa_type=String(64))
    hash: str = Field(sa_type=String(64), unique=True)
