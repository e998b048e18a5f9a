"""The notification outbox: one row per message to deliver, de-duplicated by key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlmodel import Field

from models.base import Model
from models.types import UTCDateTime


class OutboxMessage(Model, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    # task / kind / level / recipient / deadline version: the same message is never queued twice.
    dedupe_key: str = Field(sa_type=String(200), unique=True)
    kind: str = Field(sa_type=String(24))
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    level: int = 0
    recipient_id: int | None = Field(default=None, foreign_key="person.id")
    subject: str = Field(default="", sa_type=String(256))
    body: str = Field(sa_type=Text)
    body_html: str | None = Field(default=None, sa_type=Text)
    # JSON-encoded inline buttons for channels that have them.
    actions: str | None = Field(default=None, sa_type=Text)
    # An evidence file sent with the message (a photo or document, e.g. to the office's chat
    # before 审核销号); channels without files send the text alone.
    attachment_id: int | None = Field(default=None, foreign_key="attachment.id")
    status: str = Field(default="pending", sa_type=String(12))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, sa_type=String(64))
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel: str | None = Field(default=None, sa_type=String(32))
    last_error: str | None = Field(default=None, sa_type=Text)
