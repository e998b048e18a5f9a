"""The schemas of the home page (首页 / 驾驶舱): what :func:`engine.read.overview.home_overview`
returns and every front end renders. Same conventions as :mod:`engine.read.schemas` (slots
dataclasses, times local, ``to_json()`` with labels beside coded values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.read.schemas import BoardRow, Schema, TaskRow, UnitLights
from engine.values import EscalationLevel


@dataclass(slots=True)
class OverdueRow(Schema):
    """An overdue task with its working days overdue (the ladder counts those)."""

    task: TaskRow
    workdays_overdue: int


@dataclass(slots=True)
class WorkList(Schema):
    """Tasks waiting for the reader: ``key`` says which kind (``acknowledge`` 待签收, ``review``
    办结审核, ``extension`` 延期审批, ``red`` 红灯事项)."""

    key: str
    title: str
    total: int
    """Every waiting task; ``rows`` holds at most the page's list limit of them."""
    rows: list[TaskRow]


@dataclass(slots=True)
class EscalationToday(Schema):
    """A 催办 / 督办 / 通报 issued today (local day of the policy zone)."""

    task: TaskRow
    level: EscalationLevel
    at: datetime


@dataclass(slots=True)
class TrendPoint(Schema):
    """One local day: tasks open and overdue at its end (at ``now`` for today), closed during it."""

    day: str
    open: int
    closed: int
    overdue: int


@dataclass(slots=True)
class HomeOverview(Schema):
    """The home page for one reader: everything narrowed to the tasks they may see."""

    scope: str
    built_at: datetime
    lights: dict[str, int]
    """Open (assigned, not ended) tasks by light: ``red``, ``yellow``, ``green``."""
    board: list[BoardRow]
    """Per lead unit, red-heavy first."""
    overdue_total: int
    overdue: list[OverdueRow]
    """The longest overdue first (at most the list limit)."""
    due_soon_total: int
    due_soon: list[TaskRow]
    """Due within 3 working days and not yet overdue, earliest first."""
    waiting: list[WorkList]
    escalations_total: int
    escalations: list[EscalationToday]
    chart: list[UnitLights]
    """The units with the most red and yellow items, for the chart of lights by unit."""
    trend: list[TrendPoint]
    """The last 30 local days, oldest first, today last."""
