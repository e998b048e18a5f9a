"""Directives in a document: leader instructions, follow-ups, read-only marks, meetings,
inspections, hotline reports and superior documents; and the leaders who issue them.

Guarantees: a leader is named (``issued_by``) only when the directory resolves the mention; an
unresolved mention is kept as written in ``issued_by_mention``. A directive's date is only
produced from text in the document (see :class:`engine.intake.segment.DateReader`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from engine.intake.segment import (
    DATE_NUM,
    Block,
    DateReader,
    Span,
    bracket_spans,
    sentences,
)
from engine.intake.units import DirectoryPerson

_TITLES = ("常务副市长", "副市长", "市长", "副书记", "书记", "副秘书长", "秘书长", "支队长", "政委", "副主席",
           "副局长", "局长", "副主任", "主任", "副区长", "区长", "副县长", "县长", "部长", "主席")
_LEADER_LIKE = re.compile(rf"[\u4e00-\u9fa5]{{1,3}}?(?:{'|'.join(_TITLES)})")


@dataclass
class DraftDirective:
    """A directive found in the text; ``key`` is local to one analysis ("D1", "D2" …)."""

    key: str
    kind: str
    title: str
    text: str
    issued_by: str | None
    issued_by_mention: str | None
    issued_at: date | None
    parent_key: str | None
    read_only: bool
    source_span: tuple[int, int]


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
            given = person.name[1:] if len(person.name) == 3 else person.name
            titles = [t for t in _TITLES if person.title.endswith(t)][:1] + [person.title, "同志"]
            for form in (person.name, *person.aliases):
                self._forms.setdefault(form, person)
            for title in filter(None, titles):
                self._forms.setdefault(person.name + title, person)
                self._forms.setdefault(given + title, person)
            given_in_list.setdefault(given, person)
        surfaces = sorted(self._forms, key=len, reverse=True)
        lists = sorted(given_in_list, key=len, reverse=True)
        self._re = re.compile("|".join(map(re.escape, surfaces)) or "(?!)")
        self._list_re = re.compile(
            "(?:" + ("|".join(map(re.escape, lists)) or "(?!)") + r")(?=、[^，。；]{0,12}?同志)")
        self._given = given_in_list

    def find(self, text: str, start: int, end: int) -> list[PersonMention]:
        """People named in ``text[start:end]``, left to right, never overlapping."""
        found = {m.start(): PersonMention(m.start(), m.end(), self._forms[m.group()])
                 for m in self._re.finditer(text, start, end)}
        for m in self._list_re.finditer(text, start, end):
            if not any(p.start <= m.start() < p.end for p in found.values()):
                found[m.start()] = PersonMention(m.start(), m.end(), self._given[m.group()])
        return [found[k] for k in sorted(found)]


def leader_before(people: PersonMatcher, text: str, start: int, pos: int
                  ) -> tuple[DirectoryPerson | None, str | None]:
    """The person named last in ``text[start:pos]`` outside quotes, and the mention as written;
    else an unresolved "X市长"-like mention, else (None, None)."""
    quotes = bracket_spans(text, start, pos, "“", "”")
    outside = [p for p in people.find(text, start, pos)
               if not any(a <= p.start < b for a, b in quotes)]
    if outside:
        return outside[-1].person, text[outside[-1].start:outside[-1].end]
    tail = text[start:pos]
    like = [m for m in _LEADER_LIKE.finditer(tail) if not any(
        a - start <= m.start() < b - start for a, b in quotes)]
    return (None, like[-1].group()) if like else (None, None)


def sentence_at(text: str, block: Block, pos: int) -> Span:
    """The sentence of ``block`` that contains ``pos``."""
    for span in sentences(text, block.start, block.end):
        if span[0] <= pos < span[1]:
            return span
    return block.start, block.end


_INSTR = re.compile(r"(?:作出|做出|进行|予以)?(?P<k>跟批|批示|圈阅|阅示|圈批|批阅)")
_REFERENCE = re.compile(r"(?:按照|根据|贯彻|落实|遵照|学习)[^，。；]{0,12}$")
_HANDLING = re.compile(r"落实|整改|督办|梳理|报送|上报|办理|研究|处理|核查|解决|推进|抓好|跟进|研提|"
                       r"调查|排查|部署|组织|开展|制定|报告|反馈|做好|加大|完善|督促|牵头|负责")
_READ_ASK = re.compile(r"阅(?!读)|参阅|阅知|参考")
_HOTLINE = re.compile(r"12345|热线|市长信箱|便民服务平台")
_MEETING = re.compile(r"主持召开|组织召开|召开|听取[^，。；]{0,40}?汇报|常委会|常务会议|专题会议|推进会|"
                      r"调度会")
_MEETING_NAME = re.compile(r"召开([^，。；：]{2,60}(?:会议|推进会|常委会|调度会|座谈会|专题会))")
_INSPECTION = re.compile(r"明察暗访|检查组|督导组|督查组|暗访|检查发现|督查发现|"
                         r"带队[^，。；]{0,30}?(?:检查|督查|督导)|"
                         r"(?:开展|进行)了[^，。；]{0,12}(?:检查|督查|督导)")
_DOC_NAME = re.compile(r"《([^》]{2,80}(?:通知|方案|清单|意见|通报|办法|规定|计划|要点|函|决定|纲要))》")
_DOC_BEFORE = re.compile(r"(?:下发|印发|出台|转发|发布|下达)[^，。；《]{0,16}$|"
                         r"(?:办公厅|办公室|委员会|政府|总队|支队|局|委|厅|部)$")
_DOC_PLAIN = re.compile(r"(?:下发|印发|转发|出台)了?((?:关于[^，。；]{2,80}|[^，。；《》]{2,40}?)"
                        r"(?:通报|通知|方案|意见|清单|办法|计划))")
_CITED = re.compile(r"(?:根据|按照|依据|贯彻|落实|对照)[^，。；]{0,20}$")
_LEAD_VERBS = re.compile(r"提出|要求|强调|指出|部署|主持|讲话|带队")
_LEADING_DATE = re.compile(r"^(?:(?:\d{4}年)?\d{1,2}月\d{1,2}[日号][，,]?|\d{1,2}[日号][，,]|上月[，,]|"
                           r"\d{1,2}月份[，,])")
_OPENING_DATE = re.compile(rf"(?:\d{{4}}年)?{DATE_NUM}月{DATE_NUM}[日号](?![前至起])")
_CITING = ("上述", "该", "此", "有关", "相关", "领导", "各项", "市委", "市政府")
_SHEET_HEAD = re.compile(r"\s*(?:[（(]([^）)]{2,16})[）)])?\s*(?:批示)?[：:]")
_KIND_WORD = {"跟批": "跟批", "批示": "批示", "圈阅": "圈阅", "阅示": "阅示", "圈批": "圈阅",
              "批阅": "圈阅"}
_TITLE_KINDS = [("hotline", re.compile(r"12345|热线|转办单|工单")),
                ("plan", re.compile(r"分工|任务清单|责任清单|任务分解|台账")),
                ("inspection", re.compile(r"督查|督察|检查|暗访|巡查")),
                ("meeting", re.compile(r"纪要|会议|推进会|调度会")),
                ("instruction", re.compile(r"批示")),
                ("document", re.compile(r"督办|交办|通知|方案|意见|函|清单"))]


@dataclass
class Event:
    """A directive found in one block; tasks come from ``region`` (None: no tasks)."""

    directive: DraftDirective
    pos: int
    region: Span | None


def title_kind(title: str) -> str | None:
    """Directive kind a document title announces; None for a bulletin (…情况通报)."""
    if title.endswith("通报") and not re.search("督查|督察|检查|暗访", title):
        return None
    title = title.replace("督查室", "")  # the office's own name says nothing of the kind
    return next((kind for kind, pattern in _TITLE_KINDS if pattern.search(title)), None)


def _outside(pos: int, quotes: list[Span]) -> bool:
    return not any(a <= pos < b for a, b in quotes)


def _clause(text: str, start: int | None, e: int, m: re.Match[str]) -> str:
    """Fallback title: the clause around a match (from ``start`` when given, e.g. so that an
    inspection's title keeps the leader who led it)."""
    a = max(text.rfind(c, 0, m.start()) for c in "，。；：") + 1
    b = min((i for i in (text.find(c, m.end(), e) for c in "，。；：") if i >= 0), default=e)
    return text[start if start is not None else a:b]


def _clip(text: str, limit: int = 40) -> str:
    text = _LEADING_DATE.sub("", text.strip(" ，,：:。"))
    return text if len(text) <= limit else text[:limit]


class DirectiveFinder:
    """Creates :class:`DraftDirective` records in document order, keys D1, D2 …"""

    def __init__(self, text: str, people: PersonMatcher, dates: DateReader) -> None:
        self.text = text
        self.people = people
        self.dates = dates
        self.directives: list[DraftDirective] = []

    def new(self, kind: str, title: str, span: Span, *, body: str = "",
            leader: tuple[DirectoryPerson | None, str | None] = (None, None),
            issued_at: date | None = None, parent: str | None = None,
            read_only: bool = False) -> DraftDirective:
        """Register a directive and return it."""
        person, mention = leader
        directive = DraftDirective(
            f"D{len(self.directives) + 1}", kind, title, body, person.name if person else None,
            mention, issued_at, parent, read_only, span)
        self.directives.append(directive)
        return directive

    def doc_level(self, title_block: Block, first_blocks: list[Block]) -> DraftDirective | None:
        """The directive the whole document is (minutes, notice, 转办单 …), if its title says."""
        title = self.text[title_block.start:title_block.end]
        kind = title_kind(title)
        if kind is None:
            return None
        leader: tuple[DirectoryPerson | None, str | None] = (None, None)
        for block in first_blocks if kind in ("meeting", "inspection") else []:
            leader = self._leader_by_verbs(block)
            if leader[0]:
                break
        span = (title_block.start, title_block.end)
        opening = [_OPENING_DATE.match(self.text, b.start, b.end) for b in first_blocks[:3]]
        day = next((self.dates.first(m.start(), m.end()) for m in opening if m), None)
        return self.new(kind, title, span, leader=leader, issued_at=day or self.dates.anchor)

    def events(self, block: Block, doc_kind: str | None) -> list[Event]:
        """Directives announced in ``block``, in text order, each with its task region."""
        quotes = bracket_spans(self.text, block.start, block.end, "“", "”")
        found: list[Event] = []
        hot = next((m for m in _HOTLINE.finditer(self.text, block.start, block.end)
                    if _outside(m.start(), quotes)), None) if doc_kind != "hotline" else None
        if hot:
            found.append(self._hotline(block, hot.start(), quotes))
        for m in _INSTR.finditer(self.text, block.start, block.end):
            event = self._instruction(block, m, quotes, found[-1] if found else None)
            if event:
                found.append(event)
        sheet = self._sheet_entry(block) if not found else None
        found += [sheet] if sheet else []
        first = sentences(self.text, block.start, block.end)[0]
        if not any(e.pos < first[1] for e in found):
            structural = self._structural(block, first, quotes, doc_kind)
            if structural:
                found.insert(0, structural)
        return found

    def _instruction(self, block: Block, m: re.Match[str], quotes: list[Span],
                     previous: Event | None) -> Event | None:
        text = self.text
        if not _outside(m.start(), quotes) or text.startswith(("精神", "要求", "件"), m.end()) \
                or text[max(0, m.start() - 2):m.start()].endswith(_CITING):
            return None  # "批示精神", "上述批示": an instruction referred to, not given
        sent = sentence_at(text, block, m.start())
        if _REFERENCE.search(text, sent[0], m.start()):
            return None
        leader = leader_before(self.people, text, sent[0], m.start())
        if leader[1] is None:
            return None
        kind = {"跟批": "followup", "批示": "instruction"}.get(m["k"], "read")
        body = self._body(m.end(), block, quotes) if kind != "read" else None
        body_text = text[body[0]:body[1]] if body else ""
        read_only = kind == "read" or (bool(_READ_ASK.search(body_text))
                                       and not _HANDLING.search(body_text))
        parent = previous.directive.key if previous else None
        addressed_in = self._addressed_in(leader[0])
        if kind == "instruction" and parent is None and addressed_in:
            kind, parent = "followup", addressed_in  # 请立军同志… then 陈立军批示：a 跟批
        if kind == "followup" and parent is None:
            parent = self._followed(body)
        cited = bracket_spans(text, sent[0], m.start()) + bracket_spans(
            text, sent[0], m.start(), "“", "”")
        subject = text[cited[-1][0] + 1:cited[-1][1] - 1] if cited else body_text
        title = _clip(f"{leader[1]}{_KIND_WORD[m['k']]}：{_clip(subject, 24)}")
        issued = self.dates.first(sent[0], m.start()) or self.dates.first(block.start, block.end)
        directive = self.new(kind, title, (sent[0], body[1] + 1 if body else m.end()),
                             body=body_text, leader=leader, issued_at=issued, parent=parent,
                             read_only=read_only)
        return Event(directive, m.start(), None if read_only else body)

    def _sheet_entry(self, block: Block) -> Event | None:
        """"刘占明副市长（4月7日）：请…" — one leader's entry on a 批示单; a later entry that
        agrees with or names an earlier leader follows that leader's instruction."""
        people = self.people.find(self.text, block.start, min(block.end, block.start + 16))
        head = _SHEET_HEAD.match(self.text, people[0].end, block.end) if people else None
        if head is None or people[0].start != block.start:
            return None
        body = (head.end(), block.end)
        text = self.text[head.end():block.end]
        named = {p.person.name for p in self.people.find(self.text, *body)}
        earlier = [d for d in self.directives if d.kind in ("instruction", "followup")]
        follows = bool(earlier) and (text.startswith("同意") or any(
            d.issued_by in named for d in earlier))
        read_only = bool(_READ_ASK.search(text)) and not _HANDLING.search(text)
        mention = self.text[people[0].start:people[0].end]
        issued = self.dates.first(*head.span(1)) if head.group(1) else None
        directive = self.new(
            "followup" if follows else "instruction",
            _clip(f"{mention}{'跟批' if follows else '批示'}：{_clip(text, 24)}"),
            (block.start, block.end), body=text, leader=(people[0].person, mention),
            issued_at=issued or self.dates.first(block.start, block.end),
            parent=self._followed(body) if follows else None, read_only=read_only)
        return Event(directive, block.start, None if read_only else body)

    def _addressed_in(self, person: DirectoryPerson | None) -> str | None:
        """The last earlier instruction that asked ``person`` (请X同志…) to act, if any."""
        for d in reversed(self.directives):
            if person and d.kind in ("instruction", "followup") and not d.read_only and any(
                    p.person is person for p in self.people.find(d.text, 0, len(d.text))):
                return d.key
        return None

    def _body(self, after: int, block: Block, quotes: list[Span]) -> Span | None:
        for a, b in quotes:
            if after <= a <= after + 3:
                return a + 1, b - 1
        if self.text[after:after + 1] in ("：", ":", "，", ","):
            return after + 1, block.end
        return None

    def _followed(self, body: Span | None) -> str | None:
        """The directive a 跟批 follows: the one by a leader it names, else the last instruction."""
        named = {p.person.name for p in self.people.find(self.text, *body)} if body else set()
        candidates = [d for d in self.directives if d.kind in ("instruction", "followup")]
        by_named = [d for d in candidates if d.issued_by in named]
        chosen = (by_named or candidates)[-1:] if (by_named or candidates) else []
        return chosen[0].key if chosen else None

    def _hotline(self, block: Block, pos: int, quotes: list[Span]) -> Event:
        sent = sentence_at(self.text, block, pos)
        clause_end = min((i for i in (self.text.find(c, pos, block.end) for c in "，：。")
                          if i >= 0), default=block.end)
        body = next(((a + 1, b - 1) for a, b in quotes if a >= pos), None)
        issued = self.dates.first(sent[0], pos) or self.dates.first(block.start, block.end)
        directive = self.new("hotline", _clip(self.text[sent[0]:clause_end]), (sent[0], sent[1]),
                             body=self.text[body[0]:body[1]] if body else "", issued_at=issued)
        return Event(directive, pos, None)

    def _structural(self, block: Block, first: Span, quotes: list[Span],
                    doc_kind: str | None) -> Event | None:
        """A meeting, inspection or document announced by the block's first sentence."""
        text, (s, e) = self.text, first
        cands: list[tuple[int, str, str]] = []
        for kind, pattern in (("meeting", _MEETING), ("inspection", _INSPECTION)):
            m = next((x for x in pattern.finditer(text, s, e) if _outside(x.start(), quotes)), None)
            if m:
                named = _MEETING_NAME.search(text, m.start(), e) if kind == "meeting" else None
                title = _clause(text, s if kind == "inspection" else None, e, m)
                cands.append((m.start(), kind, named.group(1) if named else title))
        for m in _DOC_NAME.finditer(text, s, e):
            before = text[s:m.start()]
            if (_DOC_BEFORE.search(before) or not before.strip(" ，,")) and not _CITED.search(before):
                kind = "plan" if re.search("任务清单|责任清单|分工", m.group(1)) else "document"
                cands.append((m.start(), kind, m.group(1)))
                break
        plain = _DOC_PLAIN.search(text, s, e)
        if plain and not cands:
            cands.append((plain.start(), "document", plain.group(1)))
        if not cands:
            return None
        pos, kind, name = min(cands)
        if kind == doc_kind:
            return None
        leader = self._leader_by_verbs(block) if kind != "document" else (None, None)
        directive = self.new(kind, _clip(name), (block.start, block.end), leader=leader,
                             issued_at=self.dates.first(s, pos),
                             body=self.text[block.start:block.end])
        return Event(directive, pos, (block.start, block.end))

    def _leader_by_verbs(self, block: Block) -> tuple[DirectoryPerson | None, str | None]:
        """The resolved person named just before 提出/要求/部署/主持… in ``block``."""
        quotes = bracket_spans(self.text, block.start, block.end, "“", "”")
        for m in _LEAD_VERBS.finditer(self.text, block.start, block.end):
            if not _outside(m.start(), quotes):
                continue
            sent = sentence_at(self.text, block, m.start())
            person, mention = leader_before(self.people, self.text, sent[0], m.start())
            if person:
                return person, mention
        return None, None
