"""One task in full, as its reader may see it: its row plus units' acknowledgements, milestones,
progress reports, extension requests and re-checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from engine.org.actors import Actor
from engine.org.visibility import find_visible_task
from engine.read.schemas import (
    ExtensionView,
    MilestoneView,
    RecheckView,
    ReportView,
    TaskDetail,
    UnitPart,
)
from engine.read.tasks import task_rows
from engine.store.policy import get_policy, zone_for
from engine.values import DirectiveKind, ExtensionState, RecheckResult, ReportKind, UnitRole
from models import (
    Directive,
    ExtensionRequest,
    Milestone,
    Person,
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
    tz = zone_for(get_policy(session))

    def local(value: datetime | None) -> Any:
        return value.astimezone(tz) if value is not None else None

    links = session.exec(select(TaskUnit).where(TaskUnit.task_id == task.id)
                         .order_by(col(TaskUnit.id))).all()
    reports = session.exec(select(ProgressReport).where(ProgressReport.task_id == task.id)
                           .order_by(col(ProgressReport.at), col(ProgressReport.id))).all()
    extensions = session.exec(select(ExtensionRequest).where(ExtensionRequest.task_id == task.id)
                              .order_by(col(ExtensionRequest.id))).all()
    units = _names(session, Unit, {link.unit_id for link in links}
                   | {r.unit_id for r in reports if r.unit_id is not None})
    codes = {u.id: u.code for u in session.exec(
        select(Unit).where(col(Unit.id).in_([link.unit_id for link in links]))).all()}
    people = _names(session, Person, _people_of(links, reports, extensions))
    directive = session.get(Directive, task.directive_id)
    assert directive is not None  # a foreign key
    return TaskDetail(
        task=task_rows(session, [task], now)[0],
        requirement=task.requirement,
        directive_title=directive.title,
        directive_kind=DirectiveKind(directive.kind),
        units=[UnitPart(
            unit=units.get(link.unit_id, ""), unit_code=codes.get(link.unit_id, ""),
            role=UnitRole(link.role), acknowledged_at=local(link.acknowledged_at),
            acknowledged_by=people.get(link.acknowledged_by_id or 0),
            acknowledged_on_behalf=link.acknowledged_on_behalf,
            last_feedback_at=local(link.last_feedback_at), last_feedback=link.last_feedback_text,
            last_feedback_on_behalf=link.last_feedback_on_behalf) for link in links],
        milestones=[MilestoneView(seq=m.seq, title=m.title, due_text=m.due_text,
                                  due_at=local(m.due_at), done_at=local(m.done_at))
                    for m in _milestones(session, task)],
        reports=[ReportView(kind=ReportKind(r.kind), at=local(r.at),
                            unit=units.get(r.unit_id or 0), by=people.get(r.person_id or 0),
                            on_behalf=r.on_behalf, text=r.text, achieved=r.achieved)
                 for r in reports],
        extensions=[ExtensionView(
            id=e.id or 0, status=ExtensionState(e.status), requested_due_text=e.requested_due_text,
            requested_due_at=local(e.requested_due_at), previous_due_at=local(e.previous_due_at),
            reason=e.reason, requested_by=people.get(e.requested_by_id or 0),
            decided_by=people.get(e.decided_by_id or 0), decided_at=local(e.decided_at),
            decision_note=e.decision_note) for e in extensions],
        rechecks=[RecheckView(due_at=local(r.due_at), done_at=local(r.done_at),
                              result=RecheckResult(r.result) if r.result else None, note=r.note)
                  for r in session.exec(select(Recheck).where(Recheck.task_id == task.id)
                                        .order_by(col(Recheck.due_at))).all()],
    )


def _milestones(session: Session, task: Task) -> list[Milestone]:
    return list(session.exec(select(Milestone).where(Milestone.task_id == task.id)
                             .order_by(col(Milestone.seq))).all())


def _people_of(links: Any, reports: Any, extensions: Any) -> set[int]:
    ids = {link.acknowledged_by_id for link in links}
    ids |= {r.person_id for r in reports}
    ids |= {e.requested_by_id for e in extensions} | {e.decided_by_id for e in extensions}
    return {i for i in ids if i is not None}


def _names(session: Session, table: type[Unit] | type[Person], ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(table.id, table.name).where(col(table.id).in_(ids))).all()
    return {i: n for i, n in rows if i is not None}
