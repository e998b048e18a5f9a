"""Who leads and who cooperates: the roles of the units named in one requirement.

Roles hold only the codes of the mentions they are given (the directory's units found by
:class:`UnitMatcher`, the addressee, the caller's extra mentions); a mention without a code is
kept, as written, as unknown. The precedence of fields, contexts and order is
:func:`assign_roles`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.intake.org_names import GENERIC_GROUP, role_names, split_list
from engine.intake.segment import FIELD_LABELS
from engine.intake.unit_names import UnitMatcher, UnitMention


@dataclass
class Roles:
    """Who leads and who cooperates in one requirement; codes only from the directory.

    ``unknown`` holds the names the directory does not know, as written; ``evidence`` gives for
    each of them the span that names it and the role it was given there (lead or co).
    """

    lead: list[str]
    co: list[str]
    unknown: list[str]
    explicit: bool
    evidence: dict[str, tuple[int, int, str]] = field(default_factory=dict)


_FIELD = re.compile(r"((?:主要|牵头|协同|配合|协同配合)?(?:责任|牵头|主办|配合|协办|参与|承办)(?:单位|部门))"
                    rf"\s*[：；]\s*((?:(?!(?:{FIELD_LABELS})\s*[：；])(?:[^；。\n|｜（）]|（[^）]{{0,12}}）))+)")
ADDRESSED = re.compile(r"你局|你单位|你区|你县|你委|你办|你中心|你镇|你公司|贵单位|你们|各事涉部门|各责任单位|"
                       r"各有关单位|各相关单位")
_LEAD_AFTER = re.compile(r"牵头|负责|主办")
_CO_AFTER = re.compile(r"等?(?:部门|单位)?(?:配合|协助|协同|参与)")
_LEAD_BEFORE = ("由", "请")
_CO_BEFORE = ("会同", "联合")
_RECIPIENT_BEFORE = re.compile(r"(?:报送|上报|报告|提交|反馈|抄送|呈报|报|向|交|对|至)(?:给|至|到)?$")


def assign_roles(matcher: UnitMatcher, text: str, start: int, end: int, *,
                 addressees: tuple[UnitMention, ...] = (),
                 extra: tuple[UnitMention, ...] = ()) -> Roles:
    """Lead and cooperating units of ``text[start:end]``.

    Fields (牵头单位：… all lead; 责任单位：… first leads), then contexts (由X牵头, 请X, X配合,
    会同X), then order: the first unit named leads and the others cooperate. A group that leads
    leads with all its members. Units the directory does not know count where the text puts
    them in a role (:func:`engine.intake.org_names.role_names`); a word for the addressees
    (你局, 各责任单位) brings the units the document is addressed to. ``extra`` adds mentions
    found elsewhere (a person's unit).
    """
    entries: dict[int, tuple[UnitMention, str | None]] = {}
    known = matcher.find(text, start, end)
    for mention in [*known, *extra]:
        if not _recipient(text, mention.start):
            entries[mention.start] = (mention, _context_role(text, mention))
    _add_named(matcher, text, start, end, known, entries)
    for m in ADDRESSED.finditer(text, start, end):
        if _recipient(text, m.start()):
            continue
        word = UnitMention(m.start(), m.end(), m.group(), ())
        if m.group().startswith(("你", "贵")) or (addressees and all(a.codes for a in addressees)):
            entries.pop(m.start(), None)
        else:  # "各责任单位" as written, beside the addressees it stands for
            entries[m.start()] = (word, _context_role(text, word))
        for k, addressee in enumerate(addressees, start=1):
            mention = UnitMention(m.start(), m.end(), addressee.name, addressee.codes)
            entries[m.start() + k / 100] = (mention, _context_role(text, mention))  # type: ignore[index]
    for field_ in _FIELD.finditer(text, start, end):
        _add_field(matcher, text, field_, entries)
    return _decide(_anaphora([entries[pos] for pos in sorted(entries)]))


_ANAPHORIC = re.compile(r"(?:相关|有关|上述|该)(?:单位|部门)")


def _anaphora(ordered: list[tuple[UnitMention, str | None]]
              ) -> list[tuple[UnitMention, str | None]]:
    """"…集中在市自然资源局和河东区。请相关单位办结": a group word asked after units were named
    stands for them — they take its role and the word goes."""
    generic = [k for k, (m, r) in enumerate(ordered)
               if not m.codes and _ANAPHORIC.fullmatch(m.name) and r != "co"]
    if not generic:
        return ordered
    first = ordered[generic[0]][0].start
    concrete = [k for k, (m, r) in enumerate(ordered) if k not in generic and r is None
                and m.start < first and (m.codes or not GENERIC_GROUP.fullmatch(m.name))]
    if not concrete:
        return ordered
    role = "lead" if any(ordered[k][1] in ("lead", "mark") for k in generic) else None
    return [(m, role if k in concrete else r) for k, (m, r) in enumerate(ordered)
            if k not in generic]


def addressee_roles(addressees: tuple[UnitMention, ...]) -> Roles:
    """The addressees as the units of a requirement that names none: the first leads."""
    return _decide([(a, "lead" if k == 0 else None) for k, a in enumerate(addressees)])


def _recipient(text: str, pos: int) -> bool:
    return bool(_RECIPIENT_BEFORE.search(text, max(0, pos - 4), pos))


def _add_named(matcher: UnitMatcher, text: str, start: int, end: int, known: list[UnitMention],
               entries: dict[int, tuple[UnitMention, str | None]]) -> None:
    """Units named in a role place: a directory unit there takes the role; another name is
    resolved through its other forms, or kept as written."""
    for named in role_names(text, start, end):
        role = {"lead": "mark", "co": "co"}.get(named.role or "")
        inside = [m for m in known if named.start <= m.start < named.end]
        if inside and not any(m.codes for m in inside) and all(
                m.end - m.start < named.end - named.start for m in inside):
            for m in inside:  # "各街道办事处" as written, not the group word inside it
                entries.pop(m.start, None)
            known = [m for m in known if m not in inside]
            inside = []
        if inside:
            for m in inside:
                if m.start in entries and role:
                    entries[m.start] = (m, role)
            continue
        if _recipient(text, named.start) or any(m.start <= named.start < m.end for m in known):
            continue
        code = matcher.resolve_name(named.name)
        mention = UnitMention(named.start, named.end, named.name, (code,) if code else ())
        entries[named.start] = (mention, role or _context_role(text, mention))


def _add_field(matcher: UnitMatcher, text: str, field_: re.Match[str],
               entries: dict[int, tuple[UnitMention, str | None]]) -> None:
    label = field_.group(1)
    role = "co" if re.search("配合|协办|参与|协同", label) else "lead"
    role = "resp" if role == "lead" and re.match("(?:主要)?责任", label) else role
    for k, (a, b) in enumerate(_pieces(text, *field_.span(2))):
        found = [pos for pos in entries if a <= pos < b]
        named = entries[found[0]][0] if found else _proposal(matcher, text, a, b)
        if named is not None:
            entries[named.start] = (named, "lead" if role == "lead" or
                                    (role == "resp" and k == 0) else "co")


def _proposal(matcher: UnitMatcher, text: str, a: int, b: int) -> UnitMention | None:
    """A field's piece the directory lacks: resolved through another form, or as written."""
    proposal = matcher.unknown(text[a:b], a, any_name=True)
    if proposal is None:
        return None
    code = matcher.resolve_name(proposal.name)
    return UnitMention(proposal.start, proposal.end, proposal.name, (code,) if code else ())


def _context_role(text: str, mention: UnitMention) -> str | None:
    if _CO_AFTER.match(text, mention.end) or text[:mention.start].endswith(_CO_BEFORE):
        return "co"
    if text[:mention.start].endswith(_LEAD_BEFORE) or _LEAD_AFTER.match(text, mention.end):
        return "mark"
    return None


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return split_list(text, start, end, commas=True)


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
                roles.evidence[mention.name] = (mention.start, mention.end,
                                                "lead" if mention in leads else "co")
            continue
        target = roles.lead if mention in leads else roles.co
        for code in mention.codes:
            if code not in roles.lead and code not in target:
                target.append(code)
    roles.co = [code for code in roles.co if code not in roles.lead]
    return roles


def cell_units(matcher: UnitMatcher, text: str, start: int, end: int, role: str) -> Roles:
    """The units listed in one table cell ("市住建局、燃气集团、各县区"), all in ``role``: codes of
    the directory's units, the others as written."""
    roles = Roles([], [], [], True)
    target = roles.lead if role == "lead" else roles.co
    mentions = matcher.find(text, start, end)
    for a, b in _pieces(text, start, end):
        inside = [m for m in mentions if a <= m.start < b]
        if inside and not any(m.codes for m in inside):
            inside = []  # "各乡镇人民政府、街道办事处" with no town in the directory: as written
        if not inside:
            proposal = _proposal(matcher, text, a, b)
            if proposal and proposal.codes:
                inside = [proposal]
            elif proposal and proposal.name not in roles.unknown:
                roles.unknown.append(proposal.name)
                roles.evidence[proposal.name] = (a, b, role)
        for m in inside:
            target += [c for c in m.codes if c not in target]
    return roles


def merge_roles(first: Roles, *more: Roles) -> Roles:
    """The units of several fields or cells together; a unit leads if any of them says so."""
    out = Roles(list(first.lead), [], list(first.unknown), True, dict(first.evidence))
    co = list(first.co)
    for roles in more:
        out.lead += [c for c in roles.lead if c not in out.lead]
        co += roles.co
        for name in roles.unknown:
            if name not in out.unknown:
                out.unknown.append(name)
                out.evidence[name] = roles.evidence.get(name, (0, 0, "co"))
    out.co = [c for c in dict.fromkeys(co) if c not in out.lead]
    return out
