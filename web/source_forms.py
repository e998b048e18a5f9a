"""Reading the forms of the sources screen (来源): a directive, a 跟批, the rows of a split.

Only the shape of the input is checked here (a date that is a date, a row that is not empty);
every rule on the values is the engine's, whose message is then put beside the field it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from starlette.datastructures import FormData

from engine.inputs import whole_number
from web.templating import ZONE

_LIST = re.compile(r"[、,，;；\s]+")

FIELD_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kind", ("来源类型",)),
    ("parent_id", ("上级批示", "跟批时间")),
    ("issued_at", ("下达时间",)),
    ("doc_number", ("文号",)),
    ("title", ("标题",)),
    ("text", ("原文", "批示内容")),
    ("issued_by", ("签发人", "人员", "领导只能以本人名义")),
    ("co_units", ("配合单位",)),
    ("lead_unit", ("牵头单位", "单位")),
    ("due", ("时限",)),
    ("leader", ("领导", "人员")),
    ("priority", ("紧急程度",)),
)
"""Which field an engine message is about, by the words it uses (first match wins)."""


def field_of(message: str, fields: tuple[str, ...], default: str = "form") -> str:
    """The field of ``fields`` the engine's ``message`` names, else ``default``."""
    for name, words in FIELD_WORDS:
        if name in fields and any(w in message for w in words):
            return name
    return default


def names(value: str) -> list[str]:
    """Units written as a list: "住建局、应急局" or "住建局, 应急局"."""
    return [part for part in _LIST.split(value.strip()) if part]


def local_moment(value: str) -> datetime | None:
    """A ``datetime-local`` (or date) field read in the console's zone; ``None`` if malformed."""
    text = value.strip().replace(" ", "T")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=ZONE) if moment.tzinfo is None else moment


def local_input(moment: datetime) -> str:
    """``moment`` as a ``datetime-local`` value."""
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


ROW_FIELDS = ("title", "lead_unit", "co_units", "due", "leader", "priority", "requirement")


@dataclass
class SplitRow:
    """One row of the split form as typed, with the message beside each field it concerns."""

    title: str = ""
    lead_unit: str = ""
    co_units: str = ""
    due: str = ""
    leader: str = ""
    priority: str = "normal"
    requirement: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not any((self.title, self.lead_unit, self.co_units, self.due, self.leader,
                        self.requirement))


MAX_FORM_ROWS = 50
"""Rows the split form reads (the engine refuses more than its own limit anyway)."""


def split_rows(form: FormData) -> list[SplitRow]:
    """The rows of the split form (fields ``title-N`` …), in order, blank rows included."""
    count = 0
    for key in form:
        prefix, _, number = key.rpartition("-")
        row = whole_number(number)
        if prefix in ROW_FIELDS and row is not None:
            count = max(count, row + 1)
    rows = []
    for k in range(min(count, MAX_FORM_ROWS)):
        def value(name: str, k: int = k) -> str:
            return str(form.get(f"{name}-{k}") or "").strip()[:2000]

        rows.append(SplitRow(title=value("title"), lead_unit=value("lead_unit"),
                             co_units=value("co_units"), due=value("due"),
                             leader=value("leader"), priority=value("priority") or "normal",
                             requirement=value("requirement")))
    return rows
