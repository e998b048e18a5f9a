"""Directive records: :class:`DraftDirective`, the :class:`Event` of finding one in a block, and
the registry that numbers them D1, D2 … in document order (the base of the directive readers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from engine.intake.dates import DateReader
from engine.intake.directory import DirectoryPerson
from engine.intake.people import PersonMatcher
from engine.intake.segment import Span

_LEADING_DATE = re.compile(r"^(?:(?:\d{4}年)?\d{1,2}月\d{1,2}[日号][，,]?|\d{1,2}[日号][，,]|上月[，,]|"
                           r"\d{1,2}月份[，,])")


@dataclass
class DraftDirective:
    """A directive found in the text; ``key`` is local to one analysis ("D1", "D2" …)."""

    key: str
    kind: str
    title: str
    text: str
    issued_by: str | None
    issued_by_mention: str | None
    issued_at: date | None
    parent_key: str | None
    read_only: bool
    source_span: tuple[int, int]


@dataclass
class Event:
    """A directive found in one block; tasks come from ``region`` (None: no tasks)."""

    directive: DraftDirective
    pos: int
    region: Span | None


def clip(text: str, limit: int = 40) -> str:
    """Text for a directive title: trimmed, without a leading date, at most ``limit`` long."""
    text = _LEADING_DATE.sub("", text.strip(" ，,：:。\n\t　"))
    return text if len(text) <= limit else text[:limit]


class DirectiveRegistry:
    """Creates :class:`DraftDirective` records in document order, keys D1, D2 …"""

    def __init__(self, text: str, people: PersonMatcher, dates: DateReader) -> None:
        self.text = text
        self.people = people
        self.dates = dates
        self.directives: list[DraftDirective] = []

    def new(self, kind: str, title: str, span: Span, *, body: str = "",
            leader: tuple[DirectoryPerson | None, str | None] = (None, None),
            issued_at: date | None = None, parent: str | None = None,
            read_only: bool = False) -> DraftDirective:
        """Register a directive and return it."""
        person, mention = leader
        directive = DraftDirective(
            f"D{len(self.directives) + 1}", kind, title, body, person.name if person else None,
            mention, issued_at, parent, read_only, span)
        self.directives.append(directive)
        return directive
