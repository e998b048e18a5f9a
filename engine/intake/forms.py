"""Tasks written as forms: a table row (工作任务｜牵头单位｜配合单位｜完成时限) or a task record
(问题/整改措施/责任单位/整改时限 lines); units and time limit come from its cells or fields.
"""

from __future__ import annotations

from dataclasses import replace

from engine.intake.clauses import Clause, actionable, classify
from engine.intake.context import TaskContext
from engine.intake.quantities import quantity_targets
from engine.intake.roles import Roles, assign_roles, cell_units, merge_roles
from engine.intake.segment import Span, cells
from engine.intake.tasks import DraftTask, build_task, split_targets


def table_tasks(ctx: TaskContext, start: int, end: int, columns: dict[str, int]
                ) -> list[DraftTask]:
    """Tasks of one table row: the task cell's text, the lead and cooperating cells as written
    (all named lead units lead), the deadline cell as the due date."""
    row = cells(ctx.text, start, end)
    if len(row) <= max(columns.values()):
        return []
    item = replace(ctx, in_item=True)
    ch = [c for c in classify(item, *row[columns["task"]]) if c.cls not in ("neg", "sup")]
    if not actionable(ch):
        return []
    if "due" in columns:
        for c in classify(item, *row[columns["due"]]):
            for d in c.deadlines:
                d.field = True
            ch += [c] if c.deadlines else []
    roles = cell_units(ctx.units, ctx.text, *row[columns["lead"]], "lead")
    if "co" in columns:
        roles = merge_roles(roles, cell_units(ctx.units, ctx.text, *row[columns["co"]], "co"))
    task = build_task(ctx, ch, None, None, roles)
    task.requirement = ctx.text[slice(*row[columns["task"]])]
    task.source_span = (start, end)
    return split_targets(ctx, ch, task)


_RECORD_TASK = ("整改目标", "工作目标", "整改措施", "工作任务", "任务内容", "主要任务")
_RECORD_UNITS = ("责任单位", "牵头单位", "配合单位")


def record_tasks(ctx: TaskContext, lines: list[tuple[str, Span]]) -> list[DraftTask]:
    """The one task of a record: its target and measures as the requirement (the first quantity
    is the target), its unit fields as roles (责任单位: the first leads), its time limit."""
    item = replace(ctx, in_item=True)
    ch: list[Clause] = []
    for label, span in lines:
        if label in _RECORD_TASK or label.endswith("时限"):
            ch += [c for c in classify(item, *span) if c.cls not in ("neg", "sup", "head")]
    if not actionable(ch):
        return []
    roles = merge_roles(Roles([], [], [], True), *(
        assign_roles(ctx.units, ctx.text, *span, addressees=ctx.addressees)
        for label, span in lines if label in _RECORD_UNITS))
    given = roles if roles.lead or roles.co or roles.unknown else None
    task = build_task(ctx, ch, None, None, given)
    task.requirement = "；".join(ctx.text[a:b] for label, (a, b) in lines if label in _RECORD_TASK)
    task.source_span = (lines[0][1][0], lines[-1][1][1])
    targets = quantity_targets(ctx.text, ch)
    if targets:
        task.quantity, task.measure = targets[0][1], targets[0][2]
    return [task]
