"""Leader instructions: 批示, 跟批 and 圈阅 in running text, and the entries of a 批示单.

Guarantees: an instruction needs a leader named before it in its sentence (resolved, or written
like one); one only referred to ("批示精神", "按照…批示") is none; a read-only one (圈阅, a body
that asks to read and not to handle) gets no task region; a 跟批 follows the instruction of a
leader it names, else the last one.
"""

from __future__ import annotations

import re

from engine.intake.directory import DirectoryPerson
from engine.intake.people import leader_before
from engine.intake.registry import DirectiveRegistry, Event, clip
from engine.intake.segment import Block, Span, bracket_spans, outside, sentence_at

INSTRUCTION = re.compile(r"(?:作出|做出|进行|予以)?(?P<k>跟批|批示|圈阅|阅示|圈批|批阅)")
_REFERENCE = re.compile(r"(?:按照|根据|贯彻|落实|遵照|学习)[^，。；]{0,12}$")
_HANDLING = re.compile(r"落实|整改|督办|梳理|报送|上报|办理|研究|处理|核查|解决|推进|抓好|跟进|研提|"
                       r"调查|排查|部署|组织|开展|制定|报告|反馈|做好|加大|完善|督促|牵头|负责")
_READ_ASK = re.compile(r"阅(?!读)|参阅|阅知|参考")
_CITING = ("上述", "该", "此", "有关", "相关", "领导", "各项", "市委", "市政府")
_SHEET_HEAD = re.compile(r"\s*(?:[（(]([^）)]{2,16})[）)])?\s*(?:批示)?[：:]")
_KIND_WORD = {"跟批": "跟批", "批示": "批示", "圈阅": "圈阅", "阅示": "阅示", "圈批": "圈阅",
              "批阅": "圈阅"}


class InstructionReader(DirectiveRegistry):
    """Reads leader instructions (see the module docstring)."""

    def _instruction(self, block: Block, m: re.Match[str], quotes: list[Span],
                     previous: Event | None) -> Event | None:
        text = self.text
        if not outside(m.start(), quotes) or text.startswith(("精神", "要求", "件"), m.end()) \
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
        title = clip(f"{leader[1]}{_KIND_WORD[m['k']]}：{clip(subject, 24)}")
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
            clip(f"{mention}{'跟批' if follows else '批示'}：{clip(text, 24)}"),
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
