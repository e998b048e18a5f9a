"""Tasks written as forms: a table row (工作任务｜牵头单位｜配合单位｜完成时限), a task record
(问题/整改措施/责任单位/整改时限 lines, or a numbered item followed by such fields) and an item
that names its units in brackets ("1.天桥下路面破损。（责任单位：住建局）").

The form itself makes the assignment: a row or record that names its units is a task even when
its text only names the problem or the group ("第一检查督导组"), as an office reads such lists.
Units, owner and time limit come from the cells or fields; a row or record without a time limit
takes the document's own (:attr:`TaskContext.doc_due`, e.g. "检查整改时间：3月7日-3月10日").
"""

from __future__ import annotations

import re
from dataclasses import replace

from engine.intake.clauses import Clause, actionable, classify
from engine.intake.context import TaskContext
from engine.intake.quantities import quantity_targets
from engine.intake.roles import Roles, assign_roles, cell_units, merge_roles
from engine.intake.segment import (
    RECORD_DUE,
    RECORD_OWNER,
    RECORD_TASK,
    RECORD_UNITS,
    Block,
    Span,
    sentences,
)
from engine.intake.tasks import DraftTask, build_task, split_targets, task_title

_OWNER_SEP = re.compile(r"[、，,；;\s]+")
_NOT_NAME = re.compile(r"[^\u4e00-\u9fa5·]")


def owner_names(text: str) -> str | None:
    """People named in an owner cell or field, cleaned of what a web copy left in them
    ("胡小波 ?杨 ?剑" → "胡小波、杨剑", "高 ?志 ?远" → "高志远"); None when none is left."""
    tokens = [_NOT_NAME.sub("", t) for t in _OWNER_SEP.split(text)]
    names: list[str] = []
    run = ""  # single characters: a name the copy broke at its spaces
    for token in [*filter(None, tokens), ""]:
        if len(token) == 1:
            run += token
            continue
        while len(run) > 3:  # "陈 明 李 华": two names of two
            names.append(run[:2])
            run = run[2:]
        if len(run) == 1:  # "陆 明俞 悦": where the names part cannot be told; keep it whole
            return "".join(tokens) or None
        names += [run] if run else []
        run = ""
        names += [token] if token else []
    return "、".join(names) or None


_TIME_SECTION = re.compile(r"(?:时间|时限|期限|日期)(?:安排|要求)?$")
_FIX_BY = re.compile(r"[^，。；]{2,16}?前[，]?(?:将|把)?[^，。；]{0,8}整改(?:完成|完毕|到位)")


def document_due(ctx: TaskContext, body: list[Block]) -> tuple[Clause, ...]:
    """The time limit a document sets for all it lists: the value of a "检查整改时间" section,
    or the date by which its body asks the problems to be put right ("于5月20日前将问题整改
    完成"); empty when it sets none."""
    text = ctx.text
    for k, block in enumerate(body[:-1]):
        if block.level and _TIME_SECTION.search(text, block.start, block.end):
            nxt = body[k + 1]
            found = tuple(c for c in classify(ctx, nxt.start, nxt.end) if c.deadlines)
            if found and all(c.cls == "neu" for c in found):
                return found
    for block in body:
        m = None if block.level else _FIX_BY.search(text, block.start, block.end)
        if m:
            found = tuple(c for c in classify(ctx, *m.span()) if c.deadlines)
            if found and all(d.resolved for c in found for d in c.deadlines):
                return found
    return ()


def _due_clauses(ctx: TaskContext, span: Span | None) -> list[Clause]:
    """The clauses of a time-limit cell or field, their deadlines marked as the field's."""
    if span is None:
        return []
    out = []
    for c in classify(replace(ctx, in_item=True), *span):
        for d in c.deadlines:
            d.field = True
        out += [c] if c.deadlines else []
    return out


def _assigned(ch: list[Clause]) -> list[Clause]:
    """A form's clauses as requirements: the form assigned them ("增长8%以上" is a target
    there, not a statistic)."""
    return [replace(c, cls="req") if c.cls in ("act", "neu", "neg") else c for c in ch]


