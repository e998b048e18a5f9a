"""Requirements → draft tasks.

A region of text (an instruction's words, a meeting paragraph, one enumerated item) becomes
tasks: :mod:`.clauses` classes its clauses and groups the requirements into tasks (a new task
starts where a new unit becomes the subject, where a second deadline of another sentence
appears, or where a periodic duty follows a one-off one); this module gives each group its
units, title, requirement text, timing (:mod:`.deadline_text`, :mod:`.timing`), quantity target
(:mod:`.quantities`) and confidence. Table rows and task records are read by :mod:`.forms`.

Guarantees: a task has at least one requirement clause with a concrete action or a deadline;
nothing at or after ``TaskContext.limit`` (a cut-off last sentence) becomes a task; unit codes
come only from the directory; due dates come only from deadline expressions in the task's own
text (or its item's introduction), resolved by :mod:`engine.calendar.deadlines` against the directive's
date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from engine.intake.clauses import ACTION, Clause, classify, plain_text
from engine.intake.context import TaskContext
from engine.intake.deadline_text import ENDINGS, Deadline, find_deadlines
from engine.intake.exhortation import only_exhortation
from engine.intake.grouping import chunk
from engine.intake.org_names import GENERIC_GROUP, role_names
from engine.intake.quantities import quantity_targets, shares
from engine.intake.roles import Roles, addressee_roles, assign_roles, merge_roles
from engine.intake.segment import inline_items
from engine.intake.timing import recurrences, resolved_due, task_timing
from engine.intake.unit_names import UnitMention


@dataclass(frozen=True)
class ProposedUnit:
    """A unit the directory does not know, as the text names it: ``role`` lead or co, and the
    span of the text that names it (the evidence the office checks)."""

    name: str
    role: str
    start: int
    end: int


@dataclass
class DraftTask:
    """A proposed task; the office confirms it. ``due_at`` is aware UTC."""

    directive_key: str
    title: str
    requirement: str
    lead_units: list[str]
    co_units: list[str]
    unknown_units: list[str]
    due_text: str | None
    due_at: datetime | None
    quantity: float | None
    measure: str | None
    recurrence: str | None
    source_span: tuple[int, int]
    confidence: float
    milestones: list[tuple[str, datetime]] = field(default_factory=list)
    proposed: list[ProposedUnit] = field(default_factory=list)
    owner: str | None = None


_LEAD_IN = re.compile(r"(?:会议|具体)?(?:要求|强调|指出|明确|决定|议定|部署)[:：，,]?")
_ADOPTED = re.compile(r"同意|审议通过|原则通过")
_CITY_LEADERS = ("市长", "书记", "秘书长", "主席")
_ADOPTED_HEAD = re.compile(r"^(?:会议)?(?:原则)?(?:同意|审议通过|原则通过)")
_ROLE_VERBS = re.compile(r"负责|牵头|配合|协助|会同")
_TITLE_STRIP = re.compile(r"^(?:要求|要(?![素点])|请|务必|必须|需要|应当|同时|并且|并|还要|另外|此外|你单位于|你局于|"
                          r"[一二三四五六七八九十]{1,2}是|认真|切实|进一步)+")


def extract_tasks(ctx: TaskContext, start: int, end: int) -> list[DraftTask]:
    """Draft tasks of ``text[start:end]``; enumerated items each give their own task(s) and
    share the units and deadline of their introduction when they name none themselves."""
    found = inline_items(ctx.text, start, end)
    if found is None:
        return _region(ctx, start, end, ctx.inherited, None)
    (a, b), items = found
    intro = _roles(ctx, a, b, [])
    inherited = intro if (intro.lead or intro.co or intro.unknown) else ctx.inherited
    due = [d for d in find_deadlines(ctx, a, b) if d.resolved and d.category == "point"]
    tasks: list[DraftTask] = []
    item_ctx = replace(ctx, in_item=True)
    for s, e in items:
        tasks += _region(item_ctx, s, e, inherited, due[-1] if due else None)
    return tasks


def _region(ctx: TaskContext, start: int, end: int, inherited: Roles | None,
            intro_due: Deadline | None) -> list[DraftTask]:
    tasks: list[DraftTask] = []
    carried: Roles | None = None
    for ch in chunk(classify(ctx, start, end), ctx.text):
        task = build_task(ctx, ch, inherited, intro_due, carried=carried)
        if any(c.subject for c in ch) or any(
                n.place == "asked" for n in role_names(ctx.text, ch[0].start, ch[-1].end)):
            carried = _roles_of(task)  # the subject goes on until another one is named
        actor = bool(task.lead_units or task.co_units or task.unknown_units)
        listed = ctx.in_item or ctx.directive.kind in ("instruction", "followup")
        if only_exhortation(ctx.text, ch, bool(quantity_targets(ctx.text, ch)), actor or listed):
            continue
        for one in split_recurrences(ctx, ch, task):
            tasks += split_targets(ctx, ch, one)
    return tasks


def split_recurrences(ctx: TaskContext, ch: list[Clause], task: DraftTask) -> list[DraftTask]:
    """One task per periodic duty when a requirement sets several ("每周五…、每月25日前…")."""
    found = recurrences(ctx, ch)
    if len(found) < 2:
        return [task]
    return [replace(task, title=f"{task.title[:20]}（{text}）", recurrence=text, due_text=text,
                    due_at=first, milestones=[]) for text, first in found]


def _roles_of(task: DraftTask) -> Roles:
    return Roles(list(task.lead_units), list(task.co_units), list(task.unknown_units), True,
                 {p.name: (p.start, p.end, p.role) for p in task.proposed})


def _trim(ch: list[Clause], text: str) -> list[Clause]:
    """Drop headings and lead-ins ("会议要求", "具体要求如下") from the front of a task."""
    while len(ch) > 1 and (ch[0].cls == "head" or (
            ch[0].cls == "neu" and not ch[0].deadlines and not ch[0].subject
            and _LEAD_IN.fullmatch(text, ch[0].start, ch[0].end))):
        ch = ch[1:]
    return ch


def build_task(ctx: TaskContext, ch: list[Clause], inherited: Roles | None,
               intro_due: Deadline | None, given: Roles | None = None, *,
               carried: Roles | None = None) -> DraftTask:
    """One draft task from a group of clauses (``given`` roles replace the ones in the text).

    A task that names no unit takes, in this order, the subject of the requirement before it in
    the same paragraph (``carried``: Chinese leaves a subject unsaid until another is named),
    the units its list's introduction named (``inherited``), then the addressees."""
    head = ch[0].start if ch[0].cls == "head" else None  # the item's heading stays as context
    ch = _trim(ch, ctx.text)
    s, e = ch[0].start, ch[-1].end
    roles, borrowed = given or _roles(ctx, s, e, ch), False
    if inherited is not None and _only_generic(roles):  # "由多部门联合开展": the units the
        roles, borrowed = merge_roles(inherited, roles), True  # list introduced, and the word
    if not (roles.lead or roles.co or roles.unknown):
        if carried is not None:
            roles, borrowed = carried, True
        elif inherited is not None:
            roles, borrowed = inherited, True
        elif ctx.addressees:
            roles, borrowed = addressee_roles(ctx.addressees), True
    due, milestones, recurrence, due_text, blur = task_timing(ctx, ch)
    if due is None and recurrence is None and intro_due is not None:
        due, due_text = resolved_due(intro_due), intro_due.text
    confidence = 0.55 + (0.05 if borrowed else 0.2) * bool(roles.lead) - 0.15 * (not roles.lead)
    confidence += 0.1 * (due is not None) - 0.1 * blur - 0.1 * bool(roles.unknown)
    requirement = ctx.text[head if head is not None else _object_start(ctx.text, s):e].strip(
        "，,。；; ")
    title = task_title(ctx, ch)
    if len(title) < 4:  # "年底前完成": the work is named where the sentence adopted it
        title = _ADOPTED_HEAD.sub("", requirement)[:30] or title
    return DraftTask(
        ctx.directive.key, title, requirement,
        list(roles.lead), list(roles.co), list(roles.unknown), due_text, due, None, None,
        recurrence, (s, e), round(min(0.95, max(0.05, confidence)), 2), milestones,
        proposals(roles, s))


