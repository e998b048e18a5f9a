"""From a document's text to draft directives and tasks in the database.

:func:`analyse` runs the pure intake analysis (:mod:`engine.intake`) against a snapshot of the
unit and people directory; :func:`apply_drafts` stores what it found as directives and *draft*
tasks for the office to confirm and assign — all in one transaction, or nothing. Unknown units are
only proposed, never created; a draft whose lead unit or deadline could not be determined is
stored without it and listed, so the office completes it (``duban task edit``) before assigning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from engine.org.actors import Actor
from engine.org.permissions import require_office
from engine.store.ids import pk
from engine.store.policy import calendar_for, get_policy, zone_for
from engine.store.service import service
from models import Directive, DirectiveCreate, MilestoneCreate, Person, Task, TaskCreate, Unit

if TYPE_CHECKING:
    from engine.intake import Directory, IntakeResult

ISSUE_TIME = time(9, 0)
"""Local time given to a directive dated by day only."""


def directory_snapshot(session: Session) -> Directory:
    """Every unit and active person, as the intake analysis sees them."""
    from engine.intake import Directory, DirectoryPerson, DirectoryUnit

    units = session.exec(select(Unit).order_by(col(Unit.id))).all()
    codes = {u.id: u.code for u in units}
    people = session.exec(select(Person).where(Person.active == True)).all()  # noqa: E712
    return Directory(
        units=tuple(DirectoryUnit(u.code, u.name, tuple(u.short_names), u.kind) for u in units),
        people=tuple(DirectoryPerson(p.name, p.title, tuple(p.aliases), codes.get(p.unit_id or 0))
                     for p in people),
    )


def analyse(*, session: Session, actor: Actor, text: str, ref_date: date | None,
            addressee: str | None = None) -> IntakeResult:
    """Analyse ``text`` against the database's directory and calendar (the office's work: it
    reads the whole directory)."""
    from engine.intake import analyse_document

    require_office(actor, "识别文件中的督办事项")
    policy = get_policy(session)
    return analyse_document(text, directory=directory_snapshot(session), ref_date=ref_date,
                            addressee=addressee, tz=zone_for(policy),
                            calendar=calendar_for(policy))


@dataclass
class ApplyReport:
    directives: list[int] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"directives": self.directives, "tasks": self.tasks, "incomplete": self.incomplete}


def result_json(result: IntakeResult, tz: Any) -> dict[str, Any]:
    """The ``--json`` form: ``directives`` and ``tasks`` with their source spans."""
    def iso(value: datetime | None) -> str | None:
        return value.astimezone(tz).isoformat() if value is not None else None

    return {
        "doc_date": result.doc_date.isoformat() if result.doc_date else None,
        "warnings": result.warnings,
        "directives": [
            {"key": d.key, "kind": d.kind, "title": d.title, "text": d.text,
             "issued_by": d.issued_by, "issued_by_mention": d.issued_by_mention,
             "issued_at": d.issued_at.isoformat() if d.issued_at else None,
             "parent_key": d.parent_key, "read_only": d.read_only,
             "source_span": list(d.source_span)} for d in result.directives],
        "tasks": [
            {"directive_key": t.directive_key, "title": t.title, "requirement": t.requirement,
             "lead_units": t.lead_units, "co_units": t.co_units, "unknown_units": t.unknown_units,
             "due_text": t.due_text, "due_at": iso(t.due_at), "quantity": t.quantity,
             "measure": t.measure, "recurrence": t.recurrence, "source_span": list(t.source_span),
             "confidence": t.confidence,
             "milestones": [{"title": m, "due_at": iso(d)} for m, d in t.milestones]}
            for t in result.tasks],
    }


@service
def apply_drafts(*, session: Session, result: IntakeResult, actor: Actor,
                 now: datetime) -> ApplyReport:
    """Store the analysis: every directive and a draft task per item (incomplete ones listed).
    One transaction: any refusal leaves the database unchanged."""
    require_office(actor, "登记来源事项")
    report = ApplyReport()
    ids: dict[str, int] = {}
    tz = zone_for(get_policy(session))
    for draft in result.directives:
        directive = _store_directive(session, draft, ids, actor, now, tz, result.doc_date)
        ids[draft.key] = pk(directive)
        report.directives.append(pk(directive))
    for task in result.tasks:
        stored = _store_task(session, task, ids[task.directive_key], actor, now, tz)
        report.tasks.append(stored.code)
        missing = _missing(task)
        if missing:
            report.incomplete.append(f"{stored.code} {task.title}：{missing}")
    return report


def _store_directive(session: Session, draft: Any, ids: dict[str, int], actor: Actor,
                     now: datetime, tz: Any, doc_date: date | None) -> Directive:
    from engine.org.directory import find_person
    from engine.tasks.directives import create_directive_in_transaction

    day = draft.issued_at or doc_date or now.astimezone(tz).date()
    issued_at = min(datetime.combine(day, ISSUE_TIME, tzinfo=tz), now)
    issuer = find_person(session, draft.issued_by) if draft.issued_by else None
    kind = "instruction" if draft.kind == "read" else draft.kind
    data = DirectiveCreate(kind=kind, title=draft.title[:256], text=draft.text,
                           read_only=draft.read_only, issued_at=issued_at,
                           undated=draft.issued_at is None and doc_date is None,
                           issued_by_id=issuer.id if issuer else None,
                           parent_id=ids.get(draft.parent_key or ""))
    if kind == "followup" and data.parent_id is None:
        data.kind = "instruction"  # a 跟批 whose parent the document does not show
    return create_directive_in_transaction(session=session, data=data, actor=actor, now=now)


def _missing(task: Any) -> str | None:
    """What the office must fill in (``duban task edit``) before the draft can be assigned."""
    gaps = []
    if not task.lead_units:
        unknown = "、".join(task.unknown_units)
        gaps.append(f"牵头单位{f'（文中为：{unknown}，不在通讯录中）' if unknown else ''}")
    if task.due_at is None:
        gaps.append("完成时限")
    return f"待补充{'、'.join(gaps)}" if gaps else None


def _store_task(session: Session, task: Any, directive_id: int, actor: Actor,
                now: datetime, tz: Any) -> Task:
    from engine.tasks.creation import create_task_in_transaction

    data = TaskCreate(
        directive_id=directive_id, due_counts_from="directive",
        title=task.title[:256], requirement=task.requirement,
        lead_unit=task.lead_units[0] if task.lead_units else None,
        co_units=[*task.lead_units[1:], *task.co_units],
        due=task.due_at.astimezone(tz).isoformat() if task.due_at else None,
        target=task.quantity, measure=task.measure,
        recurrence_text=task.recurrence,
        milestones=[MilestoneCreate(title=t, due=d.astimezone(tz).isoformat())
                    for t, d in task.milestones],
    )
    stored = create_task_in_transaction(session=session, data=data, actor=actor, now=now)
    # Keep the deadline as the document wrote it beside its resolution.
    if task.due_at is not None:
        stored.due_text = stored.original_due_text = (task.due_text or stored.due_text)[:64]
    session.add(stored)
    return stored
