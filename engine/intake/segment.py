"""Reading a document's structure: blocks, sentences, clauses, enumerated items, table rows
and record fields (the dates written in it are read by :mod:`.dates`).

Every function returns spans ``(start, end)`` into the original text, so any result can be traced
to its source; nothing here copies or rewrites the text. Splitting never cuts inside 《…》 or
(…); clause splitting also keeps “…” whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Span = tuple[int, int]

_CN = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
       "七": 7, "八": 8, "九": 9}
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮"
_OPEN, _CLOSE = "《（(“「", "》）)”」"
_SENT_END = "。！？；!?;"
_CLAUSE_END = _SENT_END + "，,：:"
_TRAILING = "”’」）)》"

_LINE_MARKERS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(r"([一二三四五六七八九十]{1,3})、")),
    (2, re.compile(r"[（(]([一二三四五六七八九十]{1,3})[）)]")),
    (3, re.compile(r"(\d{1,2})(?:[.．、](?!\d)|\s)")),
    (4, re.compile(r"[（(](\d{1,2})[）)]")),
    (5, re.compile(f"([{_CIRCLED}])")),
]
_INLINE_MARKERS: list[re.Pattern[str]] = [
    re.compile(r"(?:^|(?<=[。；;：:，,\s]))([一二三四五六七八九十]{1,3})(?:是|要(?!求))"),
    re.compile(r"(?:^|(?<=[。；;：:\s]))(\d{1,2})[.．、](?!\d)"),
    re.compile(r"(?:^|(?<=[。；;：:\s]))[（(]([一二三四五六七八九十]{1,3})[）)]"),
    re.compile(r"(?:^|(?<=[。；;：:，,\s]))[（(](\d{1,2})[）)]"),
    re.compile(f"([{_CIRCLED}])"),
]


def cn_number(s: str) -> int | None:
    """Value of an Arabic, circled or Chinese numeral up to 99 ("十二" → 12), else None."""
    if s.isdigit() and s.isascii():
        return int(s)
    if len(s) == 1 and s in _CIRCLED:
        return _CIRCLED.index(s) + 1
    if not s or any(ch not in _CN and ch != "十" for ch in s):
        return None
    if "十" not in s:
        return int("".join(str(_CN[ch]) for ch in s))
    tens, _, ones = s.partition("十")
    return (_CN[tens] if tens else 1) * 10 + (_CN[ones] if ones else 0)


@dataclass(frozen=True)
class Block:
    """One non-empty line: ``start``/``end`` span its content after any enumeration marker.

    ``level`` is 0 without marker, 1 for 一、, 2 for （一）, 3 for 1., 4 for （1）, 5 for ①;
    ``heading`` is true for a short marked line without sentence punctuation.
    """

    start: int
    end: int
    level: int
    number: int | None
    heading: bool


_SOFT_BREAK = re.compile(r"(?<=\S)[ \t　]+(?=(?:[一二三四五六七八九十]{1,3}、|\d{1,2}[.．、](?!\d)|"
                         r"[（(][一二三四五六七八九十]{1,3}[）)]))|"
                         r"(?<=[。；])(?=[一二三四五六七八九十]{1,3}、)")
_JUNK = " \t\u3000?"


def blocks(text: str) -> list[Block]:
    """The non-empty lines of ``text`` in order, stripped, with their enumeration markers.

    A line a web copy ran together ("…如下： 一、重点督办事项 1.加快…") is split where a
    section or item marker follows a space; stray "?" left by a broken encoding are ignored at
    the start of a line."""
    out: list[Block] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        start, end = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        cuts = [m.end() for m in _SOFT_BREAK.finditer(text, start, end)]
        for a, b in zip([start, *cuts], [*cuts, end], strict=True):
            while a < b and (text[a].isspace() or text[a] in _JUNK):
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if a < b:
                out.append(_block(text, a, b))
    return out


def _block(text: str, start: int, end: int) -> Block:
    for level, pattern in _LINE_MARKERS:
        m = pattern.match(text, start, end)
        if m is None:
            continue
        content = m.end()
        while content < end and text[content].isspace():
            content += 1
        body = text[content:end]
        heading = len(body) <= 30 and not any(ch in body for ch in _CLAUSE_END)
        return Block(content, end, level, cn_number(m.group(1)), heading)
    return Block(start, end, 0, None, False)


def _split(text: str, start: int, end: int, stops: str, quotes: bool) -> list[Span]:
    """Spans between ``stops`` (kept with the span), outside brackets; empty spans dropped."""
    spans: list[Span] = []
    depth, seg = 0, start
    i = start
    while i < end:
        ch = text[i]
        if ch in _OPEN and (quotes or ch != "“"):
            depth += 1
        elif ch in _CLOSE and (quotes or ch != "”"):
            depth = max(0, depth - 1)
        elif (ch in stops and depth == 0) or ch == "\n":
            i += 1
            while i < end and text[i] in _TRAILING:
                i += 1
            spans.append((seg, i))
            seg = i
            continue
        i += 1
    spans.append((seg, end))
    return [s for s in (_strip(text, a, b) for a, b in spans) if s[0] < s[1]]


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and (text[start].isspace() or text[start] in "，,、"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentences(text: str, start: int, end: int) -> list[Span]:
    """Sentences of ``text[start:end]``, each ending with its punctuation if it has one; never
    empty for a non-empty span (a span of bare punctuation is one "sentence")."""
    return _split(text, start, end, _SENT_END, quotes=False) or ([(start, end)] if end > start
                                                                  else [])


def clauses(text: str, start: int, end: int) -> list[Span]:
    """Clauses of one sentence, split at ，：；。 outside brackets and quotes.

    An unbalanced quote (cut-off text) never swallows the rest: the split falls back to ignoring
    quotes.
    """
    if text.count("“", start, end) != text.count("”", start, end):
        return _split(text, start, end, _CLAUSE_END, quotes=False)
    return _split(text, start, end, _CLAUSE_END, quotes=True)


def is_complete(text: str, end: int) -> bool:
    """Whether the sentence ending at ``end`` closes with punctuation, or is a table row or a
    one-line field."""
    tail = text[:end].rstrip()
    while tail and tail[-1] in _TRAILING:
        tail = tail[:-1]
    if not tail:
        return False
    line = tail[tail.rfind("\n") + 1:].strip()
    if re.match(r"[^：:，,]{1,8}[：:][^，,]*$", line):
        return True  # a one-line field ("整改时限：2025年6月30日") is whole without a full stop
    if re.search(r"[（(][^（(）)]{1,12}[：:；;][^（(）)]*[）)]\s*$", text[:end]):
        return True  # "…。（责任单位：城管局）": a closing field in brackets
    return tail[-1] in _SENT_END or line.count("|") + line.count("｜") + line.count("\t") >= 2


def inline_items(text: str, start: int, end: int) -> tuple[Span, list[Span]] | None:
    """Enumerated items inside ``text[start:end]`` (一是…二是…, 1.…2.…, （一）…, ①…).

    Returns the intro span (text before the first item) and the item spans, each starting after
    its marker; ``None`` when no style numbers at least two items 1, 2, … in order.
    """
    best: list[tuple[int, int]] | None = None
    for pattern in _INLINE_MARKERS:
        marks = _numbered_run(pattern, text, start, end)
        if marks and (best is None or marks[0][0] < best[0][0]):
            best = marks
    if best is None:
        return None
    items: list[Span] = []
    for k, (_, content) in enumerate(best):
        stop = best[k + 1][0] if k + 1 < len(best) else end
        items.append(_strip(text, content, stop))
    return (start, best[0][0]), items


def _numbered_run(pattern: re.Pattern[str], text: str, start: int, end: int
                  ) -> list[tuple[int, int]] | None:
    """(marker start, content start) of the run 1, 2, 3 … of ``pattern``, if at least two."""
    run: list[tuple[int, int]] = []
    for m in pattern.finditer(text[:end], start):
        if _inside_brackets(text, start, m.start()):
            continue
        if cn_number(m.group(1)) == len(run) + 1:
            run.append((m.start(), m.end()))
    return run if len(run) >= 2 else None


def _inside_brackets(text: str, start: int, pos: int) -> bool:
    segment = text[start:pos]
    return segment.count("《") > segment.count("》") or segment.count("“") > segment.count("”")


def bracket_spans(text: str, start: int, end: int, open_: str = "《", close: str = "》"
                  ) -> list[Span]:
    """Spans of ``open_ … close`` pairs (markers included) inside ``text[start:end]``."""
    out: list[Span] = []
    i = text.find(open_, start, end)
    while i >= 0:
        j = text.find(close, i + 1, end)
        if j < 0:
            break
        out.append((i, j + 1))
        i = text.find(open_, j + 1, end)
    return out


def outside(pos: int, spans: list[Span]) -> bool:
    """Whether ``pos`` lies in none of ``spans`` (quotes, titles)."""
    return not any(a <= pos < b for a, b in spans)


def sentence_at(text: str, block: Block, pos: int) -> Span:
    """The sentence of ``block`` that contains ``pos``."""
    for span in sentences(text, block.start, block.end):
        if span[0] <= pos < span[1]:
            return span
    return block.start, block.end


# -- tables and records ------------------------------------------------------------------

_CELL_SEP = re.compile(r"[|｜\t]")
_COLUMNS = [("no", re.compile("^(?:序号|编号)$")), ("owner", re.compile("领导|责任人")),
            ("co", re.compile("配合|协办|参与|协同")),
            ("lead", re.compile("牵头|责任单位|责任部门|主办|承办")),
            ("due", re.compile("时限|时间|期限")), ("task", re.compile("任务|内容|事项|措施|工作|目标"))]


def column_role(name: str) -> str | None:
    """The role of a table column named ``name`` (spaces ignored): no, owner, co, lead, due,
    task; None for any other column."""
    name = re.sub(r"\s", "", name).strip("|｜")
    if not 2 <= len(name) <= 12:
        return None
    return next((r for r, pattern in _COLUMNS if pattern.search(name)), None)


def header_columns(names: list[str]) -> dict[str, int] | None:
    """Column roles of a header ("序号｜工作任务｜牵头单位｜配合单位｜完成时限"); a second
    责任单位 column after a 牵头 one holds the units that share the work. None unless the header
    has at least three columns, a task and a lead column."""
    columns: dict[str, int] = {}
    for i, name in enumerate(names):
        role = column_role(name)
        if role == "lead" and "lead" in columns:
            role = "co"
        if role and role not in columns:
            columns[role] = i
    return columns if len(names) >= 3 and {"task", "lead"} <= columns.keys() else None


def cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The cell spans of one table row (｜, | or tab separated), stripped."""
    out, seg = [], start
    for m in _CELL_SEP.finditer(text, start, end):
        out.append((seg, m.start()))
        seg = m.end()
    out.append((seg, end))
    return [(a + len(text[a:b]) - len(text[a:b].lstrip()), b - len(text[a:b]) + len(
        text[a:b].rstrip())) for a, b in out]