def proposals(roles: Roles, fallback: int) -> list[ProposedUnit]:
    """The unknown units of ``roles`` with their evidence (the task's start when none)."""
    out = []
    for name in roles.unknown:
        start, end, role = roles.evidence.get(name, (fallback, fallback, "lead"))
        out.append(ProposedUnit(name, role, start, end))
    return out


def _only_generic(roles: Roles) -> bool:
    return bool(roles.unknown) and not (roles.lead or roles.co) and all(
        GENERIC_GROUP.fullmatch(name) for name in roles.unknown)


def _object_start(text: str, s: int) -> int:
    """Where the requirement text starts: earlier than the task's first clause when the same
    sentence first adopts what is to be done ("会议同意…方案，由市交通局负责组织实施")."""
    begin = max(text.rfind(c, 0, s) for c in "。；;\n") + 1
    return begin if _ADOPTED.search(text, begin, s) else s


def _roles(ctx: TaskContext, s: int, e: int, ch: list[Clause]) -> Roles:
    """Units of one task: the units named (unknown organisations standing as a clause's subject
    included); failing those, the units of the leaders asked by 请X同志."""
    unknown: list[UnitMention] = []
    for c in ch:
        for name in c.subject:
            at = ctx.text.find(name, c.start, c.end) if name not in ctx.units.codes else -1
            if at >= 0 and not ctx.units.find(ctx.text, at, at + len(name)):
                unknown.append(UnitMention(at, at + len(name), name, ()))
    roles = assign_roles(ctx.units, ctx.text, s, e, addressees=ctx.addressees,
                         extra=tuple(unknown))
    if roles.lead or roles.co or roles.unknown:
        return roles
    asked: list[UnitMention] = []
    for p in ctx.people.find(ctx.text, s, e):
        code = p.person.unit_code
        if p.person.title.endswith(_CITY_LEADERS):
            continue  # 请占明同志阅: a city leader is asked, not his office
        if code in ctx.units.codes and re.search(r"请[^，。；]{0,16}$", ctx.text[s:p.start]):
            asked.append(UnitMention(p.start, p.end, p.person.name, (code,) if code else ()))
    return assign_roles(ctx.units, ctx.text, s, e, addressees=ctx.addressees, extra=tuple(asked))


