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

from engine.errors import DubanError, InvalidInput, Remedy, RowsRefused
from engine.intake.records import record_applied, refuse_if_applied
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
            addressee: str | None = None, progress: Any = None) -> IntakeResult:
    """Analyse ``text`` against the database's directory and calendar (the office's work: it
    reads the whole directory; refused beyond :data:`engine.intake.MAX_DOCUMENT_CHARS`, before
    the directory is read)."""
    from engine.intake import analyse_document, check_size

    require_office(actor, "识别文件中的督办事项")
    check_size(text)
    policy = get_policy(session)
    return analyse_document(text, directory=directory_snapshot(session), ref_date=ref_date,
                            addressee=addressee, tz=zone_for(policy),
                            calendar=calendar_for(policy), progress=progress)


@dataclass
class ApplyReport:
    """What applying stored: the directives (ids, and each one's title for a front end to name
    it by), the draft tasks' codes, the drafts still to complete and the items left out."""

    directives: list[int] = field(default_factory=list)
    directive_titles: dict[int, str] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"directives": self.directives, "tasks": self.tasks, "incomplete": self.incomplete,
                "skipped": self.skipped}


@dataclass(frozen=True)
class DraftEdit:
    """The office's corrections to one draft before it is stored; ``None`` keeps what was read.
    Units and the leader are references as the office types them (code, name or short name)."""

    title: str | None = None
    lead_unit: str | None = None
    co_units: tuple[str, ...] | None = None
    leader: str | None = None


@dataclass(frozen=True)
class ApplyChoices:
    """What the office decided about the drafts before applying: items (numbered from 1 as
    the review lists them) to leave out, the only ones to keep, deadlines to put instead of
    the ones read, other corrections, and whether a document applied before may be applied
    again."""

    skip: frozenset[int] = frozenset()
    only: frozenset[int] | None = None
    due: dict[int, str] = field(default_factory=dict)
    edits: dict[int, DraftEdit] = field(default_factory=dict)
    again: bool = False
    source: str = ""

    def keeps(self, number: int) -> bool:
        return number not in self.skip and (self.only is None or number in self.only)


LOW_CONFIDENCE = 0.5
"""Drafts below this confidence are marked for the office to check first."""


def result_json(result: IntakeResult, tz: Any) -> dict[str, Any]:
    """The ``--json`` form: ``directives`` and ``tasks`` with their source spans; units as
    ``{code, name}``, proposed units with the span of text that names them."""
    def iso(value: datetime | None) -> str | None:
        return value.astimezone(tz).isoformat() if value is not None else None

    def units(codes: list[str]) -> list[dict[str, str]]:
        return [{"code": c, "name": result.unit_names.get(c, c)} for c in codes]

    def proposed(task: Any) -> list[dict[str, Any]]:
        return [{"name": p.name, "role": p.role, "evidence": [p.start, p.end],
                 "text": result.text[p.start:p.end]} for p in task.proposed]

    return {
        "doc_date": result.doc_date.isoformat() if result.doc_date else None,
        "date_basis": {"source": result.date_basis[0], "date": result.date_basis[1].isoformat()}
        if result.date_basis else None,
        "warnings": result.warnings,
        "directives": [
            {"key": d.key, "kind": d.kind, "title": d.title, "text": d.text,
             "issued_by": d.issued_by, "issued_by_mention": d.issued_by_mention,
             "issued_at": d.issued_at.isoformat() if d.issued_at else None,
             "parent_key": d.parent_key, "read_only": d.read_only,
             "source_span": list(d.source_span)} for d in result.directives],
        "tasks": [
            {"index": k, "directive_key": t.directive_key, "title": t.title,
             "requirement": t.requirement,
             "lead_units": units(t.lead_units), "co_units": units(t.co_units),
             "proposed_units": proposed(t), "unknown_units": t.unknown_units, "owner": t.owner,
             "due_text": t.due_text, "due_at": iso(t.due_at), "quantity": t.quantity,
             "measure": t.measure, "recurrence": t.recurrence, "source_span": list(t.source_span),
             "confidence": t.confidence, "low_confidence": t.confidence < LOW_CONFIDENCE,
             "milestones": [{"title": m, "due_at": iso(d)} for m, d in t.milestones]}
            for k, t in enumerate(result.tasks, start=1)],
    }


