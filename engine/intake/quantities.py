"""Quantity targets of a task ("新建消火栓100个"): an amount and its measure after a target verb
in a requirement clause; counts of work done, comparisons and parts of deadlines are none.
"""

from __future__ import annotations

import re

from engine.intake.clauses import Clause
from engine.intake.segment import cn_number

_QTY = re.compile(r"(\d+(?:\.\d+)?|[两二三四五六七八九十]{1,3})\s*(万?(?:平方米|公里|千米|元|人次|"
                  r"[个具亩处台套家所座米户辆条份项场栋间只块吨部支批名棵株盏组张人次]))(?!月|工作日|小时|"
                  r"季度|方面|阶段|左右|岁)")
_TARGET_VERB = re.compile(r"完成|新建|建设|建成|改造|新增|达到|安装|配备|实现|培训|种植|整治|治理|打造|"
                          r"创建|修复|拆除|清理|更新|铺设|增加|征收|流转|收储|招引|开工|投放|购置|排查|"
                          r"抽查|建立|设置|配置|发放|举办|提升至|补充|更换|复垦|供应|确定|培育|评选|认定|建")
_OWN_VERB = re.compile(r"认定|排查|督办|决定|发现|查出|确定|反映|涉及|包括")
_NOT_TARGET = re.compile(r"其中|共|累计|已|较|增长|比|超过|第")


_SHARE_HEAD = re.compile(r"其中[，：]?")
_SHARE = re.compile(r"([\u4e00-\u9fa5（）]{2,12}?)(\d+(?:\.\d+)?)\s*(万?(?:户|个|人|处|所|家|条|公里|亩|吨|座|"
                    r"台|套|辆|项|栋|间))(?=[、，；。]|$)")


def shares(text: str, start: int, end: int) -> list[tuple[int, int, str, float, str]]:
    """A target shared out among units ("其中，太原市550户、大同市1300户…"): for each share its
    span, the unit's name as written, the amount and the measure; empty unless the clause is
    such a list of at least two shares."""
    head = _SHARE_HEAD.match(text, start, end)
    if head is None and not re.search(r"其中[，：]?\s*$", text[max(0, start - 4):start]):
        return []
    found = [(m.start(), m.end(), m.group(1), float(m.group(2)), m.group(3))
             for m in _SHARE.finditer(text, head.end() if head else start, end)]
    return found if len(found) >= 2 else []


def quantity_targets(text: str, ch: list[Clause]) -> list[tuple[Clause, float, str, str]]:
    """Quantity targets (clause, amount, measure, verb) in requirement clauses."""
    found: list[tuple[Clause, float, str, str]] = []
    asks = [c for c in ch if c.cls in ("req", "act")]
    for c in ch:  # a neutral clause with a verb of its own ("最终认定15处隐患") sets no target
        if c.cls not in ("req", "act", "neu") or (c.cls == "neu" and asks and _OWN_VERB.search(
                text, c.start, c.end)):
            continue
        for m in _QTY.finditer(text, c.start, c.end):
            before = text[c.start:m.start()]
            if _NOT_TARGET.search(before[-4:]) or any(d.start <= m.start() < d.end
                                                      for d in c.deadlines):
                continue
            verbs = _TARGET_VERB.findall(before)
            verb = verbs[-1] if verbs else (found[-1][3] if found else "")
            amount = float(m.group(1)) if m.group(1)[0].isdigit() else cn_number(m.group(1))
            if verb and amount:
                found.append((c, float(amount), m.group(2), verb))
    return found
