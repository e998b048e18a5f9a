"""Names of units the directory may not know, read from where documents put them.

Chinese official writing names the units of a requirement in a few fixed places: a field
(责任单位：X、Y), a role phrase (由X牵头, X负责, X、Y配合, 会同X, 联合X), the one asked (请X,
要求X, 责令X, 督促X) and the subject of a requirement ("X要…", "X、Y务必…"). :func:`role_names`
reads those places and returns the names as written with the role the place gives them.

What counts as a name depends on how strong the place is: in a field or a role phrase any short
name does ("环科城", "各分园区属地板块"); as the one asked or as a subject the name must look
like a unit — end in 局, 委, 办, 中心, 街道, 镇, 村, 部门, 单位 … (see :data:`UNIT_SUFFIX`) —
or be a group word (各乡镇, 相关部门, 各责任单位).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNIT_SUFFIX = (r"(?:街道办事处|办事处|人民政府|政府|管委会|委员会|办公室|指挥部|中心|集团|公司|大队|支队|"
               r"中队|分局|局|委|办|厅|部门和单位|单位和部门|部门|单位|科室|直属机构|街道|乡镇场|乡镇|镇场|镇|乡|"
               r"村|社区|居委会|卫生院|福利院|学校|医院|所|站|院|室|常委会|常委)")
_BRACKET = r"(?:[（(][^）)]{1,12}[）)])"
_SUFFIXES = frozenset(UNIT_SUFFIX[3:-1].split("|"))
_SUFFIX_LENGTHS = sorted({len(x) for x in _SUFFIXES})
_BRACKET_AT = re.compile(_BRACKET)
_UNIT = re.compile(rf"(?:[\u4e00-\u9fa5]|{_BRACKET})+?{UNIT_SUFFIX}{_BRACKET}?")
_NOT_UNIT = re.compile(r"(?:场所|厕所|住所|研究所|诊所|车站|网站|站点|全院|学院|庭院|院落|院内|医院门|"
                       r"政府工作|单位时间)$|^(?:本|该|此|我|其|全)")
_VERBAL = re.compile(r"[要须了对把将并也就都再已被给让在]|^为|会同|联合|配合|牵头|负责|协助|协同|组织|开展|"
                     r"做好|完成|加强|推进|落实|进行|加大|加快|提高|提升|推动|促进|确保|实现|完善|建立|进一步|"
                     r"根据|按照|通过|责令|督促")
_DESCRIBED = re.compile(r"(?:(?![要须，。；])[\u4e00-\u9fa5]){2,12}的(?:部门|单位)")
_BARE = frozenset({"部门", "单位", "科室", "村", "镇", "乡", "街道", "社区", "乡镇", "中心", "办", "局"})
_PIECE_SEP = re.compile(r"以及|[、和及与]")
_LIST_SEP_COMMA = re.compile(r"以及|[、，和及与]")
_KIND_ONLY = re.compile(r"街道办事处|街道|人民政府|政府|管委会|乡镇|镇|乡|村|社区|部门|单位|科室")
_FILLER = re.compile(r"^(?:(?:会议|同时|并且|并|另外|此外|其中|尤其是|特别是|最后|首先|[一二三四五六七八九十]{1,2}是|"
                     r"强调|要求|指出|明确|决定|议定|由|请|责令|本通报中|通报中|(?:\d{4}年)?\d{1,2}月(?:\d{1,2}[日号])?"
                     r"(?:上旬|中旬|下旬|底|末)?(?:前|之前|以前)?|年底前|年内|下周|本周)[，：]?)+")
_ROLE_NOUN = re.compile(r"(?:全体)?(?:班子成员|主要负责同志|主要负责人|负责同志|负责人|主要领导|分管领导|"
                        r"党政主要负责同志|一把手)")
_SUBJECT_CUE = re.compile(r"要|须|需|应|务必|必须|负责|牵头|于|在\d|按照|立即|尽快|"
                          r"抓紧|及时|全力|认真|切实|进一步|主动|加快|做好|完成|组织|开展|落实|对|将|把|迅速|"
                          r"严格|积极|尽早|每|\d{1,2}月|填报|报送|上报|提交|制定|建立|推进|加强|加大|实施|启动|"
                          r"督促|核查|整改|排查|清理|成立|加装|安装|召开|参加|会同|联合|按|下周|本周|近期|今年|年底|年内|"
                          r"[\d一二两三四五六七八九十]|研究|研处|阅处|办理|处理|抓好|牵头")
_ASKING = re.compile(r"要求|责令|督促|请|提出|强调|指出")
_MODAL = re.compile(r"要|须|需|应当|务必|必须")
_STRONG = [
    ("lead", re.compile(r"由(?P<x>[^，。；：\n]{2,40}?)(?:牵头|负责|主办|承办)")),
    ("co", re.compile(r"(?:^|[，。；：\n])(?P<x>[^，。；：\n]{2,40}?)(?:等(?:部门|单位))?(?:配合|协助|协同)"
                      r"(?!单位|部门)")),
]
_NOT_NAME = re.compile(r"要|须|应|将|对|把|在|的|了|同志|领导|积极|主动|认真|全力|共同|做好|进行|具体|分别|"
                       r"各自|密切|全面|统一|专门|主要")
_AFTER_WORD = [("co", re.compile(r"会同|联合|协调|组织")), ("lead", re.compile(r"请|要求|责令|望|希望"))]
_ASKED_SUFFIX = re.compile(r"[\u4e00-\u9fa5]{2,10}(?:场所|企业|商户|物业|经营户)")
GENERIC_GROUP = re.compile(r"(?:各|相关|有关|上述|该|多|各有关|各相关)?(?:单位|部门|科室)")
"""A group word that names no unit of its own ("相关单位" after the units were named)."""


@dataclass(frozen=True)
class NamedUnit:
    """A unit name as written, its span and the role its place gives it (lead, co or None)."""

    start: int
    end: int
    name: str
    role: str | None
    place: str = "role"
    """Where the name stands: "role" (由X牵头, 会同X, X配合), "asked" (请X, 要求X) or
    "subject" ("X要…")."""


def looks_like_unit(name: str, *, bare: bool = False) -> bool:
    """Whether ``name`` is shaped like a unit's name (or a group of units); a bare word
    (部门, 科室) only with ``bare`` (beside another name in a list)."""
    if not 2 <= len(name) <= 24 or (name in _BARE and not bare) or _NOT_UNIT.search(name):
        return False
    if _DESCRIBED.fullmatch(name):  # "整改不彻底的部门": the units a description fits
        return True
    if _VERBAL.search(name) or "的" in name:
        return False
    if name.startswith("各") and "、" in name:  # "各县、市、区政府": one group, written short
        name = name.replace("、", "")
    return bool(_UNIT.fullmatch(name))


def split_list(text: str, start: int, end: int, *, commas: bool = False) -> list[tuple[int, int]]:
    """Spans of a list of names in ``text[start:end]``: split at 、/和/及/与 (and ，with
    ``commas``) outside brackets, stripped of spaces and 等; a one-character piece joins its
    neighbours ("各县、市、区政府" is one name)."""
    sep = _LIST_SEP_COMMA if commas else _PIECE_SEP
    out, seg, depth = [], start, 0
    i = start
    while i < end:
        ch = text[i]
        depth += 1 if ch in "（(" else (-1 if ch in "）)" and depth > 0 else 0)
        m = sep.match(text, i) if depth == 0 else None
        if m:
            out.append((seg, i))
            seg = i = m.end()
            continue
        i += 1
    out.append((seg, end))
    spans: list[tuple[int, int]] = []
    short = False
    for a, b in out:
        while a < b and text[a] in " 　等":
            a += 1
        while b > a and text[b - 1] in " 　等":
            b -= 1
        if b <= a:
            continue
        joined = spans and text[spans[-1][1]] == "、" and (
            b - a == 1 or short or (_KIND_ONLY.fullmatch(text, a, b) and text[spans[-1][0]] == "各"))
        if joined:  # "各县、市、区政府", "各乡镇人民政府、街道办事处": one group, written short
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
        short = b - a == 1
    return spans


def _listed(text: str, start: int, end: int, role: str | None, any_name: bool) -> list[NamedUnit]:
    """The names of a list ``text[start:end]``; empty unless every piece is a name."""
    pieces = split_list(text, start, end)
    if not pieces:
        return []
    out = []
    for a, b in pieces:
        name = text[a:b].replace(" ", "")
        plausible = 2 <= len(name) <= 16 and not _NOT_NAME.search(name) and re.fullmatch(
            r"(?:[\u4e00-\u9fa5]|" + _BRACKET + ")+", name)
        if not (looks_like_unit(name) or (any_name and plausible) or (name in _BARE and len(pieces) > 1)):
            return []
        out.append(NamedUnit(a, b, name, role))
    return out


def _leading_list(text: str, start: int, end: int) -> tuple[list[NamedUnit], int]:
    """Unit names listed from ``start`` and where the list ends: each piece is the longest
    unit-shaped name followed by a list separator, a person's role or a verb of the subject."""
    out: list[NamedUnit] = []
    pos = start
    while pos < end:
        stop = min(end, pos + 24)
        ends = sorted(_suffix_ends(text, pos + 1, stop), reverse=True)
        best = next((k for k in ends if _fits(text, pos, k, end, bool(out))), None)
        if best is None:
            break
        out.append(NamedUnit(pos, best, text[pos:best], None))
        sep = _PIECE_SEP.match(text, best)
        if not sep:
            return out, best
        pos = sep.end()
    return out, pos


