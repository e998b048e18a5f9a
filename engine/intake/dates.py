"""The dates written in a document: its own date, and the dates of its text.

A date is only produced from text in the document, completed with the month of the previous date
and the document's own year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from engine.intake.segment import Block, bracket_spans, cn_number

DATE_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_DATE = re.compile(rf"(?:(?P<y>\d{{4}}|[〇零一二三四五六七八九]{{4}})年)?(?P<m>{DATE_NUM})月"
                   rf"(?P<d>{DATE_NUM})[日号]")
_DAY = re.compile(r"(?<![\d月年至到—\-~])(?P<d>\d{1,2})[日号]")


def _cn_year(s: str) -> int:
    return int(s) if s.isdigit() else int("".join(str(cn_number(ch) or 0) for ch in s))


@dataclass(frozen=True)
class DocDate:
    """The document's own date and where it was read ("成文日期", "落款日期", "发布日期"…)."""

    day: date
    source: str


_ISO_DATE = re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")
_DATE_LABEL = re.compile(r"[【\[]?(成文日期|发文日期|印发日期|签发日期|发布日期|发布时间|日期|时间)[】\]]?\s*[：]?\s*")
_LABEL_RANK = {"成文日期": 0, "发文日期": 0, "印发日期": 0, "签发日期": 0}
_STANDALONE = re.compile(r"[（(]?\s*(?:[\u4e00-\u9fa5]{2,30}\s+)?(?P<date>[^\s（）()]{8,16})\s*[）)]?")
HEAD_LINES = 25
"""Lines from the top searched for a dated header (web pages put a header before the body)."""


def _parse(text: str) -> date | None:
    m = _DATE.fullmatch(text) or _ISO_DATE.fullmatch(text)
    if m is None or not m["y"]:
        return None
    try:
        return date(_cn_year(m["y"]), cn_number(m["m"]) or 0, cn_number(m["d"]) or 0)
    except ValueError:
        return None


def find_doc_date(text: str, blocks: list[Block]) -> DocDate | None:
    """The document's own date: a 成文日期 (or 发文日期) field, else a line that is only a date
    (the 落款 under the signature, or "（2024年3月4日）" under the title), else a 发布日期 or
    其他日期 field near the top; None when none has a full year-month-day date."""
    labelled: list[tuple[int, int, DocDate]] = []
    for k, block in enumerate(blocks[:HEAD_LINES]):
        line = text[block.start:block.end]
        for m in _DATE_LABEL.finditer(line):
            found = _date_at(line, m.end())
            if found:
                labelled.append((_LABEL_RANK.get(m.group(1), 2), k, DocDate(found, m.group(1))))
    firm = [d for rank, _, d in sorted(labelled, key=lambda x: (x[0], x[1])) if rank == 0]
    if firm:
        return firm[0]
    for block in blocks:
        line = text[block.start:block.end].strip()
        alone = _STANDALONE.fullmatch(line)
        found = _parse(alone["date"]) if alone and not _ISO_DATE.fullmatch(alone["date"]) \
            else None
        if found:
            return DocDate(found, "落款日期" if block in blocks[len(blocks) // 2:] else "文首日期")
    if labelled:
        return min(labelled, key=lambda x: (x[0], x[1]))[2]
    for block in blocks[:6]:  # "2023-06-12 00:00:00 作者…": a page's publication stamp
        stamp = _ISO_DATE.match(text, block.start, block.end)
        found = _parse(stamp.group()) if stamp else None
        if found:
            return DocDate(found, "发布日期")
    return None


def opening_date(text: str, blocks: list[Block]) -> DocDate | None:
    """The full date a text opens with ("2024年6月18日，县长…主持召开…"), to complete the year of
    other dates when the document states no date of its own and none is given."""
    for block in blocks[:4]:
        opening = _DATE.match(text, block.start, block.end)
        day = _parse(opening.group()) if opening else None
        if day:
            return DocDate(day, "文首日期")
    return None


def _date_at(line: str, pos: int) -> date | None:
    for pattern in (_ISO_DATE, _DATE):
        m = pattern.match(line, pos)
        if m and m["y"]:
            return _parse(m.group())
    return None


class DateReader:
    """Reads dates in the text: "2月25日" and "26日" (month of the previous date mention)."""

    def __init__(self, text: str, anchor: date | None) -> None:
        self.text = text
        self.anchor = anchor
        self._months = [(m.start(), cn_number(m["m"]) or 0) for m in _DATE.finditer(text)]

    def month_before(self, pos: int) -> int | None:
        """Month of the last full date written before ``pos`` (else the anchor's month)."""
        months = [month for start, month in self._months if start < pos]
        return months[-1] if months else (self.anchor.month if self.anchor else None)

    def first(self, start: int, end: int) -> date | None:
        """The first date written in ``text[start:end]`` outside quotes, resolved; else None."""
        quotes = bracket_spans(self.text, start, end, "“", "”")
        hits = [m for m in [*_DATE.finditer(self.text, start, end), *_DAY.finditer(
            self.text, start, end)] if not any(a <= m.start() < b for a, b in quotes)]
        for m in sorted(hits, key=lambda h: h.start()):
            found = self._resolve(m)
            if found:
                return found
        return None

    def _resolve(self, m: re.Match[str]) -> date | None:
        groups = m.groupdict()
        month = cn_number(groups["m"]) if groups.get("m") else self.month_before(m.start())
        day = cn_number(m["d"])
        year = _cn_year(groups["y"]) if groups.get("y") else (self.anchor.year if self.anchor
                                                               else None)
        if not (month and day and year):
            return None
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if not groups.get("y") and self.anchor and found > self.anchor + timedelta(days=62):
            found = found.replace(year=year - 1)  # "12月20日" in a January bulletin
        return found
