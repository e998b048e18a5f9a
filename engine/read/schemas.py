"""The public read schemas: what every read service returns and every front end renders.

Plain dataclasses (slots, no validation: the engine builds them from checked rows), so that a
page of a thousand rows costs what building the tuples costs. Times are aware and already in the
policy's zone; coded values are the enums of :mod:`engine.values`.

``to_json()`` gives the machine form every ``--json`` prints (and a web API may return): times as
ISO 8601 with the local offset, and for each labelled value ``x`` its label beside it as
``x_label`` (``status`` → ``status_label``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from engine.values import (
    DirectiveKind,
    DueBase,
    EscalationLevel,
    ExtensionState,
    Light,
    Priority,
    Rating,
    RecheckResult,
    ReportKind,
    TaskStatus,
    UnitRole,
)

_FIELDS: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    return names


def jsonable(value: Any) -> Any:
    """A schema value in its JSON form (see the module docstring)."""
    if isinstance(value, Schema):
        return value.to_json()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


class Schema:
    """Base of the read schemas: the JSON form, labels beside coded values."""

    __slots__ = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in _names(type(self)):
            value = getattr(self, name)
            out[name] = jsonable(value)
            label = getattr(value, "label", None)
            if isinstance(value, Enum) and label is not None:
                out[f"{name}_label"] = label
            elif value is None and name in _LABELLED_OPTIONAL:
                out[f"{name}_label"] = None
        return out


_LABELLED_OPTIONAL = frozenset({"light", "rating", "result", "due_base"})
"""Labelled values that may be absent; their ``_label`` is then ``null`` (a stable key set)."""


@dataclass(slots=True)
class TaskRow(Schema):
    """One task as lists, the ledger page, the summary and the bot show it."""

    id: int
    code: str
    title: str
    status: TaskStatus
    priority: Priority
    light: Light | None
    overdue: bool
    days_overdue: int
    due_at: datetime | None
    due_text: str
    original_due_at: datetime | None
    original_due_text: str
    extension_count: int
    lead_unit: str
    co_units: list[str]
    owner: str | None
    leader: str | None
    escalation_level: EscalationLevel
    target: float | None
    achieved: float | None
    measure: str | None
    directive_id: int
    parent_id: int | None
    recurrence: str | None
    rating: Rating | None
    last_progress_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        # Written out (not the generic loop): a unit's list at a million tasks prints thousands.
        light, rating = self.light, self.rating
        return {
            "id": self.id, "code": self.code, "title": self.title,
            "status": self.status.value, "status_label": self.status.label,
            "priority": self.priority.value, "priority_label": self.priority.label,
            "light": light.value if light else None, "light_label": light.label if light else None,
            "overdue": self.overdue, "days_overdue": self.days_overdue,
            "due_at": _iso(self.due_at), "due_text": self.due_text,
            "original_due_at": _iso(self.original_due_at),
            "original_due_text": self.original_due_text,
            "extension_count": self.extension_count, "lead_unit": self.lead_unit,
            "co_units": self.co_units, "owner": self.owner, "leader": self.leader,
            "escalation_level": int(self.escalation_level),
            "escalation_level_label": self.escalation_level.label,
            "target": self.target, "achieved": self.achieved, "measure": self.measure,
            "directive_id": self.directive_id, "parent_id": self.parent_id,
            "recurrence": self.recurrence, "rating": rating.value if rating else None,
            "rating_label": rating.label if rating else None,
            "last_progress_at": _iso(self.last_progress_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(slots=True)
class UnitPart(Schema):
    """A unit's part in a task: its acknowledgement and latest feedback (代为 when the office
    recorded it on the unit's behalf)."""

    unit: str
    unit_code: str
    role: UnitRole
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_on_behalf: bool
    last_feedback_at: datetime | None
    last_feedback: str | None
    last_feedback_on_behalf: bool


@dataclass(slots=True)
class MilestoneView(Schema):
    seq: int
    title: str
    due_text: str
    due_at: datetime
    done_at: datetime | None


@dataclass(slots=True)
class ReportView(Schema):
    kind: ReportKind
    at: datetime
    unit: str | None
    by: str | None
    on_behalf: bool
    text: str
    achieved: float | None
    id: int | None = None
    """The report's id (its files carry it as ``report_id``)."""


@dataclass(slots=True)
class FileView(Schema):
    """An evidence file as attached: its address (SHA-256), size, type, name and purpose."""

    id: int
    sha256: str
    name: str
    size: int
    mime: str
    kind: str
    kind_label: str
    purpose: str
    purpose_label: str
    report_id: int | None
    extension_id: int | None
    by: str | None
    at: datetime


