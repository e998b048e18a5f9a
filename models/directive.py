"""Directives (来源): instructions, follow-up instructions, meetings, inspections … as a tree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlmodel import Field

from models.base import Model
from models.types import UTCDateTime


class DirectiveBase(Model):
    kind: str = Field(sa_type=String(16), index=True)
    title: str = Field(sa_type=String(256))
    text: str = Field(default="", sa_type=Text)
    doc_number: str | None = Field(default=None, sa_type=String(64))
    # Read-only instructions (阅/圈阅) create no task and need no reply.
    read_only: bool = False
    # The source gave no date (document intake): issued_at is when it was registered, and
    # nothing the office reads may present that as the date of the instruction.
    undated: bool = False


class DirectiveCreate(DirectiveBase):
    issued_by_id: int | None = None
    issued_at: datetime
    parent_id: int | None = None


class Directive(DirectiveBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    issued_by_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    parent_id: int | None = Field(default=None, foreign_key="directive.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)

