"""Directives announced by a block: meetings, inspections and superior documents named by its
first sentence, and 12345 hotline reports.

A document named in 《…》 and cited as the ground of the work ("根据《…》") announces nothing;
an announcement of the document's own kind (the minutes' own meeting) is the document itself,
not a new directive; a hotline report yields no tasks of its own.
"""

from __future__ import annotations

import re

from engine.intake.people import leader_by_verbs
from engine.intake.registry import DirectiveRegistry, Event, clip
from engine.intake.segment import Block, Span, outside, sentence_at

HOTLINE = re.compile(r"12345|热线|市长信箱|便民服务平台")
_COMPLAINT = re.compile(r"反映|诉求|投诉|来电|来信|举报|工单|转办|求助")
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


def _clause(text: str, start: int | None, e: int, m: re.Match[str]) -> str:
    """Fallback title: the clause around a match (from ``start`` when given, e.g. so that an
    inspection's title keeps the leader who led it)."""
    a = max(text.rfind(c, 0, m.start()) for c in "，。；：") + 1
    b = min((i for i in (text.find(c, m.end(), e) for c in "，。；：") if i >= 0), default=e)
    return text[start if start is not None else a:b]


class AnnouncementReader(DirectiveRegistry):
    """Reads meetings, inspections, documents and hotline reports (see the module docstring)."""

    def _complaint(self, block: Block, pos: int) -> bool:
        """Whether the sentence naming the hotline at ``pos`` carries a citizen's report
        ("市民反映", "诉求", "工单") — not a hotline only named as a field of work."""
        sent = sentence_at(self.text, block, pos)
        return bool(_COMPLAINT.search(self.text, sent[0], sent[1]))

    def _hotline(self, block: Block, pos: int, quotes: list[Span]) -> Event:
        sent = sentence_at(self.text, block, pos)
        clause_end = min((i for i in (self.text.find(c, pos, block.end) for c in "，：。")
                          if i >= 0), default=block.end)
        body = next(((a + 1, b - 1) for a, b in quotes if a >= pos), None)
        issued = self.dates.first(sent[0], pos) or self.dates.first(block.start, block.end)
        directive = self.new("hotline", clip(self.text[sent[0]:clause_end]), (sent[0], sent[1]),
                             body=self.text[body[0]:body[1]] if body else "", issued_at=issued)
        return Event(directive, pos, None)

    def _structural(self, block: Block, first: Span, quotes: list[Span],
                    doc_kind: str | None) -> Event | None:
        """A meeting, inspection or document announced by the block's first sentence."""
        text, (s, e) = self.text, first
        cands: list[tuple[int, str, str]] = []
        for kind, pattern in (("meeting", _MEETING), ("inspection", _INSPECTION)):
            m = next((x for x in pattern.finditer(text, s, e) if outside(x.start(), quotes)), None)
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
        leader = leader_by_verbs(self.people, self.text, block) if kind != "document" \
            else (None, None)
        directive = self.new(kind, clip(name), (block.start, block.end), leader=leader,
                             issued_at=self.dates.first(s, pos),
                             body=self.text[block.start:block.end])
        return Event(directive, pos, (block.start, block.end))
