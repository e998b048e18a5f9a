"""Append-only audit events, chained by a keyed hash (HMAC) in id order (ids are gap-free
from revision 0002 on, and signed: a published anchor names an event as "ID:HASH")."""

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
    # The moment the change took effect: the engine's ``now`` (on a simulation database, the
    # simulated moment; elsewhere the real time of the request).
    at: datetime = Field(sa_type=UTCDateTime)
    # The real wall-clock time of the write, supplied by the front end (None before revision
    # 0002 recorded it).
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    actor: str = Field(sa_type=String(64))
    actor_id: int | None = None
    # Through which front end the change came: cli, bot, web, scheduler.
    channel: str | None = Field(default=None, sa_type=String(16))
    # The web client's address, for changes made in the web console.
    client: str | None = Field(default=None, sa_type=String(64))
    # The unit the office acted for (代签收 / 代反馈 / 代申请办结).
    on_behalf_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    entity: str = Field(sa_type=String(32))
    entity_id: int | None = Field(default=None, index=True)
    action: str = Field(sa_type=String(32))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    prev_hash: str = Field(sa_type=String(64))
    hash: str = Field(sa_type=String(64), unique=True)
