"""One task in full, as its reader may see it: its row plus units' acknowledgements, milestones,
progress reports, extension requests, re-checks and evidence files (each with its hash and size;
a report's files carry its ``report_id``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from engine.errors import NotFound
from engine.files.access import task_files
from engine.org.actors import Actor
from engine.org.directory import person_names
from engine.org.visibility import find_visible_task
from engine.read.schemas import (
    ExtensionView,
    MilestoneView,
    RecheckView,
    ReportView,
    ReturnView,
    TaskDetail,
    UnitPart,
)
from engine.read.tasks import task_rows
from engine.store.policy import get_policy, zone_for
from engine.values import (
    DirectiveKind,
    DueBase,
    ExtensionState,
    RecheckResult,
    ReportKind,
    UnitRole,
)
from models import (
    AuditEvent,
    Directive,
    ExtensionRequest,
    Milestone,
    ProgressReport,
    Recheck,
    Task,
    TaskUnit,
    Unit,
)


def task_detail(*, session: Session, actor: Actor, code: str | int, now: datetime) -> TaskDetail:
    """Everything the office needs to judge one task; lights as of ``now``.

    Raises :class:`~engine.errors.NotFound` — the same as for a task that does not exist — when
    ``actor`` may not see it.
    """
    task = find_visible_task(session, actor, code)
    links = list(session.exec(select(TaskUnit).where(TaskUnit.task_id == task.id)
                              .order_by(col(TaskUnit.id))).all())
    reports = list(session.exec(select(ProgressReport).where(ProgressReport.task_id == task.id)
                                .order_by(col(ProgressReport.at), col(ProgressReport.id))).all())
    extensions = list(session.exec(select(ExtensionRequest)
                                   .where(ExtensionRequest.task_id == task.id)
                                   .order_by(col(ExtensionRequest.id))).all())
    names = _Names(session, links, reports, extensions)
    directive = session.get(Directive, task.directive_id)
    assert directive is not None  # a foreign key
    return TaskDetail(
        task=task_rows(session, [task], now)[0], requirement=task.requirement,
        directive_title=directive.title, directive_kind=DirectiveKind(directive.kind),
        units=[_unit_part(link, names) for link in links],
        milestones=[MilestoneView(seq=m.seq, title=m.title, due_text=m.due_text,
                                  due_at=names.local(m.due_at), done_at=names.local(m.done_at))
                    for m in _milestones(session, task)],
        reports=[ReportView(kind=ReportKind(r.kind), at=names.local(r.at),
                            unit=names.units.get(r.unit_id or 0),
                            by=names.people.get(r.person_id or 0), on_behalf=r.on_behalf,
                            text=r.text, achieved=r.achieved, id=r.id) for r in reports],
        extensions=[_extension(e, names) for e in extensions],
        rechecks=[RecheckView(due_at=names.local(r.due_at), done_at=names.local(r.done_at),
                              result=RecheckResult(r.result) if r.result else None, note=r.note)
                  for r in session.exec(select(Recheck).where(Recheck.task_id == task.id)
                                        .order_by(col(Recheck.due_at))).all()],
        due_base=DueBase.parse(task.due_base) if task.due_base else None,
        due_base_at=names.local(task.due_base_at),
        returns=_returns(session, task, names),
        files=task_files(session, task.id or 0),
        parent_code=_visible_code(session, actor, task.parent_id),
    )


def _visible_code(session: Session, actor: Actor, task_id: int | None) -> str | None:
    """The code of task ``task_id`` if ``actor`` may see it (a link to any other would be a
    404), else None."""
    if task_id is None:
        return None
    try:
        return find_visible_task(session, actor, task_id).code
    except NotFound:
        return None


def _returns(session: Session, task: Task, names: _Names) -> list[ReturnView]:
    """Each 退回 of a completion request, with its reason (from the audit trail)."""
    rows = session.exec(
        select(AuditEvent.at, AuditEvent.actor, AuditEvent.after).where(
            AuditEvent.entity == "task", col(AuditEvent.entity_id) == task.id,
            AuditEvent.action == "return").order_by(col(AuditEvent.id))).all()
    return [ReturnView(at=names.local(at), by=actor, reason=str((after or {}).get("reason", "")))
            for at, actor, after in rows]


class _Names:
    """The unit and person names one detail mentions (two queries), and the local zone."""

    def __init__(self, session: Session, links: list[TaskUnit], reports: list[ProgressReport],
                 extensions: list[ExtensionRequest]) -> None:
        self.tz = zone_for(get_policy(session))
        unit_ids = {link.unit_id for link in links} | {r.unit_id for r in reports
                                                       if r.unit_id is not None}
        rows = session.exec(select(Unit).where(col(Unit.id).in_(unit_ids))).all() if unit_ids \
            else []
        self.units = {u.id or 0: u.name for u in rows}
        self.codes = {u.id or 0: u.code for u in rows}
        self.people = person_names(session, _people_of(links, reports, extensions))

    def local(self, value: datetime | None) -> Any:
        return value.astimezone(self.tz) if value is not None else None


def _unit_part(link: TaskUnit, names: _Names) -> UnitPart:
    return UnitPart(
        unit=names.units.get(link.unit_id, ""), unit_code=names.codes.get(link.unit_id, ""),
        role=UnitRole(link.role), acknowledged_at=names.local(link.acknowledged_at),
        acknowledged_by=names.people.get(link.acknowledged_by_id or 0),
        acknowledged_on_behalf=link.acknowledged_on_behalf,
        last_feedback_at=names.local(link.last_feedback_at), last_feedback=link.last_feedback_text,
        last_feedback_on_behalf=link.last_feedback_on_behalf)


def _extension(e: ExtensionRequest, names: _Names) -> ExtensionView:
    return ExtensionView(
        id=e.id or 0, status=ExtensionState(e.status), requested_due_text=e.requested_due_text,
        requested_due_at=names.local(e.requested_due_at),
        previous_due_at=names.local(e.previous_due_at), reason=e.reason,
        requested_by=names.people.get(e.requested_by_id or 0),
        decided_by=names.people.get(e.decided_by_id or 0), decided_at=names.local(e.decided_at),
        decision_note=e.decision_note)


def _milestones(session: Session, task: Task) -> list[Milestone]:
    return list(session.exec(select(Milestone).where(Milestone.task_id == task.id)
                             .order_by(col(Milestone.seq))).all())


def _people_of(links: Any, reports: Any, extensions: Any) -> set[int]:
    ids = {link.acknowledged_by_id for link in links}
    ids |= {r.person_id for r in reports}
    ids |= {e.requested_by_id for e in extensions} | {e.decided_by_id for e in extensions}
    return {i for i in ids if i is not None}
