"""What document intake and the Excel import have applied: one row per applied source."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field

from models.base import Model
from models.types import UTCDateTime


class IntakeRecord(Model, table=True):
    """A document (``kind`` "document") or task list (``kind`` "xlsx") applied once, known by
    the fingerprint of its normalised content, with what applying it created."""

    __tablename__ = "intake_record"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(16))
    fingerprint: str = Field(sa_type=String(64), index=True)
    source: str = Field(default="", sa_type=String(256))
    applied_at: datetime = Field(sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    actor_name: str = Field(default="", sa_type=String(64))
    directive_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    task_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

    def summary(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source, "applied_at": self.applied_at,
                "directives": self.directive_ids, "tasks": self.task_codes}
