"""Bookkeeping tables: stored policy, code counters, job fire guards, summary runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field

from models.base import Model
from models.types import UTCDateTime


class Setting(Model, table=True):
    """Key/value settings loaded from the org/policy file, shared by every process."""

    key: str = Field(sa_type=String(64), primary_key=True)
    value: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Counter(Model, table=True):
    """Named sequence (e.g. task codes per year)."""

    name: str = Field(sa_type=String(64), primary_key=True)
    value: int = 0


class JobFire(Model, table=True):
    """One row per (job, scheduled moment): a second scheduler's fire of the same moment is a no-op."""

    __tablename__ = "job_fire"
    key: str = Field(sa_type=String(128), primary_key=True)
    fired_at: datetime = Field(sa_type=UTCDateTime)
    holder: str = Field(default="", sa_type=String(64))


class SummaryRun(Model, table=True):
    """A built 15:00 summary: the previous one bounds "new and closed since the last summary"."""

    __tablename__ = "summary_run"
    id: int | None = Field(default=None, primary_key=True)
    local_date: str = Field(sa_type=String(10), unique=True)
    built_at: datetime = Field(sa_type=UTCDateTime)
    path: str | None = Field(default=None, sa_type=String(512))


class Lease(Model, table=True):
    """An exclusive, expiring claim (e.g. the one ``duban serve`` that owns the job store)."""

    name: str = Field(sa_type=String(64), primary_key=True)
    holder: str = Field(sa_type=String(128))
    heartbeat_at: datetime = Field(sa_type=UTCDateTime)