def table_columns(text: str, start: int, end: int) -> dict[str, int] | None:
    """Column roles of a table header row ("序号｜工作任务｜牵头单位｜配合单位｜完成时限")."""
    return header_columns([text[a:b] for a, b in cells(text, start, end)])


RECORD_TASK = ("问题", "存在问题", "问题描述", "整改目标", "工作目标", "整改措施", "工作任务", "任务内容",
               "主要任务", "检查范围", "检查内容", "督导范围", "工作内容", "具体措施")
RECORD_UNITS = ("牵头责任单位", "协同责任单位", "主要责任单位", "协同配合单位", "责任单位", "牵头单位",
                "配合单位", "协办单位", "责任部门", "牵头部门", "配合部门")
RECORD_OWNER = ("牵头负责领导", "责任领导", "牵头领导", "分管领导", "分管县领导", "分管市领导", "分管区领导",
                "包保领导", "消防安全责任人", "安全责任人", "责任人")
RECORD_DUE = ("整改时限", "完成时限", "时限要求", "完成时间", "办结时限")
_RECORD_LABEL = re.compile("(" + "|".join(sorted(RECORD_TASK + RECORD_UNITS + RECORD_OWNER + RECORD_DUE,
                                                 key=len, reverse=True)) + r")\s*\d*\s*[：:；;]")


