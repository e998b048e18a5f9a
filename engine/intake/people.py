"""People named in a document, and the leaders who issue its directives.

Guarantees: a person is only ever one of the directory's people; a leader-like mention the
directory does not resolve ("王市长") is returned as written, never mapped to someone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.intake.directory import DirectoryPerson
from engine.intake.segment import Block, bracket_spans, outside, sentence_at
from engine.org.naming import given_name, title_forms

_TITLES = ("常务副市长", "副市长", "市长", "副书记", "书记", "副秘书长", "秘书长", "支队长", "政委", "副主席",
           "副局长", "局长", "副主任", "主任", "副区长", "区长", "副县长", "县长", "部长", "主席")
_LEADER_LIKE = re.compile(rf"[\u4e00-\u9fa5]{{1,3}}?(?:{'|'.join(_TITLES)})")
_LEAD_VERBS = re.compile(r"提出|要求|强调|指出|部署|主持|讲话|带队")


SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕"
    "单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦"
    "褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明"
    "佘池乐匡钮卿")
"""Common surnames (prepositions such as 于、向、由 left out): a given name right after one of
them belongs to that surname."""


@dataclass(frozen=True)
class PersonMention:
    """A person named in the text."""

    start: int
    end: int
    person: DirectoryPerson


class PersonMatcher:
    """Finds directory people by name, alias, name/given name + title, or + 同志."""

    def __init__(self, people: tuple[DirectoryPerson, ...]) -> None:
        self._forms: dict[str, DirectoryPerson] = {}
        given_in_list: dict[str, DirectoryPerson] = {}
        for person in people:
            titles = [t for t in _TITLES if person.title.endswith(t)][:1] + [person.title, "同志"]
            for form in (person.name, *person.aliases, *title_forms(person.name, titles)):
                self._forms.setdefault(form, person)
            given_in_list.setdefault(given_name(person.name), person)
        surfaces = sorted(self._forms, key=len, reverse=True)
        lists = sorted(given_in_list, key=len, reverse=True)
        self._re = re.compile("|".join(map(re.escape, surfaces)) or "(?!)")
        self._list_re = re.compile(
            "(?:" + ("|".join(map(re.escape, lists)) or "(?!)") + r")(?=、[^，。；]{0,12}?同志)")
        self._given = given_in_list
        self.conflicts: dict[str, str] = {}
        """Mentions like "刘占明副市长" left unmatched → the directory name they resemble."""

    def find(self, text: str, start: int, end: int) -> list[PersonMention]:
        """People named in ``text[start:end]``, left to right, never overlapping.

        A given name written after another surname ("刘占明副市长" when the directory holds
        李占明) names someone else: it is not matched, and the clash is kept in
        :attr:`conflicts` for the office."""
        found = {m.start(): PersonMention(m.start(), m.end(), self._forms[m.group()])
                 for m in self._re.finditer(text, start, end)
                 if not self._other_surname(text, m.start(), self._forms[m.group()], m.end())}
        for m in self._list_re.finditer(text, start, end):
            person = self._given[m.group()]
            if not any(p.start <= m.start() < p.end for p in found.values()) and \
                    not self._other_surname(text, m.start(), person, m.end()):
                found[m.start()] = PersonMention(m.start(), m.end(), person)
        return [found[k] for k in sorted(found)]

    def _other_surname(self, text: str, pos: int, person: DirectoryPerson, end: int) -> bool:
        if pos == 0 or text.startswith(person.name, pos) or len(person.name) != 3:
            return False
        before = text[pos - 1]
        if before not in SURNAMES or before == person.name[0]:
            return False
        self.conflicts[before + text[pos:end]] = person.name
        return True


def leader_before(people: PersonMatcher, text: str, start: int, pos: int
                  ) -> tuple[DirectoryPerson | None, str | None]:
    """The person named last in ``text[start:pos]`` outside quotes, and the mention as written;
    else an unresolved "X市长"-like mention, else (None, None)."""
    quotes = bracket_spans(text, start, pos, "“", "”")
    unquoted = [p for p in people.find(text, start, pos)
                if not any(a <= p.start < b for a, b in quotes)]
    if unquoted:
        return unquoted[-1].person, text[unquoted[-1].start:unquoted[-1].end]
    tail = text[start:pos]
    like = [m for m in _LEADER_LIKE.finditer(tail) if not any(
        a - start <= m.start() < b - start for a, b in quotes)]
    return (None, like[-1].group()) if like else (None, None)


def leader_by_verbs(people: PersonMatcher, text: str, block: Block
                    ) -> tuple[DirectoryPerson | None, str | None]:
    """The resolved person named just before 提出/要求/部署/主持… in ``block``."""
    quotes = bracket_spans(text, block.start, block.end, "“", "”")
    for m in _LEAD_VERBS.finditer(text, block.start, block.end):
        if not outside(m.start(), quotes):
            continue
        sent = sentence_at(text, block, m.start())
        person, mention = leader_before(people, text, sent[0], m.start())
        if person:
            return person, mention
    return None, None