def _suffix_ends(text: str, start: int, stop: int) -> set[int]:
    """Every place in ``text[start:stop]`` where a unit's name could end (after a suffix, and
    after a bracketed note that follows one)."""
    ends: set[int] = set()
    for i in range(start, stop):
        for n in _SUFFIX_LENGTHS:
            if i + n <= stop and text[i:i + n] in _SUFFIXES:
                ends.add(i + n)
                note = _BRACKET_AT.match(text, i + n, stop)
                ends |= {note.end()} if note else set()
    return ends


def _fits(text: str, start: int, end: int, limit: int, listed: bool) -> bool:
    if not (_UNIT.fullmatch(text, start, end) and looks_like_unit(text[start:end], bare=listed)):
        return False
    return end >= limit or bool(_PIECE_SEP.match(text, end) or _ROLE_NOUN.match(text, end)
                                or _SUBJECT_CUE.match(text, end)
                                or text[end] in "，。；：、（(")


_SENTENCE_END = re.compile(r"[。；！？\n]")
_CLAUSE_START = re.compile(r"(?:^|(?<=[，。；：\n]))")


def _clause_end(text: str, pos: int, end: int) -> int:
    m = re.compile(r"[，。；：\n]").search(text, pos, end)
    return m.start() if m else end


def subject_names(text: str, start: int, end: int) -> list[NamedUnit]:
    """The units standing as the subject of the clause ``text[start:end]`` ("X、Y要…")."""
    head = start + len(text[start:end]) - len(_FILLER.sub("", text[start:end]))
    sentence_end = _SENTENCE_END.search(text, head, end)
    stop = _clause_end(text, head, end)
    names, after = _leading_list(text, head, stop)
    if not names:
        return []
    role = _ROLE_NOUN.match(text, after, stop)
    after = role.end() if role else after
    if _ASKING.match(text, after, stop):
        return []  # "省建设厅要求各市建设局…": the one who asks is no subject
    if after >= stop:  # "市直相关部门、各乡镇，对以上各项工作，要主动认领": the ask comes later
        stop = sentence_end.start() if sentence_end else end
    if _SUBJECT_CUE.match(text, after, stop) or _MODAL.search(text, after, stop):
        return names
    return []


def role_names(text: str, start: int, end: int) -> list[NamedUnit]:
    """Every unit named in a role place of ``text[start:end]`` (fields are read elsewhere)."""
    found: dict[int, NamedUnit] = {}
    for role, pattern in _STRONG:
        for m in pattern.finditer(text, start, end):
            for n in _listed(text, *m.span("x"), role, any_name=True):
                found.setdefault(n.start, n)
    for role, pattern in _AFTER_WORD:
        for m in pattern.finditer(text, start, end):
            stop = _clause_end(text, m.end(), end)
            names, _ = _leading_list(text, m.end(), stop)
            asked = _ASKED_SUFFIX.match(text, m.end(), stop) if role == "lead" else None
            if not names and asked:  # "要求集中充电场所加装…": the one asked to act
                names = [NamedUnit(asked.start(), asked.end(), asked.group(), None)]
            for n in names:
                place = "asked" if role == "lead" else "role"
                found.setdefault(n.start, NamedUnit(n.start, n.end, n.name, role, place))
    for m in _CLAUSE_START.finditer(text, start, end):
        for n in subject_names(text, m.end(), end):
            found.setdefault(n.start, NamedUnit(n.start, n.end, n.name, n.role, "subject"))
    return [found[k] for k in sorted(found)]
