"""The 台账's query string: what the filter form sends, read into the engine's list filters.

Guarantees of :func:`parse_query`: every value is checked before the engine is asked —
an unknown light, status, source kind, extension state, view or sort, an impossible or
out-of-range date, a page size that is not a small whole number — and refused with
:class:`InvalidInput` in Chinese (the console shows a 400 page); empty fields do not filter;
parameters the form does not send are ignored. Typed words (unit, leader, text) are checked by
the engine itself. The same query string serves the page, its next page (``cursor``) and the
export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from enum import Enum
from typing import TypeVar
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from engine.errors import InvalidInput
from engine.read.filters import Sort, TaskFilters
from engine.read.views import SavedView
from engine.values import DirectiveKind, ExtensionState, Light, TaskStatus

PAGE_SIZES = (20, 50, 100, 200)
"""Rows per page the form offers; any whole number from 1 to the largest is accepted."""
DEFAULT_SIZE = 50
SORT_LABELS: dict[Sort, str] = {
    Sort.DUE: "时限由近到远", Sort.DUE_DESC: "时限由远到近", Sort.NEWEST: "最新登记",
    Sort.OLDEST: "最早登记",
}
FIELDS = ("view", "unit", "light", "status", "leader", "kind", "extension", "due_from", "due_to",
          "q", "sort", "size")
"""The form's fields, in the order links carry them (``cursor`` comes last, on page links)."""
MAX_VALUE = 200
"""Longest value of any field, in characters (the engine checks words more strictly)."""
YEARS = (2000, 2100)
"""Dates outside these years are refused (a typing slip, and no deadline lies there)."""

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True)
class LedgerQuery:
    """One reading of the query string: the form's values as sent (to show them again), the
    saved view, the filters before the view is applied, and the page asked for."""

    values: dict[str, str] = field(default_factory=dict)
    statuses: tuple[str, ...] = ()
    view: SavedView | None = None
    filters: TaskFilters = field(default_factory=TaskFilters)
    size: int = DEFAULT_SIZE
    cursor: str | None = None

    def query_string(self, *, cursor: str | None = None, **changes: str | None) -> str:
        """This query as a URL query string, with ``changes`` (``None`` drops a field) and,
        for a next-page link, the ``cursor``."""
        values = {**self.values, **changes}
        pairs: list[tuple[str, str]] = []
        for name in FIELDS:
            if name == "status":
                pairs += [("status", s) for s in self.statuses]
            elif values.get(name):
                pairs.append((name, values[name] or ""))
        if cursor:
            pairs.append(("cursor", cursor))
        return urlencode(pairs)

    def url(self, path: str = "/tasks", **changes: str | None) -> str:
        text = self.query_string(**changes)
        return f"{path}?{text}" if text else path


def _text(params: QueryParams, name: str) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > MAX_VALUE:
        raise InvalidInput(f"查询条件过长（{name}），请缩短后重试")
    return value


def _coded(enum: type[E], value: str, what: str) -> E | None:
    if not value:
        return None
    found = enum.parse(value)  # type: ignore[attr-defined]
    if found is None:
        raise InvalidInput(f"{what}“{value}”无效，应为：{enum.choices()}")  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


def _day(value: str, what: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what}“{value}”不是有效日期，应写作 2024-03-31") from None
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise InvalidInput(f"{what}应在 {YEARS[0]} 年至 {YEARS[1]} 年之间")
    return day


def _size(value: str) -> int:
    if not value:
        return DEFAULT_SIZE
    if not (value.isascii() and value.isdigit() and len(value) <= 4
            and 1 <= int(value) <= PAGE_SIZES[-1]):
        raise InvalidInput(f"每页条数应为 1 到 {PAGE_SIZES[-1]} 之间的整数")
    return int(value)


def parse_query(params: QueryParams, zone: tzinfo) -> LedgerQuery:
    """Read the 台账 form from ``params``; dates are local days in ``zone``."""
    values = {name: _text(params, name) for name in FIELDS if name != "status"}
    statuses = tuple(s.strip() for s in params.getlist("status") if s.strip())[:len(TaskStatus)]
    sort = values["sort"] or Sort.DUE.value
    if sort not in {s.value for s in Sort}:
        raise InvalidInput(f"排序方式“{sort}”无效")
    start, end = _day(values["due_from"], "时限起"), _day(values["due_to"], "时限止")
    if start and end and start > end:
        raise InvalidInput("时限起不能晚于时限止")
    extension = _coded(ExtensionState, values["extension"], "延期申请")
    if extension not in (None, ExtensionState.PENDING):
        raise InvalidInput("延期申请只能按“待审批”筛选")
    filters = TaskFilters(
        unit=values["unit"] or None, light=_coded(Light, values["light"], "红黄绿灯"),
        statuses=tuple(s for s in (_coded(TaskStatus, v, "办理状态") for v in statuses) if s),
        leader=values["leader"] or None,
        source_kind=_coded(DirectiveKind, values["kind"], "来源类型"),
        due_from=datetime.combine(start, time.min, tzinfo=zone) if start else None,
        due_to=datetime.combine(end, time.max, tzinfo=zone) if end else None,
        text=values["q"] or None, awaiting_extension=extension is ExtensionState.PENDING,
        sort=Sort(sort))
    cursor = _text(params, "cursor") or None
    return LedgerQuery(values=values, statuses=statuses,
                       view=_coded(SavedView, values["view"], "视图"), filters=filters,
                       size=_size(values["size"]), cursor=cursor)