def task_title(ctx: TaskContext, ch: list[Clause]) -> str:
    """The clause with the action (a requirement before a bare statement), without modal
    lead-ins or a leading deadline, at most 30 characters."""
    text = ctx.text
    ranked = [c for cls in ("req", "act") for c in ch if c.cls == cls]
    best = next((c for c in ranked if ACTION.search(
        _ROLE_VERBS.sub("", plain_text(ctx, c.start, c.end)))), ranked[0] if ranked else ch[0])
    start = max([best.start, *(d.end for d in best.deadlines
                               if d.start - best.start <= 1 and d.text.endswith(ENDINGS))])
    title = _TITLE_STRIP.sub("", text[start:best.end].strip("，,。；;：: \n\t　"))
    return title[:30] or text[best.start:best.end].strip("，,。；;：: ")[:30]


def _share(ctx: TaskContext, task: DraftTask, start: int, end: int, name: str, amount: float,
           measure: str) -> DraftTask:
    """The task of one unit's share of a target, with the parent's timing."""
    code = ctx.units.resolve_name(name)
    proposed = [] if code else [ProposedUnit(name, "lead", start, start + len(name))]
    return DraftTask(task.directive_key, ctx.text[start:end], ctx.text[start:end],
                     [code] if code else [], [], [] if code else [name], task.due_text,
                     task.due_at, amount, measure, task.recurrence, (start, end),
                     task.confidence, list(task.milestones), proposed)


def split_targets(ctx: TaskContext, ch: list[Clause], task: DraftTask) -> list[DraftTask]:
    """Attach the quantity target; several targets in separate clauses → one task each; a
    target shared out among units ("其中，太原市550户…") → one task more per share."""
    for k, c in enumerate(ch):
        found = shares(ctx.text, c.start, c.end)
        if found and k:
            return split_targets(ctx, ch[:k], task) + [_share(ctx, task, *s) for s in found]
    targets = quantity_targets(ctx.text, ch)
    if not targets:
        return [task]
    if len({id(c) for c, *_ in targets}) < 2:
        task.quantity, task.measure = targets[0][1], targets[0][2]
        return [task]
    out = []
    for c, amount, measure, verb in targets:
        clause = ctx.text[c.start:c.end].strip("，,。；;：: ")
        title = clause if verb in clause else verb + clause
        out.append(DraftTask(
            task.directive_key, title[:30], clause, list(task.lead_units), list(task.co_units),
            list(task.unknown_units), task.due_text, task.due_at, amount, measure,
            task.recurrence, (c.start, c.end), task.confidence, list(task.milestones),
            list(task.proposed), task.owner))
    return out
