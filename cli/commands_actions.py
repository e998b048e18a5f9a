"""The lifecycle actions: ``duban task assign|ack|progress|complete|verify|return|extend|cancel|
recheck`` and ``duban extension approve|reject``. Each calls one engine service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.markup import escape

from cli.commands_tasks import extension_app, task_app
from cli.options import AsOpt, JsonOpt, NowOpt
from cli.runtime import actor, done, emit_json, local_zone, moment, open_session, parse_moment
from cli.uploads import FileOpt, uploads

ForOpt = Annotated[str | None, typer.Option(
    "--for", help="督查室代为办理的单位（代签收、代反馈、代申请办结），须与 --as 督查室人员同用")]


def _run(task: str, as_: str, now: str | None, json_out: bool, verb: str,
         call: Callable[..., Any]) -> None:
    """Resolve the actor, call the service, print the task after the change (as the actor sees
    it)."""
    from engine.read.detail import task_detail

    parse_moment(now)  # a malformed --now is refused before the database is opened
    with open_session() as session:
        who = actor(session, as_)
        when = moment(session, now, writes=True)
        call(session=session, task=task, actor=who, now=when)
        row = task_detail(session=session, actor=who, code=task, now=when).task
    if json_out:
        emit_json(row.to_json())
    else:
        done(escape(f"{verb}：{row.code} {row.title}（状态：{row.status.label}）"))


PastDueOpt = Annotated[bool, typer.Option(
    "--allow-past-due", help="完成时限已过仍交办（交办即逾期，须明确确认）")]


@task_app.command("assign")
def task_assign(task: str, as_: AsOpt, allow_past_due: PastDueOpt = False, now: NowOpt = None,
                json_out: JsonOpt = False) -> None:
    """交办事项（督查室）。"""
    from engine.tasks.creation import assign_task

    def call(**kw: Any) -> Any:
        return assign_task(allow_past_due=allow_past_due, **kw)

    _run(task, as_, now, json_out, "已交办", call)


@task_app.command("ack")
def task_ack(task: str, as_: AsOpt, for_unit: ForOpt = None, now: NowOpt = None,
             json_out: JsonOpt = False) -> None:
    """签收事项（责任单位；督查室可用 --for 单位 代签收）。"""
    from engine.tasks.actions import acknowledge

    def call(**kw: Any) -> Any:
        return acknowledge(for_unit=for_unit, **kw)

    _run(task, as_, now, json_out, "已代签收" if for_unit else "已签收", call)


@task_app.command("progress")
def task_progress(
    task: str, as_: AsOpt,
    text: Annotated[str, typer.Option("--text", help="进展情况")],
    achieved: Annotated[float | None, typer.Option("--achieved", help="累计完成量")] = None,
    milestone: Annotated[int | None, typer.Option("--milestone", help="已完成的阶段节点序号")] = None,
    for_unit: ForOpt = None, file: FileOpt = None, now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """反馈进展（责任单位；督查室可用 --for 单位 代反馈），可附照片或文件（--file，可重复）。"""
    from engine.tasks.actions import report_progress

    with uploads(file) as files:
        def call(**kw: Any) -> Any:
            return report_progress(text=text, achieved=achieved, milestone=milestone,
                                   for_unit=for_unit, files=files, **kw)

        _run(task, as_, now, json_out, "已代反馈进展" if for_unit else "已反馈进展", call)


@task_app.command("complete")
def task_complete(
    task: str, as_: AsOpt,
    evidence: Annotated[str, typer.Option("--evidence", help="证明材料说明")] = "",
    achieved: Annotated[float | None, typer.Option("--achieved", help="最终完成量")] = None,
    for_unit: ForOpt = None, file: FileOpt = None, now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """申请办结（牵头单位；督查室可用 --for 单位 代申请办结）：证明材料说明和/或文件（--file，可重复）。"""
    from engine.tasks.actions import request_completion

    with uploads(file) as files:
        def call(**kw: Any) -> Any:
            return request_completion(evidence=evidence, achieved=achieved, for_unit=for_unit,
                                      files=files, **kw)

        _run(task, as_, now, json_out, "已代申请办结" if for_unit else "已申请办结", call)


@task_app.command("verify")
def task_verify(
    task: str, as_: AsOpt,
    rating: Annotated[str, typer.Option("--rating", help="优秀|良好|合格|不合格")] = "合格",
    note: Annotated[str, typer.Option("--note")] = "",
    now: NowOpt = None, json_out: JsonOpt = False,
) -> None:
    """审核销号（督查室）。"""
    from engine.tasks.actions import verify_and_close

    def call(**kw: Any) -> Any:
        return verify_and_close(rating=rating, note=note, **kw)

    _run(task, as_, now, json_out, "已销号", call)


@task_app.command("return")
def task_return(
    task: str, as_: AsOpt,
    reason: Annotated[str, typer.Option("--reason", help="退回理由")],
    now: NowOpt = None, json_out: JsonOpt = False,
) -> None:
    """退回办结申请（督查室）。"""
    from engine.tasks.actions import return_task

    def call(**kw: Any) -> Any:
        return return_task(reason=reason, **kw)

    _run(task, as_, now, json_out, "已退回", call)


@task_app.command("cancel")
def task_cancel(
    task: str, as_: AsOpt,
    reason: Annotated[str, typer.Option("--reason", help="撤销理由")],
    now: NowOpt = None, json_out: JsonOpt = False,
) -> None:
    """撤销事项（督查室）。"""
    from engine.tasks.actions import cancel_task

    def call(**kw: Any) -> Any:
        return cancel_task(reason=reason, **kw)

    _run(task, as_, now, json_out, "已撤销", call)


@task_app.command("extend")
def task_extend(
    task: str, as_: AsOpt,
    to: Annotated[str, typer.Option("--to", help="申请的新时限，如 4月30日前")],
    reason: Annotated[str, typer.Option("--reason", help="延期理由")],
    file: FileOpt = None, now: NowOpt = None, json_out: JsonOpt = False,
) -> None:
    """申请延期（牵头单位），可附佐证文件（--file，可重复）。"""
    from engine.tasks.extensions import request_extension

    with uploads(file) as files:
        def call(**kw: Any) -> Any:
            return request_extension(new_due=to, reason=reason, files=files, **kw)

        _run(task, as_, now, json_out, "已提交延期申请", call)


@task_app.command("recheck")
def task_recheck(
    task: str, as_: AsOpt,
    passed: Annotated[bool, typer.Option("--passed/--failed", help="回头看是否通过")] = True,
    note: Annotated[str, typer.Option("--note", help="回头看情况")] = "",
    schedule: Annotated[str | None, typer.Option("--schedule", help="只安排回头看时间")] = None,
    due: Annotated[str | None, typer.Option("--due", help="未通过时的整改时限，如 3个工作日内")] = None,
    now: NowOpt = None, json_out: JsonOpt = False,
) -> None:
    """回头看：记录结果（未通过则重新打开），或用 --schedule 安排时间。"""
    from engine.tasks.rechecks import record_recheck, schedule_recheck

    def call(**kw: Any) -> Any:
        if schedule is not None:
            return schedule_recheck(when=schedule, **kw)
        return record_recheck(passed=passed, note=note, new_due=due, **kw)

    _run(task, as_, now, json_out, "已记录回头看", call)


def _decide(request_id: int, as_: str, now: str | None, json_out: bool, approve: bool,
            note: str) -> None:
    from engine.tasks.extensions import decide_extension
    from engine.values import ExtensionState

    parse_moment(now)
    with open_session() as session:
        request = decide_extension(session=session, request_id=request_id,
                                   actor=actor(session, as_), approve=approve,
                                   now=moment(session, now, writes=True), note=note)
        status = ExtensionState(request.status)
        row: dict[str, Any] = {
            "id": request.id, "task_id": request.task_id, "status": status.value,
            "status_label": status.label, "requested_due_text": request.requested_due_text,
            "requested_due_at": request.requested_due_at.astimezone(local_zone()).isoformat()}
    if json_out:
        emit_json(row)
    else:
        done(f"延期申请 {row['id']}：{status.label}")


@extension_app.command("approve")
def extension_approve(request_id: int, as_: AsOpt, note: Annotated[str, typer.Option("--note")] = "",
                      now: NowOpt = None, json_out: JsonOpt = False) -> None:
    """批准延期申请（督查室）。"""
    _decide(request_id, as_, now, json_out, True, note)


@extension_app.command("reject")
def extension_reject(request_id: int, as_: AsOpt, note: Annotated[str, typer.Option("--note")] = "",
                     now: NowOpt = None, json_out: JsonOpt = False) -> None:
    """驳回延期申请（督查室）。"""
    _decide(request_id, as_, now, json_out, False, note)


@task_app.command("edit")
def task_edit(
    task: str, as_: AsOpt,
    title: Annotated[str | None, typer.Option("--title")] = None,
    requirement: Annotated[str | None, typer.Option("--requirement", help="具体要求")] = None,
    lead: Annotated[str | None, typer.Option("--lead", help="牵头单位")] = None,
    co: Annotated[list[str] | None, typer.Option("--co", help="配合单位，可重复（给出即整体替换）")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="责任人")] = None,
    leader: Annotated[str | None, typer.Option("--leader", help="分管领导")] = None,
    priority: Annotated[str | None, typer.Option("--priority", help="特急|加急|普通")] = None,
    target: Annotated[float | None, typer.Option("--target", help="目标量")] = None,
    measure: Annotated[str | None, typer.Option("--measure", help="计量单位")] = None,
    due: Annotated[str | None, typer.Option("--due", help="完成时限（仅待交办事项；已交办的走延期审批）")] = None,
    now: NowOpt = None, json_out: JsonOpt = False,
) -> None:
    """修改事项（督查室）：待交办事项补充单位、时限等；已交办事项可更正标题、要求、单位、责任人、
    分管领导、紧急程度、目标量（留痕并通知相关单位）。"""
    from engine.tasks.editing import edit_task

    def call(**kw: Any) -> Any:
        return edit_task(title=title, requirement=requirement, lead=lead, co=co, owner=owner,
                         leader=leader, priority=priority, target=target, measure=measure,
                         due=due, **kw)

    _run(task, as_, now, json_out, "已修改", call)