FIELD_LABELS = "|".join(sorted(RECORD_UNITS + RECORD_OWNER + RECORD_DUE, key=len, reverse=True))
INLINE_FIELD = re.compile(rf"(?:(?<=[，。；、\s（(])|^)({FIELD_LABELS})\s*[：；]")
"""A unit, owner or time-limit field inside a line ("…项目。牵头单位：县住建局，责任领导：…")."""


def inline_fields(text: str, start: int, end: int) -> list[tuple[str, Span]]:
    """The record a line holds when fields follow its text: ("问题", the text before them),
    each field with its value (up to the next field), and ("问题", any text after the last
    field's sentence); empty when the line holds no field after some text."""
    found = [m for m in INLINE_FIELD.finditer(text, start, end) if m.start() > start]
    if not found:
        return []
    first = found[0].start() - (text[found[0].start() - 1] in "（(")
    out: list[tuple[str, Span]] = [("问题", (start, first))]
    for k, m in enumerate(found):
        stop = found[k + 1].start() if k + 1 < len(found) else end
        full = text.find("。", m.end(), stop)
        value_end = full + 1 if full >= 0 and k + 1 == len(found) else stop
        out.append((m.group(1), (m.start(), value_end)))
        if value_end < stop:
            out.append(("问题", (value_end, stop)))
    return out


def record_label(text: str, start: int, end: int) -> str | None:
    """The field label a line starts with, if it is one of a task record's fields."""
    m = _RECORD_LABEL.match(text, start, end)
    return m.group(1) if m else None
