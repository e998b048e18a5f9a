"""Turning the demo script into engine service calls (the one write path), with a line to print."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from sqlmodel import Session

from demo.city import OFFICE, TASKS, Act, DirectiveSpec, TaskSpec
from engine.calendar.lights import due_of
from engine.errors import DubanError
from engine.files.ingest import Upload
from engine.org.actors import Actor
from engine.org.directory import find_person, find_task
from engine.values import Channel, DirectiveKind
from models import DirectiveCreate, ExtensionRequest, MilestoneCreate, TaskCreate


def as_actor(session: Session, name: str) -> Actor:
    """A person of the sample city acting (the demo plays them at the command line; each act
    also carries the real time it was written, beside the simulated one)."""
    return Actor.of(find_person(session, name), Channel.CLI, wall_clock=datetime.now(UTC))


VERB_LABELS = {"ack": "签收", "progress": "反馈进展", "complete": "申请办结", "verify": "审核销号",
               "return": "退回", "extend": "申请延期", "approve": "批准延期", "reject": "驳回延期",
               "recheck_fail": "回头看未通过，重新打开"}


def register_directive(session: Session, spec: DirectiveSpec, codes: dict[str, str],
                       directive_ids: dict[str, int], at: datetime) -> list[str]:
    """Register a directive and create and assign its tasks; return lines to print."""
    from engine.tasks.directives import create_directive

    issuer = find_person(session, spec.by) if spec.by else None
    data = DirectiveCreate(kind=spec.kind, title=spec.title, text=spec.text, issued_at=at,
                           issued_by_id=issuer.id if issuer else None, read_only=spec.read_only,
                           parent_id=directive_ids.get(spec.parent or ""))
    actor = as_actor(session, spec.by if spec.kind == "followup" and spec.by else OFFICE)
    directive = create_directive(session=session, data=data, actor=actor, now=at)
    directive_ids[spec.key] = directive.id or 0
    kind = DirectiveKind(spec.kind).label
    who = f"{issuer.name}{issuer.title}" if issuer else "督查室"
    lines = [f"[bold cyan]{kind}[/] {who}：{spec.title}" + ("（阅示，不生成事项）" if spec.read_only else "")]
    for task in [t for t in TASKS if t.directive == spec.key]:
        lines.append(_create_and_assign(session, task, directive.id or 0, codes, at))
    return lines


def _create_and_assign(session: Session, spec: TaskSpec, directive_id: int,
                       codes: dict[str, str], at: datetime) -> str:
    from engine.tasks.creation import create_task

    office = as_actor(session, OFFICE)
    data = TaskCreate(directive_id=directive_id, title=spec.title, lead_unit=spec.lead,
                      co_units=list(spec.co), due=spec.due, priority=spec.priority,
                      leader=spec.leader, target=spec.target, measure=spec.measure,
                      parent_id=find_task(session, codes[spec.parent]).id if spec.parent else None,
                      milestones=[MilestoneCreate(title=t, due=d) for t, d in spec.milestones])
    task = create_task(session=session, data=data, actor=office, now=at, assign=True)
    codes[spec.key] = task.code
    local = due_of(task).astimezone(at.tzinfo)
    return f"  交办 {task.code} {task.title}（时限：{spec.due} → {local:%m-%d %H:%M}）"


def perform(session: Session, act: Act, codes: dict[str, str], at: datetime) -> str:
    """Carry out one scripted action; a refusal is shown as the unit would see it."""
    code = codes.get(act.task, act.task)
    actor = as_actor(session, act.who)
    try:
        _call(session, act, code, actor, at)
    except DubanError as exc:
        return f"{act.who} {VERB_LABELS[act.verb]} {code}：[red]被拒绝[/]（{exc}）"
    return f"{act.who} {VERB_LABELS[act.verb]} {code}" + _detail(act)


def _detail(act: Act) -> str:
    files = f"（附件：{str(act.args['files']).replace(',', '、')}）" if "files" in act.args else ""
    for key in ("text", "evidence", "reason", "note"):
        if key in act.args:
            return f"：{act.args[key]}{files}"
    return files


def _files(act: Act) -> list[Upload]:
    """The act's sample evidence files (``files``: comma-separated names), made on the spot."""
    from demo.evidence import sample_file

    names = [n for n in str(act.args.get("files", "")).split(",") if n]
    return [Upload(name=n, stream=io.BytesIO(sample_file(n))) for n in names]


def _call(session: Session, act: Act, code: str, actor: Actor, at: datetime) -> None:
    from engine.tasks import actions, extensions, rechecks

    a = {k: str(v) for k, v in act.args.items() if k not in ("achieved", "files")}
    achieved = float(str(act.args["achieved"])) if "achieved" in act.args else None
    verb = act.verb
    if verb == "ack":
        actions.acknowledge(session=session, task=code, actor=actor, now=at)
    elif verb == "progress":
        actions.report_progress(session=session, task=code, actor=actor, now=at, text=a["text"],
                                achieved=achieved, files=_files(act))
    elif verb == "complete":
        actions.request_completion(session=session, task=code, actor=actor, now=at,
                                   evidence=a["evidence"], achieved=achieved, files=_files(act))
    elif verb == "verify":
        actions.verify_and_close(session=session, task=code, actor=actor, now=at, rating=a["rating"])
    elif verb == "return":
        actions.return_task(session=session, task=code, actor=actor, now=at, reason=a["reason"])
    elif verb == "extend":
        extensions.request_extension(session=session, task=code, actor=actor, now=at,
                                     new_due=a["to"], reason=a["reason"])
    elif verb in ("approve", "reject"):
        extensions.decide_extension(session=session, request_id=_pending_extension(session, code),
                                    actor=actor, approve=verb == "approve", now=at,
                                    note=a.get("note", ""))
    elif verb == "recheck_fail":
        rechecks.record_recheck(session=session, task=code, actor=actor, now=at, passed=False,
                                note=a["note"], new_due=a.get("due"))


def _pending_extension(session: Session, code: str) -> int:
    from sqlmodel import select

    task = find_task(session, code)
    row = session.exec(select(ExtensionRequest).where(
        ExtensionRequest.task_id == task.id, ExtensionRequest.status == "pending")).first()
    return row.id if row and row.id else 0
