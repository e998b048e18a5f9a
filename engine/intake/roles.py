"""Who leads and who cooperates: the roles of the units named in one requirement.

Roles hold only the codes of the mentions they are given (the directory's units found by
:class:`UnitMatcher`, the addressee, the caller's extra mentions); a mention without a code is
kept, as written, as unknown. The precedence of fields, contexts and order is
:func:`assign_roles`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.intake.unit_names import UnitMatcher, UnitMention


@dataclass
class Roles:
    """Who leads and who cooperates in one requirement; codes only from the directory."""

    lead: list[str]
    co: list[str]
    unknown: list[str]
    explicit: bool


_FIELD = re.compile(r"(牵头单位|牵头部门|主办单位|责任单位|责任部门|配合单位|配合部门|协办单位|参与单位)"
                    r"[:：]\s*([^；;。\n|｜）)]+)")
_PIECE_SEP = re.compile(r"[、，,和及与]")
_ADDRESSEE = re.compile(r"你局|你单位|你区|你县|你委|你办|你中心|你镇|你公司|贵单位")
_LEAD_AFTER = re.compile(r"牵头|负责|主办")
_CO_AFTER = re.compile(r"等?(?:部门|单位)?(?:配合|协助|协同|参与)")
_LEAD_BEFORE = ("由", "请")
_CO_BEFORE = ("会同", "联合")
_RECIPIENT_BEFORE = re.compile(r"(?:报送|上报|报告|提交|反馈|抄送|呈报|报|向|交|对)(?:给|至|到)?$")


def assign_roles(matcher: UnitMatcher, text: str, start: int, end: int, *,
                 addressee: str | None = None, extra: tuple[UnitMention, ...] = ()) -> Roles:
    """Lead and cooperating units of ``text[start:end]``.

    Fields (牵头单位：… all lead; 责任单位：… first leads), then contexts (由X牵头, 请X, X配合,
    会同X), then order: the first unit named leads and the others cooperate. A group that leads
    leads with all its members. ``extra`` adds mentions found elsewhere (a person's unit).
    """
    entries: dict[int, tuple[UnitMention, str | None]] = {}
    for mention in [*matcher.find(text, start, end), *extra]:
        if not _RECIPIENT_BEFORE.search(text, max(0, mention.start - 4), mention.start):
            entries[mention.start] = (mention, _context_role(text, mention))
    if addressee:
        for m in _ADDRESSEE.finditer(text, start, end):
            mention = UnitMention(m.start(), m.end(), m.group(), (addressee,))
            entries[m.start()] = (mention, _context_role(text, mention))
    for field in _FIELD.finditer(text, start, end):
        role = "co" if field.group(1)[:2] in ("配合", "协办", "参与") else "lead"
        role = "resp" if field.group(1).startswith("责任") else role
        for k, (a, b) in enumerate(_pieces(text, *field.span(2))):
            found = [pos for pos in entries if a <= pos < b]
            named = entries[found[0]][0] if found else matcher.unknown(text[a:b], a, any_name=True)
            if named is not None:
                entries[named.start] = (named, "lead" if role == "lead" or
                                        (role == "resp" and k == 0) else "co")
    return _decide([entries[pos] for pos in sorted(entries)])


def _context_role(text: str, mention: UnitMention) -> str | None:
    if _CO_AFTER.match(text, mention.end) or text[:mention.start].endswith(_CO_BEFORE):
        return "co"
    if text[:mention.start].endswith(_LEAD_BEFORE) or _LEAD_AFTER.match(text, mention.end):
        return "mark"
    return None


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, seg = [], start
    for m in _PIECE_SEP.finditer(text, start, end):
        out.append((seg, m.start()))
        seg = m.end()
    out.append((seg, end))
    return [(a, b) for a, b in out if b > a]


def _decide(ordered: list[tuple[UnitMention, str | None]]) -> Roles:
    """Apply the precedence: field leads, else the first marked or first named unit leads."""
    explicit = any(role in ("lead", "mark") for _, role in ordered)
    leads = [m for m, role in ordered if role == "lead"]
    if not leads:
        marked = [m for m, role in ordered if role == "mark"]
        free = [m for m, role in ordered if role is None]
        leads = marked[:1] or free[:1]
    roles = Roles([], [], [], explicit)
    for mention, _ in ordered:
        if not mention.codes:
            if mention.name not in roles.unknown:
                roles.unknown.append(mention.name)
            continue
        target = roles.lead if mention in leads else roles.co
        for code in mention.codes:
            if code not in roles.lead and code not in target:
                target.append(code)
    roles.co = [code for code in roles.co if code not in roles.lead]
    return roles


def cell_units(matcher: UnitMatcher, text: str, start: int, end: int
               ) -> tuple[list[str], list[str]]:
    """Codes and unknown names listed in one table cell ("市住建局、燃气集团、各县区")."""
    codes: list[str] = []
    unknown: list[str] = []
    mentions = matcher.find(text, start, end)
    for a, b in _pieces(text, start, end):
        inside = [m for m in mentions if a <= m.start < b]
        if not inside:
            proposal = matcher.unknown(text[a:b], a, any_name=True)
            unknown += [proposal.name] if proposal and proposal.name not in unknown else []
        for m in inside:
            codes += [c for c in m.codes if c not in codes]
    return codes, unknown
