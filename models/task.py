"""Tasks (督办事项) with their units, milestones, reports, extension requests and re-checks."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Float, Index, String, Text, UniqueConstraint, false, text
from sqlmodel import Field

from models.base import Model
from models.types import UTCDateTime


class TaskBase(Model):
    title: str = Field(sa_type=String(256))
    requirement: str = Field(default="", sa_type=Text)
    priority: str = Field(default="normal", sa_type=String(8))
    due_text: str = Field(default="", sa_type=String(64))
    target: float | None = Field(default=None, sa_type=Float)
    measure: str | None = Field(default=None, sa_type=String(16))
    # Days between required progress reports (None: policy default).
    cadence_days: int | None = None
    # Recurrence as written ("每月5日前报送"); each occurrence is its own task record.
    recurrence_text: str | None = Field(default=None, sa_type=String(64))


class MilestoneCreate(BaseModel):
    title: str
    due: str


class TaskCreate(TaskBase):
    """What the office gives to create a task; references by code / name / alias.

    ``due_counts_from``: a relative deadline ("3个工作日内") typed by the office counts from the
    moment it is entered (``"entered"``); one taken from a document (intake, a task list) counts
    from the directive's date (``"directive"``).
    """

    directive_id: int
    due_counts_from: Literal["entered", "directive"] = "entered"
    parent_id: int | None = None
    lead_unit: str | None = None
    co_units: list[str] = []
    due: str | None = None
    owner: str | None = None
    leader: str | None = None
    milestones: list[MilestoneCreate] = []


class Task(TaskBase, table=True):
    __table_args__ = (
        # With the id: lists by deadline within one status are an index range in their full order
        # on PostgreSQL too (SQLite's indexes end with the rowid anyway).
        Index("ix_task_status_due", "status", "due_at", "id"),
        # The ledger's default order (deadline, then id): a page is an index range at any size.
        Index("ix_task_due_id", "due_at", "id"),
        Index("ix_task_lead_status", "lead_unit_id", "status"),
        Index("ix_task_next_check", "next_check_at"),
        # The pass's candidates: status IN (…) AND next_check_at <= now. Leading with status, so
        # that SQLite prefers it over ix_task_status_due even without ANALYZE statistics.
        Index("ix_task_status_next_check", "status", "next_check_at"),
        # The 15:00 summary's "new" and "closed since the last summary" lists.
        Index("ix_task_created", "created_at"),
        Index("ix_task_status_closed", "status", "closed_at"),
        # The lights' index range within the current month (engine.read.tally): covering, so
        # the per-unit split of the month's deadlines never visits the rows.
        Index("ix_task_lit_window", "status", "due_at", "lead_unit_id", "escalation_level"),
        # The summary's stale progress: COALESCE(last_progress_at, assigned_at) < limit as two
        # ranges (with a report before the limit; without one, assigned before), each listed in
        # index order (the id last, for PostgreSQL).
        Index("ix_task_status_progress", "status", "last_progress_at", "assigned_at", "id"),
        # The pass's search for recurring tasks whose next occurrence is due (and the earliest
        # such deadline): a partial index of the few recurring rows, by deadline.
        Index("ix_task_recurring", "successor_created", "due_at", "id",
              sqlite_where=text("recurrence_text IS NOT NULL"),
              postgresql_where=text("recurrence_text IS NOT NULL")),
        UniqueConstraint("series_id", "occurrence"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(32), unique=True, index=True)
    directive_id: int = Field(foreign_key="directive.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    series_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    occurrence: int = 1
    # A draft from document intake may lack a lead unit or a deadline until the office fills them
    # in; assignment requires both (engine.tasks.creation.assign_task).
    lead_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    leader_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    status: str = Field(default="draft", sa_type=String(16))
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    original_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    original_due_text: str = Field(default="", sa_type=String(64))
    # What the current deadline counts from ("3个工作日内" after which moment): the directive's
    # date, the moment the office entered it, an extension request, a 回头看, the previous period.
    due_base: str | None = Field(default=None, sa_type=String(16))
    due_base_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Bumped on every approved extension: keys the escalation ladder to one deadline.
    deadline_version: int = 1
    extension_count: int = 0
    achieved: float | None = Field(default=None, sa_type=Float)
    escalation_level: int = 0
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_progress_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rating: str | None = Field(default=None, sa_type=String(16))
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # Earliest moment the escalation pass may have something to do for this task (derived: set
    # to "now" by every lifecycle change, to the precise next step by the pass, None when done).
    next_check_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # For recurring tasks: the next occurrence has been created.
    successor_created: bool = False


class TaskUnit(Model, table=True):
    """A unit's part in a task (牵头 or 配合) with its own acknowledgement and last feedback."""

    __tablename__ = "task_unit"
    __table_args__ = (UniqueConstraint("task_id", "unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: str = Field(default="lead", sa_type=String(8))
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by_id: int | None = Field(default=None, foreign_key="person.id")
    # The office signed for the unit (代签收), e.g. for a unit without the bot.
    acknowledged_on_behalf: bool = Field(default=False,
                                         sa_column_kwargs={"server_default": false()})
    last_feedback_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_feedback_text: str | None = Field(default=None, sa_type=Text)
    last_feedback_by_id: int | None = Field(default=None, foreign_key="person.id")
    last_feedback_on_behalf: bool = Field(default=False,
                                          sa_column_kwargs={"server_default": false()})


class Milestone(Model, table=True):
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    seq: int = 1
    title: str = Field(sa_type=String(256))
    due_text: str = Field(default="", sa_type=String(64))
    due_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProgressReport(Model, table=True):
    """A unit's progress feedback (反馈进展) or completion request (申请办结) with evidence."""

    __tablename__ = "progress_report"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    person_id: int | None = Field(default=None, foreign_key="person.id")
    kind: str = Field(default="progress", sa_type=String(16))
    text: str = Field(sa_type=Text)
    achieved: float | None = Field(default=None, sa_type=Float)
    milestone_id: int | None = Field(default=None, foreign_key="milestone.id")
    at: datetime = Field(sa_type=UTCDateTime)
    # Recorded by the office for the unit (代反馈 / 代申请办结); ``person_id`` is the office's.
    on_behalf: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class ExtensionRequest(Model, table=True):
    """申请延期: approved or rejected by the office; the task keeps its original deadline."""

    __tablename__ = "extension_request"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    requested_by_id: int | None = Field(default=None, foreign_key="person.id")
    requested_due_text: str = Field(sa_type=String(64))
    requested_due_at: datetime = Field(sa_type=UTCDateTime)
    previous_due_at: datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(sa_type=Text)
    status: str = Field(default="pending", sa_type=String(16), index=True)
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Recheck(Model, table=True):
    """回头看: a scheduled re-check of a closed task, which may reopen it."""

    __table_args__ = (
        # The pass's search for re-checks that fell due and were not announced yet.
        Index("ix_recheck_open_due", "due_at",
              sqlite_where=text("done_at IS NULL AND notified_at IS NULL"),
              postgresql_where=text("done_at IS NULL AND notified_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: str | None = Field(default=None, sa_type=String(16))
    note: str | None = Field(default=None, sa_type=Text)
    by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
