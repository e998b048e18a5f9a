"""Unit names in text, matched against the directory snapshot.

Guarantees:

- a code is only ever one of the directory's units; a name that looks like a unit but is not in
  the directory is reported as unknown (as written), never mapped to a known code;
- short names without an organisational suffix (住建, 应急, 消防) count only in a list or a role
  context ("住建、应急、消防等部门", "由消防牵头", "综合执法部门"), so 消防安全 is not a unit;
- group words expand to every unit of a kind: 各县区 → districts, 各乡镇/镇街道 → towns
  (各职能部门 is too vague and stays unassigned); a bare group word (县区, 镇街道) counts only beside a concrete unit;
- nothing inside 《…》 is a unit, nor a unit named as a place ("在应急局值班室").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.intake.directory import Directory, DirectoryUnit
from engine.intake.segment import bracket_spans
from engine.intake.unit_forms import canonical, variants


@dataclass(frozen=True)
class UnitMention:
    """A unit named in text: ``codes`` empty when unknown, several when a group expands."""

    start: int
    end: int
    name: str
    codes: tuple[str, ...]
    group: bool = False


ORG_SUFFIXES = ("委员会", "办公室", "支队", "大队", "中队", "中心", "集团", "公司", "街道", "局",
                "委", "办", "区", "县", "镇", "室", "院", "所", "站", "处", "科", "厅")
GROUPS: dict[str, str] = {
    "各县区": "district", "各区县": "district", "各县（市、区）": "district", "各县市区": "district",
    "县区": "district", "区县": "district", "各乡镇（街道）": "town", "各乡镇街道": "town",
    "各镇街道": "town", "各镇街": "town", "各乡镇": "town", "各街道": "town", "镇街道": "town",
    "乡镇街道": "town",
}
_BARE_GROUPS = frozenset({"县区", "区县", "镇街道", "乡镇街道"})
GENERIC = frozenset({
    "各单位", "各有关单位", "有关单位", "相关单位", "有关部门", "相关部门", "各有关部门", "相关科室",
    "行业单位", "多部门", "各级", "属地", "行业部门", "主管部门", "各地", "我市", "全市", "市级",
    "各职能部门", "市直各部门", "各部门", "市直有关部门",
})
_WEAK_AFTER = re.compile(r"等?(?:部门|单位)|牵头|负责|配合|协助|协同|要|局")
_WEAK_BEFORE = ("由", "请", "会同", "联合", "：", ":")
_NOUN_TAIL = re.compile(r"演练|安全|设施|宣传|知识|器材|通道|管理(?!局)|培训|教育|救援|预案|物资|装备|"
                        r"队伍|车辆|车|站|工作|能力|指挥|服务|体系|力量")
_PLACE_TAIL = re.compile(r"值班室|会议室|大楼|院内|门口|大厅|长(?!效|期)|局长|副局长|主任|副主任|书记|政委")
_LIST_GAPS = frozenset({"、", "和", "及", "与", "以及"})
_LEVEL_PREFIX = re.compile(r"(?<![\u4e00-\u9fa5])[县区镇乡省](?:政府|委)?$")
_GROUP_TAIL = re.compile(r"(?:场|（[^）]{1,6}）)?(?:人民政府|政府)(?:（[^）]{1,6}）)?|场|（[^）]{1,6}）")
_SUFFIX_TAIL = re.compile(r"(?:消防救援|消防|公安|住建|应急|政府)?(?:大队|中队|支队|分局|局|办)")


def _forms(unit: DirectoryUnit) -> tuple[set[str], set[str]]:
    """(forms as the directory writes them, forms derived from those: short ↔ full words,
    with or without the level prefix)."""
    own = {unit.name, *unit.short_names}
    for form in list(own):
        if form.startswith("市") and len(form) > 2:
            own.add(form[1:])
        elif unit.kind == "department" and form.endswith(ORG_SUFFIXES):
            own.add("市" + form)
    derived = {v for form in own for v in variants(form)} - own
    return own, derived


def _strong(form: str) -> bool:
    return form.endswith(ORG_SUFFIXES) or len(form) >= 5


class UnitMatcher:
    """Finds unit mentions in text against one :class:`Directory` (build once, reuse)."""

    def __init__(self, directory: Directory) -> None:
        self._forms: dict[str, tuple[str, bool]] = {}
        kinds: dict[str, list[str]] = {}
        derived: dict[str, set[str]] = {}
        canon: dict[str, set[str]] = {}
        for unit in directory.units:
            kinds.setdefault(unit.kind, []).append(unit.code)
            own, more = _forms(unit)
            for form in own:
                self._forms.setdefault(form, (unit.code, _strong(form)))
            for form in more:
                derived.setdefault(form, set()).add(unit.code)
            for form in own:
                canon.setdefault(canonical(form), set()).add(unit.code)
        for form, codes in derived.items():  # a derived form two units share names neither
            if len(codes) == 1 and form not in self._forms:
                self._forms[form] = (next(iter(codes)), _strong(form))
        self._canonical = {key: next(iter(c)) for key, c in canon.items() if len(c) == 1}
        self._kinds = {kind: tuple(codes) for kind, codes in kinds.items()}
        self.codes = {unit.code for unit in directory.units}
        self.names = {unit.code: unit.name for unit in directory.units}
        self._kind_by_code = {unit.code: unit.kind for unit in directory.units}
        self._by_name = {f: c for f, (c, _) in self._forms.items()}
        surfaces = sorted({*self._forms, *GROUPS}, key=len, reverse=True)
        self._re = re.compile("|".join(map(re.escape, surfaces)))

    def resolve_name(self, name: str) -> str | None:
        """The code of the unit written exactly as ``name`` (any form, or a code), else None."""
        name = name.strip().replace(" ", "")
        if name in self.codes:
            return name
        return self._by_name.get(name) or self._canonical.get(canonical(name))

    def find(self, text: str, start: int, end: int) -> list[UnitMention]:
        """Unit mentions in ``text[start:end]``, left to right, after context checks."""
        titles = bracket_spans(text, start, end)
        raw: list[tuple[UnitMention, bool]] = []
        for m in self._re.finditer(text, start, end):
            if any(a <= m.start() < b for a, b in titles) or _PLACE_TAIL.match(text, m.end()):
                continue
            raw.append(self._other_level(text, start, m, raw) or self._mention(text, m, end))
        return [mention for mention, keep in _in_context(text, raw) if keep]

    def _other_level(self, text: str, start: int, m: re.Match[str],
                     raw: list[tuple[UnitMention, bool]]) -> tuple[UnitMention, bool] | None:
        """"县住建局", "青山县住建局", "县政府督查室": a county's or district's own body, named
        like a city unit, is proposed as unknown — never taken for the city unit."""
        surface = m.group()
        if surface not in self._forms or surface.startswith("市") or self._kind_of(surface) != "department" \
                or not self._forms[surface][1]:
            return None
        if raw and raw[-1][0].end == m.start() and self._kind_of(raw[-1][0].name) in (
                "district", "town"):
            prev = raw.pop()[0]
            return UnitMention(prev.start, m.end(), prev.name + surface, ()), True
        prefix = _LEVEL_PREFIX.search(text, max(start, m.start() - 3), m.start())
        if prefix is None:
            return None
        return UnitMention(prefix.start(), m.end(), prefix.group() + surface, ()), True

    def _kind_of(self, surface: str) -> str | None:
        code = self._forms.get(surface, ("", False))[0]
        return self._kind_by_code.get(code)

    def _mention(self, text: str, m: re.Match[str], end: int) -> tuple[UnitMention, bool]:
        """The mention for one surface match and whether it stands without context."""
        surface = m.group()
        if surface in GROUPS and surface not in self._forms:
            tail = _SUFFIX_TAIL.match(text, m.end(), end)
            if tail:  # "各县区大队" names other units than the districts themselves
                return UnitMention(m.start(), tail.end(), surface + tail.group(), ()), True
            codes = self._kinds.get(GROUPS[surface], ())
            more = _GROUP_TAIL.match(text, m.end(), end)
            stop = more.end() if more else m.end()  # "各乡镇场", "各乡镇人民政府" as written
            return UnitMention(m.start(), stop, text[m.start():stop], codes, True), \
                surface not in _BARE_GROUPS
        code, strong = self._forms[surface]
        return UnitMention(m.start(), m.end(), surface, (code,)), strong

    def unknown(self, piece: str, start: int, *, any_name: bool = False) -> UnitMention | None:
        """An unknown-unit proposal for ``piece`` when it looks like an organisation name.

        With ``any_name`` (a 牵头单位：… field) any 2–20 character Chinese name qualifies.
        """
        lead = len(piece) - len(piece.lstrip(" 　“”"))
        written = piece.strip(" 　“”。；;，,：:")
        piece = written.replace(" ", "")
        if (piece in GENERIC and not any_name) or "同志" in piece or not 2 <= len(piece) <= 24:
            return None
        if not re.fullmatch(r"[\u4e00-\u9fa5（）()0-9、]+", piece) or piece.startswith("、"):
            return None
        if any_name or piece.endswith(ORG_SUFFIXES):
            return UnitMention(start + lead, start + lead + len(written), piece, ())
        return None


def _in_context(text: str, raw: list[tuple[UnitMention, bool]]) -> list[tuple[UnitMention, bool]]:
    """Accept weak mentions that sit in a list with another unit or in a role context."""
    out: list[tuple[UnitMention, bool]] = []
    k = 0
    while k < len(raw):
        run = [raw[k]]
        while k + len(run) < len(raw):
            prev, nxt = run[-1][0], raw[k + len(run)][0]
            if text[prev.end:nxt.start] not in _LIST_GAPS:
                break
            run.append(raw[k + len(run)])
        k += len(run)
        out.extend(_judge_run(text, run))
    return out


def _judge_run(text: str, run: list[tuple[UnitMention, bool]]) -> list[tuple[UnitMention, bool]]:
    concrete = [m for m, _ in run if not (m.group and m.name in _BARE_GROUPS)]
    last = run[-1][0]
    noun_tail = bool(_NOUN_TAIL.match(text, last.end))
    if len(run) >= 2 and concrete and not noun_tail:
        return [(m, True) for m, _ in run]
    judged: list[tuple[UnitMention, bool]] = []
    for mention, keep in run:
        if not keep:
            before = text[max(0, mention.start - 2):mention.start]
            keep = bool(_WEAK_AFTER.match(text, mention.end)) or before.endswith(_WEAK_BEFORE)
            keep = keep and not (mention.group and mention.name in _BARE_GROUPS)
        judged.append((mention, keep))
    return judged
