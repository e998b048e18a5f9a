"""Directives in a document: leader instructions, follow-ups, read-only marks, meetings,
inspections, hotline reports and superior documents; and the leaders who issue them.

Guarantees: a leader is named (``issued_by``) only when the directory resolves the mention; an
unresolved mention is kept as written in ``issued_by_mention``. A directive's date is only
produced from text in the document (see :class:`engine.intake.dates.DateReader`).

Leaders are matched by :mod:`.people`; instructions are read by :mod:`.instructions`, meetings,
inspections, documents and hotline reports by :mod:`.announcements`, and numbered by
:mod:`.registry`. :class:`DirectiveFinder` joins them block by block.
"""

from __future__ import annotations

import re

from engine.intake.announcements import HOTLINE, AnnouncementReader
from engine.intake.dates import DATE_NUM, DateReader
from engine.intake.directory import DirectoryPerson
from engine.intake.instructions import INSTRUCTION, InstructionReader
from engine.intake.people import PersonMatcher, PersonMention, leader_before, leader_by_verbs
from engine.intake.registry import DraftDirective, Event
from engine.intake.segment import Block, bracket_spans, outside, sentence_at, sentences

__all__ = ["DateReader", "DirectiveFinder", "DraftDirective", "Event", "PersonMatcher",
           "PersonMention", "leader_before", "sentence_at", "title_kind"]

_OPENING_DATE = re.compile(rf"(?:\d{{4}}年)?{DATE_NUM}月{DATE_NUM}[日号](?![前至起])")
_TITLE_KINDS = [("hotline", re.compile(r"12345|热线|转办单|工单")),
                ("plan", re.compile(r"分工|任务清单|责任清单|任务分解|台账")),
                ("inspection", re.compile(r"督查|督察|检查|暗访|巡查")),
                ("meeting", re.compile(r"纪要|会议|推进会|调度会")),
                ("instruction", re.compile(r"批示")),
                ("document", re.compile(r"督办|交办|通知|方案|意见|函|清单"))]


def title_kind(title: str) -> str | None:
    """Directive kind a document title announces; None for a bulletin (…情况通报)."""
    if title.endswith("通报") and not re.search("督查|督察|检查|暗访", title):
        return None
    title = title.replace("督查室", "")  # the office's own name says nothing of the kind
    return next((kind for kind, pattern in _TITLE_KINDS if pattern.search(title)), None)


class DirectiveFinder(InstructionReader, AnnouncementReader):
    """Finds the directives of a document block by block, in document order (keys D1, D2 …)."""

    def doc_level(self, title_block: Block, first_blocks: list[Block]) -> DraftDirective | None:
        """The directive the whole document is (minutes, notice, 转办单 …), if its title says."""
        title = self.text[title_block.start:title_block.end]
        kind = title_kind(title)
        if kind is None:
            return None
        leader: tuple[DirectoryPerson | None, str | None] = (None, None)
        for block in first_blocks if kind in ("meeting", "inspection") else []:
            leader = leader_by_verbs(self.people, self.text, block)
            if leader[0]:
                break
        span = (title_block.start, title_block.end)
        opening = [_OPENING_DATE.match(self.text, b.start, b.end) for b in first_blocks[:3]]
        day = next((self.dates.first(m.start(), m.end()) for m in opening if m), None)
        return self.new(kind, title, span, leader=leader, issued_at=day or self.dates.anchor)

    def events(self, block: Block, doc_kind: str | None) -> list[Event]:
        """Directives announced in ``block``, in text order, each with its task region."""
        quotes = bracket_spans(self.text, block.start, block.end, "“", "”")
        found: list[Event] = []
        hot = next((m for m in HOTLINE.finditer(self.text, block.start, block.end)
                    if outside(m.start(), quotes) and self._complaint(block, m.start())),
                   None) if doc_kind != "hotline" else None
        if hot:
            found.append(self._hotline(block, hot.start(), quotes))
        for m in INSTRUCTION.finditer(self.text, block.start, block.end):
            event = self._instruction(block, m, quotes, found[-1] if found else None)
            if event:
                found.append(event)
        sheet = self._sheet_entry(block) if not found else None
        found += [sheet] if sheet else []
        first = sentences(self.text, block.start, block.end)[0]
        if not any(e.pos < first[1] for e in found):
            structural = self._structural(block, first, quotes, doc_kind)
            if structural:
                found.insert(0, structural)
        if len(found) == 1 and found[0].directive.kind == "hotline":
            after = found[0].directive.source_span[1]  # what a leader asked on the report
            found[0].region = (after, block.end) if after < block.end else None
        return found
