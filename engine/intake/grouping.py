"""Where one task ends and the next begins: the clauses of a region grouped into tasks.

A new task starts where a new unit becomes the subject; where a sentence asks something of its
own ("…；要以…为抓手，确保…；要建立台账…"), unless it goes on from the one before (并/同时/确保…) or
only hands it to a unit ("请市规划部门研究落实"); where a second date in the same sentence sets
another piece of work ("建设项目于10月底完工，安保工程于11月15日完工", "…，并于2月26日前上报");
and where a periodic duty meets a one-off one. Statements between two asks separate them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from engine.intake.clauses import Clause, actionable
from engine.intake.org_names import GENERIC_GROUP


def _category(cl: list[Clause]) -> set[str]:
    return {d.category for c in cl for d in c.deadlines}


def chunk(items: list[Clause], text: str = "") -> list[list[Clause]]:
    """Group clauses into tasks (see the module docstring for where a task starts)."""
    chunks: list[list[Clause]] = []
    cur: list[Clause] = []
    asks = _sentences_that_ask(items, text)
    for c in items:
        if c.cls in ("neg", "sup"):
            if cur and actionable(cur):
                chunks.append(cur)
            cur = []  # a statement between two asks separates them; a lead-in before it goes
            continue
        if cur and actionable(cur) and (_starts_new(cur, c) or (
                c.sent != cur[-1].sent and c.sent in asks)):
            moved: list[Clause] = []
            while cur and cur[-1].sent == c.sent and cur[-1].cls != "req":
                moved.insert(0, cur.pop())
            chunks.append(cur)
            cur = moved
        cur.append(c)
    if cur:
        chunks.append(cur)
    return [ch for ch in chunks if actionable(ch)]


_GOES_ON = re.compile(r"(?:并且?|同时|确保|做到|切实|从而|以便|进而|特别是|尤其是|其中|对此|为此|"
                      r"[^，。；]{0,20}的[，,]请)")


def _sentences_that_ask(items: list[Clause], text: str) -> set[int]:
    """Sentences that make a requirement of their own ("…；要以…为抓手，…；要建立台账…"): they
    hold an ask, do not go on from the one before (并/同时/确保…) and name no unit that only
    cooperates."""
    by_sent: dict[int, list[Clause]] = {}
    for c in items:
        by_sent.setdefault(c.sent, []).append(c)
    return {k for k, cl in by_sent.items()
            if any(c.cls == "req" for c in cl) and not any(c.cooperates for c in cl)
            and not (text and (_GOES_ON.match(text, cl[0].start)
                               or _HANDS_ON.fullmatch(text, cl[0].start, cl[-1].end)))}


_HANDS_ON = re.compile(r"请[^，。；]{1,20}?(?:研究落实|抓好落实|认真落实|落实|研究办理|办理|阅处|研处|研究处理|"
                       r"牵头落实|牵头办理)[。；]?")
""""请市规划部门研究落实。": hands the requirement before it to a unit; no task of its own."""


def _starts_new(cur: list[Clause], c: Clause) -> bool:
    if any(d.field for d in c.deadlines):
        return False
    lead = next((x.subject for x in cur if x.subject), frozenset())
    generic = all(GENERIC_GROUP.fullmatch(name) for name in c.subject)
    if c.subject and c.subject != lead and c.cls != "role" and not c.cooperates and not (
            generic and not lead):
        return True
    mine, theirs = _category([c]), _category(cur)
    timed = [x for x in cur if x.sent == c.sent and x.cls == "neu" and x.deadlines][-1:]
    if timed and cur[-1] is timed[0] and not mine:  # "并于2月26日前，将…上报": the time
        mine, c = _category(timed), replace(c, deadlines=timed[0].deadlines,  # leads the duty
                                            opens=c.opens or timed[0].opens)
        cur = cur[:-1]
    if not mine or not cur:
        return False
    if "point" in mine and "point" in theirs and c.sent == cur[-1].sent and c.cls == "req" \
            and _other_date(cur, c) and (c.opens or not lead):
        return True  # "建设项目于10月底完工，安保工程于11月15日完工"; "…，并于2月26日前上报"
    if mine & {"recurring", "window"} and mine != theirs and (theirs or c.sent != _last_req(cur)):
        return True
    if "point" in mine and theirs & {"recurring", "window"}:
        return True
    return c.sent != _last_req(cur) and "point" in theirs and "point" in mine


def _other_date(cur: list[Clause], c: Clause) -> bool:
    """Whether ``c`` sets a date that differs from every date of ``cur``."""
    def days(cl: list[Clause]) -> set[object]:
        return {d.resolved.due_at if d.resolved else d.text for x in cl for d in x.deadlines
                if d.category == "point" and ((d.resolved and d.strong)
                                              or (d.resolved is None and not d.strong))}
    return bool(days([c])) and bool(days(cur)) and not days([c]) & days(cur)


def _last_req(cur: list[Clause]) -> int:
    return max((x.sent for x in cur if x.cls == "req"), default=cur[-1].sent)
