"""The units a document is addressed to (主送): the line "X、Y、Z：" at its head.

A notice, a 批复 or a 督查通知单 names its addressees on one line before its body; "你局",
"你单位" and "各责任单位" in the body then mean them. The line is recognised by its shape — a
list of names, most of them shaped like units, closed by a colon — among the first lines of
the document; ``--addressee`` given by the office wins over it.
"""

from __future__ import annotations

import re

from engine.intake.org_names import looks_like_unit, split_list
from engine.intake.segment import Block
from engine.intake.unit_names import UnitMatcher, UnitMention

HEAD_LINES = 16
"""How many lines from the top may hold the addressee line (web pages put a header first)."""

_LABEL = re.compile(r"(?:主送单位|主送|受文单位|承办单位|交办单位)\s*[：]\s*")
_COLON = re.compile(r"[：]")
_FIELD_NAME = re.compile(r"(?:主要|牵头|协同|配合)?(?:责任|牵头|配合|协同|协办|主办|承办|参与)(?:责任)?(?:单位|部门)")


def given_addressee(units: UnitMatcher, given: str, warnings: list[str]) -> tuple[UnitMention, ...]:
    """The addressee the office named (a code or a name)."""
    code = units.resolve_name(given)
    if code is None:
        warnings.append(f"受文单位“{given}”不在通讯录中，“你局/你单位”无法对应到单位")
        return ()
    return (UnitMention(0, 0, units.names.get(code, given), (code,)),)


def find_addressees(units: UnitMatcher, text: str, lines: list[Block]) -> tuple[UnitMention, ...]:
    """The addressees named at the head of ``text``: directory units by code, others as written
    (each with its span on the addressee line); empty when no line has that shape."""
    for block in lines[:HEAD_LINES]:
        found = _addressee_line(units, text, block.start, block.end)
        if found:
            return found
    return ()


def _addressee_line(units: UnitMatcher, text: str, start: int, end: int
                    ) -> tuple[UnitMention, ...]:
    label = _LABEL.match(text, start, end)
    head = label.end() if label else start
    colon = _COLON.search(text, head, min(end, head + 120))
    if colon is None and not label:
        return ()
    stop = colon.start() if colon else end
    pieces = split_list(text, head, stop, commas=True)
    names = [(a, b, text[a:b].replace(" ", "")) for a, b in pieces]
    if any(_FIELD_NAME.fullmatch(n[2]) for n in names):
        return ()
    shaped = [n for n in names if looks_like_unit(n[2]) or units.resolve_name(n[2])]
    if not names or (len(shaped) * 2 < len(names) + (0 if label else 1)):
        return ()
    if not label and colon and colon.end() < end and len(names) == 1 and not shaped:
        return ()
    out = []
    for a, b, name in names:
        if not (looks_like_unit(name) or units.resolve_name(name) or label):
            continue
        code = units.resolve_name(name)
        out.append(UnitMention(a, b, name, (code,) if code else ()))
    return tuple(out)
