"""The context of task extraction: one directive's text and everything it is read against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from engine.calendar.workdays import WorkCalendar
from engine.intake.dates import DateReader
from engine.intake.people import PersonMatcher
from engine.intake.registry import DraftDirective
from engine.intake.roles import Roles
from engine.intake.unit_names import UnitMatcher, UnitMention

if TYPE_CHECKING:
    from engine.intake.clauses import Clause


@dataclass
class TaskContext:
    """Everything task extraction needs for one directive's text."""

    text: str
    directive: DraftDirective
    units: UnitMatcher
    people: PersonMatcher
    dates: DateReader
    issued_at: datetime | None
    tz: ZoneInfo
    calendar: WorkCalendar
    addressees: tuple[UnitMention, ...]
    limit: int
    warnings: list[str]
    inherited: Roles | None = None
    in_item: bool = False
    doc_due: tuple[Clause, ...] = ()
    """The document's own time limit, for the rows and records that state none."""
