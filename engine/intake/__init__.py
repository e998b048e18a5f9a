"""Document intake: bulletins, minutes, notices and instructions → draft directives and tasks.

Pure text analysis. :func:`analyse_document` reads nothing but its arguments (the text and a
directory snapshot) and returns dataclasses: no database, no clock, no network. :mod:`.apply`
stores the drafts (and :mod:`.records` remembers what was applied); the office confirms them.

Pipeline: :mod:`.normalise` gives web copies their Chinese punctuation; :mod:`.segment` reads
lines, sentences, clauses, enumerations, table rows and record fields (:mod:`.tables` tables
flattened one cell per line), :mod:`.dates` the dates and the document's own date;
:mod:`.addressees` the units it is addressed to; :mod:`.directives` finds the leaders
(:mod:`.people`) and the directives (批示, 跟批, 圈阅 in :mod:`.instructions`; meetings,
inspections, 12345 reports, superior documents in :mod:`.announcements`); :mod:`.clauses` classes
the clauses of each directive's requirement text and :mod:`.grouping` groups them into tasks,
:mod:`.exhortation` setting aside calls for effort; :mod:`.tasks` gives each task its units
(:mod:`.unit_names` against the directory with :mod:`.unit_forms`, :mod:`.org_names` for units
it does not know, :mod:`.roles`), deadlines (:mod:`.deadline_text`, :mod:`.timing`, resolved by
:mod:`engine.calendar.deadlines`) and quantity targets (:mod:`.quantities`); :mod:`.forms` reads
table rows and records. :mod:`.walker` walks the blocks and keeps the reading state (current
directive, list introduction, table, record, section); this module reads the document as a
whole (title, date, addressee, cut-off end, size) and returns the result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from zoneinfo import ZoneInfo

from engine.calendar.workdays import WorkCalendar
from engine.errors import InvalidInput
from engine.intake.addressees import find_addressees, given_addressee
from engine.intake.context import TaskContext
from engine.intake.dates import DateReader, find_doc_date, opening_date
from engine.intake.directives import DirectiveFinder, DraftDirective, PersonMatcher
from engine.intake.directory import Directory, DirectoryPerson, DirectoryUnit
from engine.intake.fingerprint import fingerprint
from engine.intake.normalise import normalise
from engine.intake.segment import Block, blocks, is_complete, record_label, sentences
from engine.intake.tasks import DraftTask
from engine.intake.unit_names import UnitMatcher
from engine.intake.walker import ISSUE_TIME as ISSUE_TIME
from engine.intake.walker import Run, placeholder, walk

__all__ = ["Directory", "DirectoryPerson", "DirectoryUnit", "DraftDirective", "DraftTask",
           "IntakeResult", "analyse_document"]

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
"""Zone of the dates written in documents unless the caller says otherwise."""

_SIGNATURE = re.compile(r"(?:[\u4e00-\u9fa5（）()0-9]{2,30}(?:局|委|办|室|中心|政府|公司|集团|支队|会))?"
                        r"\s*(?:\d{4}年\d{1,2}月\d{1,2}日)?")


@dataclass
class IntakeResult:
    """What one document yields; warnings are Chinese sentences for the office."""

    doc_date: date | None
    directives: list[DraftDirective]
    tasks: list[DraftTask]
    warnings: list[str]
    unit_names: dict[str, str] = field(default_factory=dict)
    text: str = ""
    date_basis: tuple[str, date] | None = None
    """Where the date that completes undated days came from: ("成文日期", day), ("参照日期",
    the --ref-date) …; None when there is none."""
    fingerprint: str = ""
    """Of the normalised text: a document applied twice is known by it."""


MAX_DOCUMENT_CHARS = 200_000
"""Characters one analysis accepts (a long 分工方案 is a few tens of thousands); a longer text
is refused with its own message — split it and analyse the parts."""

Progress = Callable[[int, int], None]
"""Told (blocks read, blocks in all) as a long document is read."""


def check_size(text: str) -> None:
    """Refuse a text longer than :data:`MAX_DOCUMENT_CHARS` with a Chinese message."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise InvalidInput(f"文档过长：共{len(text)}字，超过{MAX_DOCUMENT_CHARS}字的上限；"
                           "请按章节拆分后分别识别")