@service
def apply_drafts(*, session: Session, result: IntakeResult, actor: Actor,
                 now: datetime, choices: ApplyChoices | None = None) -> ApplyReport:
    """Store the analysis: every directive and a draft task per kept item (incomplete ones
    listed). One transaction: any refusal leaves the database unchanged.

    Refused, with every reason at once: a document applied before (by the fingerprint of its
    normalised text) unless ``choices.again``; any item the task rules refuse, named by its
    number and title (the office then leaves it out or corrects it).
    A recurring item whose next occurrence has passed by ``now`` gets the one after ``now``.
    """
    require_office(actor, "登记来源事项")
    choices = choices or ApplyChoices()
    _check_numbers(choices, len(result.tasks))
    refuse_if_applied(session, kind="document", fingerprint=result.fingerprint,
                      again=choices.again)
    report = ApplyReport()
    ids: dict[str, int] = {}
    tz = zone_for(get_policy(session))
    for draft in result.directives:
        directive = _store_directive(session, draft, ids, actor, now, tz, result.doc_date)
        ids[draft.key] = pk(directive)
        report.directives.append(pk(directive))
        report.directive_titles[pk(directive)] = directive.title
    problems: dict[int, str] = {}
    for number, task in enumerate(result.tasks, start=1):
        if not choices.keeps(number):
            report.skipped.append(number)
            continue
        try:
            stored = _store_task(session, task, ids[task.directive_key], actor, now, tz,
                                 choices.due.get(number), choices.edits.get(number))
        except DubanError as exc:
            problems[number] = exc.message
            continue
        report.tasks.append(stored.code)
        missing = _missing(task, stored)
        if missing:
            report.incomplete.append(f"{stored.code} {task.title}：{missing}")
    if problems:
        raise _refused(result, problems)
    record_applied(session, kind="document", fingerprint=result.fingerprint,
                   source=choices.source, actor=actor, now=now,
                   directive_ids=report.directives, task_codes=report.tasks)
    return report


def _refused(result: IntakeResult, problems: dict[int, str]) -> RowsRefused:
    """Every refused item by number and title; the office leaves it out or corrects it
    (:attr:`Remedy.SKIP_OR_FIX_ITEMS`)."""
    lines = [f"第{number}项“{result.tasks[number - 1].title}”：{reason}"
             for number, reason in sorted(problems.items())]
    return RowsRefused(problems, "事项", "\n".join(
        ["以下事项未能登记，整份文档未登记（可不登记这些事项，或改正后重新登记）：", *lines]),
        remedy=Remedy.SKIP_OR_FIX_ITEMS)


def _check_numbers(choices: ApplyChoices, count: int) -> None:
    named = set(choices.skip) | set(choices.only or ()) | set(choices.due) | set(choices.edits)
    wrong = sorted(n for n in named if not 1 <= n <= count)
    if wrong:
        raise InvalidInput(f"事项序号 {'、'.join(map(str, wrong))} 不存在（本文档识别到 {count} 项）")


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


def _missing(task: Any, stored: Task) -> str | None:
    """What the office must fill in (``duban task edit``) before the draft can be assigned."""
    gaps = []
    if stored.lead_unit_id is None:
        unknown = "、".join(task.unknown_units)
        gaps.append(f"牵头单位{f'（文中为：{unknown}，不在通讯录中）' if unknown else ''}")
    if stored.due_at is None:
        written = f"（文中为：{task.due_text}）" if task.due_text else ""
        gaps.append(f"完成时限{written}")
    if task.owner and stored.owner_id is None:
        gaps.append(f"责任人（文中为：{task.owner}，不在通讯录中）")
    return f"待补充{'、'.join(gaps)}" if gaps else None


def _store_task(session: Session, task: Any, directive_id: int, actor: Actor,
                now: datetime, tz: Any, due_text: str | None, edit: DraftEdit | None) -> Task:
    from engine.tasks.creation import create_task_in_transaction

    due = due_text or _due(session, task, now, tz)
    data = TaskCreate(
        directive_id=directive_id, due_counts_from="directive",
        title=task.title[:256], requirement=task.requirement,
        lead_unit=task.lead_units[0] if task.lead_units else None,
        co_units=[*task.lead_units[1:], *task.co_units], due=due,
        owner=_owner(session, task.owner), target=task.quantity, measure=task.measure,
        recurrence_text=task.recurrence,
        milestones=[] if due_text else [
            MilestoneCreate(title=t, due=d.astimezone(tz).isoformat()) for t, d in task.milestones],
    )
    if edit is not None:
        _edit(data, edit)
    stored = create_task_in_transaction(session=session, data=data, actor=actor, now=now)
    # Keep the deadline as the document wrote it beside its resolution.
    if stored.due_at is not None and not due_text:
        stored.due_text = stored.original_due_text = (task.due_text or stored.due_text)[:64]
    session.add(stored)
    return stored


def _edit(data: TaskCreate, edit: DraftEdit) -> None:
    """Put the office's corrections into the task to create (checked there as any entry)."""
    if edit.title is not None:
        data.title = edit.title
    if edit.lead_unit is not None:
        data.lead_unit = edit.lead_unit or None
    if edit.co_units is not None:
        data.co_units = list(edit.co_units)
    if edit.leader is not None:
        data.leader = edit.leader or None


def _due(session: Session, task: Any, now: datetime, tz: Any) -> str | None:
    """The deadline to store: the one read; for a recurring item whose occurrence passed, the
    next one after ``now``."""
    if task.due_at is None:
        return None
    if task.recurrence and task.due_at <= now:
        from engine.errors import DeadlineParseError
        from engine.tasks.creation import resolve_due

        try:
            return resolve_due(session, text=task.recurrence, issued_at=now).due_at.astimezone(
                tz).isoformat()
        except DeadlineParseError:
            pass
    return str(task.due_at.astimezone(tz).isoformat())


def _owner(session: Session, written: str | None) -> str | None:
    """The directory person an owner field names, when exactly one has that full name."""
    if not written or "、" in written:
        return None
    found = session.exec(select(Person).where(Person.name == written,
                                              Person.active == True)).all()  # noqa: E712
    return found[0].name if len(found) == 1 else None