def _finish(ctx: TaskContext, ch: list[Clause], roles: Roles | None, span: Span,
            requirement: str, owner: str | None, due: list[Clause]) -> list[DraftTask]:
    """The task(s) of a row or record: one per quantity target named in a clause of its own."""
    if not any(d for c in ch for d in c.deadlines) and not due and ctx.doc_due:
        due = list(ctx.doc_due)
    task = build_task(ctx, ch + due, None, None, roles)
    task.title = task_title(ctx, ch)  # the row's own words, not its time limit
    task.requirement, task.source_span, task.owner = requirement, span, owner
    return split_targets(ctx, ch, task)


def table_tasks(ctx: TaskContext, row: list[Span], columns: dict[str, int], span: Span
                ) -> list[DraftTask]:
    """Tasks of one table row: each sentence of the task cell that asks something (a sentence
    repeated in the cell counts once), with the row's units, owner and deadline."""
    if len(row) <= max(columns.values()):
        return []
    text, item = ctx.text, replace(ctx, in_item=True)
    roles = cell_units(ctx.units, text, *row[columns["lead"]], "lead")
    if "co" in columns:
        roles = merge_roles(roles, cell_units(ctx.units, text, *row[columns["co"]], "co"))
    named = bool(roles.lead or roles.co or roles.unknown)
    owner = owner_names(text[slice(*row[columns["owner"]])]) if "owner" in columns else None
    due = _due_clauses(ctx, row[columns["due"]] if "due" in columns else None)
    cell = row[columns["task"]]
    tasks: list[DraftTask] = []
    seen: set[str] = set()
    for s, e in sentences(text, *cell):
        written = text[s:e].strip("。；; ")
        ch = [c for c in classify(item, s, e) if c.cls not in ("sup", "head")]
        if not named:
            ch = [c for c in ch if c.cls != "neg"]
        if written in seen or not ch or not (actionable(ch) or named):
            continue
        seen.add(written)
        tasks += _finish(ctx, _assigned(ch), roles if named else None, span,
                         text[slice(*cell)], owner, due)
    return tasks


def record_tasks(ctx: TaskContext, lines: list[tuple[str, Span]], *, single: bool = True
                 ) -> list[DraftTask]:
    """The one task of a record: its target and measures as the requirement (the first quantity
    is the target), its unit fields as roles (责任单位: the first leads), its owner and time
    limit fields; a record that names its units needs no verb ("检查范围：加油站、液化气站").
    Without ``single`` (one item line with its units in brackets) each quantity target in a
    clause of its own is a task of its own."""
    item = replace(ctx, in_item=True)
    ch: list[Clause] = []
    roles = merge_roles(Roles([], [], [], True), *(
        assign_roles(ctx.units, ctx.text, *span, addressees=ctx.addressees)
        for label, span in lines if label in RECORD_UNITS))
    named = bool(roles.lead or roles.co or roles.unknown)
    for label, span in lines:
        if label in RECORD_TASK:
            ch += [c for c in classify(item, *span)
                   if c.cls not in ("sup", "head") and (named or c.cls != "neg")]
    if not ch or not (actionable(ch) or named):
        return []
    owners = [owner_names(ctx.text[a:b].split("：", 1)[-1]) for label, (a, b) in lines
              if label in RECORD_OWNER]
    due = [c for label, span in lines if label in RECORD_DUE for c in _due_clauses(ctx, span)]
    requirement = "；".join(ctx.text[a:b] for label, (a, b) in lines if label in RECORD_TASK)
    span = (lines[0][1][0], lines[-1][1][1])
    tasks = _finish(ctx, _assigned(ch), roles if named else None, span, requirement,
                    "、".join(filter(None, owners)) or None, due)
    if not single:
        return tasks
    targets = quantity_targets(ctx.text, ch)
    if targets and len(tasks) >= 1:  # a record's first target is its own (整改目标)
        tasks[0].quantity, tasks[0].measure = targets[0][1], targets[0][2]
    return tasks[:1]