def analyse_document(text: str, *, directory: Directory, ref_date: date | None = None,
                     addressee: str | None = None, tz: ZoneInfo = DEFAULT_TZ,
                     calendar: WorkCalendar | None = None,
                     progress: Progress | None = None) -> IntakeResult:
    """Analyse one document against a directory snapshot.

    Guarantees: every task belongs to a returned directive; read-only directives (圈阅, 请X阅)
    have no task; unit codes and leader names come only from ``directory``; dates come only
    from the text, completed by the document's own date (else ``ref_date``); a sentence cut off
    at the end of the text yields no task. ``addressee`` (a unit code or name) is the unit
    meant by 你局/你单位; without it a "X：" line at the top naming a unit is used.
    """
    check_size(text)
    original, text = text, normalise(text)
    lines = blocks(text)
    warnings: list[str] = []
    if not lines:
        return IntakeResult(None, [], [], ["文档为空，未生成任何督办事项"],
                            fingerprint=fingerprint(original))
    own = find_doc_date(text, lines)
    doc_date = own.day if own else None
    opening = None if own or ref_date else opening_date(text, lines)
    anchor = doc_date or ref_date or (opening.day if opening else None)
    basis = (own.source, own.day) if own else (("参照日期", ref_date) if ref_date else (
        (opening.source, opening.day) if opening else None))
    if anchor is None:
        warnings.append("未识别到文档日期，也未提供参考日期：时限无法换算为具体日期")
    units, people, dates = UnitMatcher(directory), PersonMatcher(directory.people), DateReader(
        text, anchor)
    finder = DirectiveFinder(text, people, dates)
    calendar = calendar or WorkCalendar()
    base = TaskContext(text, placeholder(), units, people, dates, None, tz, calendar,
                       given_addressee(units, addressee, warnings) if addressee
                       else find_addressees(units, text, lines),
                       _limit(text, lines, warnings), warnings)
    title = lines[0] if _is_title(text, lines[0]) else None
    doc = finder.doc_level(title, lines[1:5]) if title else None
    run = Run(text, finder, base, anchor, doc)
    tasks = walk(run, [b for b in lines if b is not title], progress)
    directives = _renumber(_prune(finder.directives, run.doc, tasks), tasks)
    _as_written(original, tasks)
    _warn_unknowns(directives, tasks, warnings)
    warnings.extend(f"文中“{written}”与通讯录中的“{name}”姓氏不同，未作对应，请核实是否为同一人"
                    for written, name in people.conflicts.items())
    warnings.extend(calendar.warnings)
    return IntakeResult(doc_date, directives, tasks, warnings, units.names, text, basis,
                        fingerprint(original))


def _as_written(original: str, tasks: list[DraftTask]) -> None:
    """Proposed units spelt as the document spells them (its own brackets and commas)."""
    for task in tasks:
        for k, p in enumerate(task.proposed):
            written = original[p.start:p.end].replace(" ", "")
            if p.end > p.start and normalise(written) == p.name and written != p.name:
                task.proposed[k] = replace(p, name=written)
                task.unknown_units = [written if n == p.name else n for n in task.unknown_units]


def _prune(directives: list[DraftDirective], doc: DraftDirective | None,
           tasks: list[DraftTask]) -> list[DraftDirective]:
    """Drop the document-level directive when it got no task but the text announced others
    (a bulletin titled "领导批示" is no instruction itself)."""
    if doc is None or len(directives) == 1 or any(t.directive_key == doc.key for t in tasks):
        return directives
    if any(d.parent_key == doc.key for d in directives):
        return directives
    return [d for d in directives if d is not doc]


def _renumber(directives: list[DraftDirective], tasks: list[DraftTask]) -> list[DraftDirective]:
    """Keys D1, D2 … in document order, parents and tasks following."""
    new = {d.key: f"D{k}" for k, d in enumerate(directives, start=1)}
    for d in directives:
        d.key = new[d.key]
        d.parent_key = new.get(d.parent_key or "")
    for t in tasks:
        t.directive_key = new.get(t.directive_key, t.directive_key)
    return directives


def _is_title(text: str, block: Block) -> bool:
    line = text[block.start:block.end]
    return block.level == 0 and len(line) <= 60 and not any(ch in line for ch in "。；，|｜\t") \
        and record_label(text, block.start, block.end) is None


def _limit(text: str, lines: list[Block], warnings: list[str]) -> int:
    """Where usable text ends: before a last sentence without closing punctuation."""
    last = lines[-1]
    spans = sentences(text, last.start, last.end)
    if not spans:  # a bare "四、" at the very end
        return last.start
    s, e = spans[-1]
    if is_complete(text, e):
        return len(text)
    cut = text[s:e]
    if not _SIGNATURE.fullmatch(cut) and len(cut) >= 6:
        warnings.append(f"文末句子不完整（可能被截断），未据此生成督办事项：“{cut[:30]}…”")
    return s


def _warn_unknowns(directives: list[DraftDirective], tasks: list[DraftTask],
                   warnings: list[str]) -> None:
    for d in directives:
        if d.issued_by is None and d.issued_by_mention:
            warnings.append(f"领导“{d.issued_by_mention}”不在通讯录中，请确认批示人")
    seen: list[str] = []
    for t in tasks:
        seen += [u for u in t.unknown_units if u not in seen]
    orphans = [t.title for t in tasks if not t.lead_units]
    if orphans:
        warnings.append(f"{len(orphans)}项事项未能确定牵头单位，请督查室指定：" + "；".join(orphans))
    for name in seen:
        warnings.append(f"单位“{name}”不在通讯录中，已作为新单位建议，请确认")
