"""The dates written in a document: its own date, and the dates of its text.

A date is only produced from text in the document, completed with the month of the previous date
and the document's own year.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from engine.intake.segment import Block, bracket_spans, cn_number

DATE_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_DATE = re.compile(rf"(?:(?P<y>\d{{4}}|[〇零一二三四五六七八九]{{4}})年)?(?P<m>{DATE_NUM})月"
                   rf"(?P<d>{DATE_NUM})[日号]")
_DAY = re.compile(r"(?<![\d月年至到—\-~])(?P<d>\d{1,2})[日号]")


def _cn_year(s: str) -> int:
    return int(s) if s.isdigit() else int("".join(str(cn_number(ch) or 0) for ch in s))


def find_doc_date(text: str, blocks: list[Block]) -> date | None:
    """The document's own date: a date line near the top ("（2024年3月4日）") or the signature
    date among the last lines; None when neither has a full year-month-day date."""
    for block in [*blocks[1:6], *blocks[-4:]]:
        line = text[block.start:block.end]
        m = _DATE.search(line)
        label = re.match(r"[^：:]{1,8}[：:]", line)
        if label and not re.search("日期|时间", label.group()):
            continue  # "整改时限：2024年12月31日" is no date of the document
        if m and m["y"] and (len(line) <= 32 or line.startswith(("（", "("))):
            try:
                return date(_cn_year(m["y"]), cn_number(m["m"]) or 0, cn_number(m["d"]) or 0)
            except ValueError:
                continue
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