@dataclass(slots=True)
class ExtensionView(Schema):
    id: int
    status: ExtensionState
    requested_due_text: str
    requested_due_at: datetime
    previous_due_at: datetime
    reason: str
    requested_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None


@dataclass(slots=True)
class RecheckView(Schema):
    due_at: datetime
    done_at: datetime | None
    result: RecheckResult | None
    note: str | None


@dataclass(slots=True)
class ReturnView(Schema):
    """A completion request the office sent back (退回), with its reason."""

    at: datetime
    by: str
    reason: str


@dataclass(slots=True)
class TaskDetail(Schema):
    """One task in full: its row and everything the office needs to judge it."""

    task: TaskRow
    requirement: str
    directive_title: str
    directive_kind: DirectiveKind
    units: list[UnitPart]
    milestones: list[MilestoneView]
    reports: list[ReportView]
    extensions: list[ExtensionView]
    rechecks: list[RecheckView]
    due_base: DueBase | None = None
    """What the deadline counts from (a relative one such as "3个工作日内")."""
    due_base_at: datetime | None = None
    returns: list[ReturnView] = field(default_factory=list)
    files: list[FileView] = field(default_factory=list)
    """The task's evidence files, oldest first."""
    parent_code: str | None = None
    """The code of the task this one was split from (上级事项), when the reader may see it."""

    def to_json(self) -> dict[str, Any]:
        """The row's fields at the top level (as lists print them), then the rest."""
        out = self.task.to_json()
        for name in _names(type(self)):
            if name != "task":
                out[name] = jsonable(getattr(self, name))
        out["directive_kind_label"] = self.directive_kind.label
        return out


@dataclass(slots=True)
class DirectiveNode(Schema):
    """A directive in its 批示 → 跟批 tree, with the tasks derived from it that the reader may
    see."""

    id: int
    kind: DirectiveKind
    title: str
    text: str
    issued_by: str | None
    issued_at: datetime
    doc_number: str | None
    read_only: bool
    parent_id: int | None
    focus: bool
    """The directive that was asked for (a tree is always shown from its root)."""
    tasks: list[TaskRow] = field(default_factory=list)
    children: list[DirectiveNode] = field(default_factory=list)


@dataclass(slots=True)
class BoardRow(Schema):
    """A lead unit's lights on the board."""

    unit: str
    red: int
    yellow: int
    green: int
    open: int
    closed: int
    escalated: int


@dataclass(slots=True)
class UnitLights(Schema):
    unit: str
    red: int
    yellow: int
    green: int
    open: int


@dataclass(slots=True)
class SummarySection(Schema):
    title: str
    total: int
    """Every matching task; ``rows`` holds at most the summary's list limit of them."""
    rows: list[TaskRow]


@dataclass(slots=True)
class SummaryView(Schema):
    """The 15:00 summary for one scope (the whole, or a leader's)."""

    scope: str
    built_at: datetime
    since: datetime
    lights: dict[str, int]
    by_unit: list[UnitLights]
    sections: list[SummarySection] = field(default_factory=list)
    first: bool = False
    """No summary was built before: ``since`` is then a day before ``built_at``."""
    anchor: str = ""
    """The audit chain's anchor when built ("审计锚点：ID:HASH"), published with every summary."""

    def visible_sections(self) -> list[SummarySection]:
        """The sections with something in them (empty ones are left out everywhere)."""
        return [s for s in self.sections if s.total]

    def to_json(self) -> dict[str, Any]:
        out = {name: jsonable(getattr(self, name)) for name in _names(type(self))}
        out["sections"] = [s.to_json() for s in self.visible_sections()]
        return out


RowT = TypeVar("RowT", bound=Schema)


@dataclass(slots=True)
class Page(Schema, Generic[RowT]):
    """One page of a list: its rows and the cursor of the next page (``None`` on the last)."""

    items: list[RowT]
    next_cursor: str | None


@dataclass(slots=True)
class DirectiveSummary(Schema):
    """A root directive (批示, 会议 …) in the list of sources, with what lies below it that the
    reader may see: the 跟批 in its tree and the tasks of the whole tree."""

    id: int
    kind: DirectiveKind
    title: str
    issued_by: str | None
    issued_at: datetime
    doc_number: str | None
    read_only: bool
    undated: bool
    followups: int
    tasks: int
    open_tasks: int
