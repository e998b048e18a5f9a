"""Task lists and the board, as each person may see them.

Nothing here writes. A list is filtered, scoped to what the actor may see
(:mod:`engine.org.visibility`) and sorted in SQL, and read a page at a time by keyset
(:mod:`engine.read.filters`); its rows are built with one query for the tasks, one for their
cooperating units and one for the names they mention, never one query per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import any_, bindparam, case, func, literal_column, or_, union_all
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from engine.calendar.lights import (
    LIT_STATUSES,
    days_overdue,
    is_overdue,
    light_at,
    light_condition,
    yellow_cutoff,
)
from engine.inputs import check_line
from engine.org.actors import Actor
from engine.org.directory import find_person, find_unit
from engine.org.leaders import leader_id_of, supervised_by
from engine.org.visibility import sees_all_tasks, task_scope
from engine.read.filters import (
    PageRequest,
    Position,
    Sort,
    TaskFilters,
    dated_phase,
    id_order,
    position_of,
    undated_phase,
)
from engine.read.listed import LISTED_COLUMNS, Listed, ListedTask, listed
from engine.read.merged import by_status
from engine.read.schemas import BoardRow, Page, TaskRow
from engine.read.tally import status_counts
from engine.store.policy import get_policy, zone_for
from engine.values import (
    EscalationLevel,
    ExtensionState,
    Light,
    Priority,
    Rating,
    TaskStatus,
    UnitRole,
)
from models import Directive, ExtensionRequest, LeaderScope, Person, Task, TaskUnit, Unit

_STATUS = {m.value: m for m in TaskStatus}
_PRIORITY = {m.value: m for m in Priority}
_LIGHT = {m.value: m for m in Light}
_RATING = {m.value: m for m in Rating}
_LEVEL = {m.value: m for m in EscalationLevel}


def _unit_names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    """Names of the units ``ids`` (of every unit when ``None``): columns only, no ORM rows."""
    query = select(Unit.id, Unit.name)
    if ids is not None:
        wanted = set(ids)
        if not wanted:
            return {}
        query = query.where(col(Unit.id).in_(wanted))
    return {i: n for i, n in session.exec(query).all() if i is not None}


@dataclass(frozen=True, slots=True)
class _Names:
    """Every name a page of task rows shows."""

    units: dict[int, str]
    """Lead unit id → name."""
    people: dict[int, str]
    """Owner or supervising leader id → name."""
    co: dict[int, list[str]]
    """Task id → its cooperating units' names, in the order they were added."""
    scopes: dict[int, int]
    """Lead unit id → the leader supervising it (:func:`engine.org.leaders.scope_leaders`)."""


def _id_list(column: Any, name: str, dialect: str) -> Any:
    """``column IN (the ids passed as parameter name)``, written so that the statement's text is
    the same whatever the number of ids: an array on PostgreSQL (``= ANY``), whose driver then
    prepares the statement once instead of planning it on every page; SQLite has no arrays and
    plans in microseconds, so an expanding ``IN`` there."""
    if dialect == "postgresql":
        # Untyped, the driver's own array: with SQLAlchemy's "::INTEGER[]" cast the names of a
        # ledger page took 1.5 ms instead of 1.0 ms at a million tasks.
        return column == any_(bindparam(name))
    return column.in_(bindparam(name, expanding=True))


def _names_query(dialect: str) -> Any:
    """The statement of :func:`_names` for ``dialect``, built once per dialect: a page pays
    neither for building it nor for coercing each id."""
    # Constants are written into the SQL rather than bound: the text says what each branch
    # is, and the plan of the prepared statement needs no parameter for them.
    zero: Any = literal_column("0")
    branches: list[Any] = [
        sql_select(literal_column("'u'").label("kind"), col(Unit.id).label("key"), zero.label("ref"),
                   zero.label("rank"), col(Unit.name).label("name"))
        .where(_id_list(col(Unit.id), "units", dialect)),
        sql_select(literal_column("'p'"), col(Person.id), zero, zero, col(Person.name))
        .where(_id_list(col(Person.id), "people", dialect)),
        sql_select(literal_column("'c'"), col(TaskUnit.task_id), col(TaskUnit.id), zero, col(Unit.name))
        .join(Unit, col(Unit.id) == col(TaskUnit.unit_id))
        .where(_id_list(col(TaskUnit.task_id), "tasks", dialect),
               col(TaskUnit.role) == literal_column(f"'{UnitRole.CO.value}'")),
        sql_select(literal_column("'s'"), col(LeaderScope.unit_id), col(Person.id),
                   case((col(Person.top_leader), literal_column("1")), else_=zero), col(Person.name))
        .join(Person, col(Person.id) == col(LeaderScope.person_id))
        .where(_id_list(col(LeaderScope.unit_id), "units", dialect), col(Person.active).is_(True)),
    ]
    return union_all(*branches).order_by("kind", "rank", "ref")


_NAMES = {dialect: _names_query(dialect) for dialect in ("sqlite", "postgresql")}


def _names(session: Session, tasks: Sequence[Listed]) -> _Names:
    """The names of ``tasks``' lead and cooperating units, owners and leaders — named on the
    task or supervising its lead unit (the rule of :func:`engine.org.leaders.scope_leaders`) —
    in one round trip: each query costs more than the few rows it reads."""
    params = {
        "units": list({t.lead_unit_id for t in tasks if t.lead_unit_id is not None}),
        "people": list({p for t in tasks for p in (t.owner_id, t.leader_id) if p is not None}),
        "tasks": [t.id for t in tasks if t.id is not None],
    }
    dialect = session.get_bind().dialect.name
    query = _NAMES[dialect] if dialect in _NAMES else _names_query(dialect)
    rows = _core(session).execute(query, params).all()
    found = _Names(units={}, people={}, co=defaultdict(list), scopes={})
    for kind, key, ref, _rank, name in rows:
        if kind == "u":
            found.units[key] = name
        elif kind == "p":
            found.people[key] = name
        elif kind == "c":
            found.co[key].append(name)
        elif key not in found.scopes:  # "s": the first in (top_leader, id) order wins
            found.scopes[key] = ref
            found.people.setdefault(ref, name)
    return found


def task_codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """``{task id: code}`` for ``ids`` (one query)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Task.id, Task.code).where(col(Task.id).in_(wanted))).all()
    return {i: c for i, c in rows if i is not None}


def task_rows(session: Session, tasks: Sequence[Listed], now: datetime) -> list[TaskRow]:
    """Each task as a :class:`TaskRow` (times in the local zone, lights as of ``now``).

    No permission is checked here: callers pass tasks the reader may see.
    """
    if not tasks:
        return []
    policy = get_policy(session)
    names = _names(session, tasks)
    # The same rule as engine.calendar.lights.light, with the warning-window boundary computed
    # once instead of counting working days per row.
    cutoff = yellow_cutoff(now, policy)
    tz = zone_for(policy)

    def local(value: datetime | None) -> datetime | None:
        return value.astimezone(tz) if value is not None else None

    rows = []
    for t in tasks:
        colour = light_at(t, now, cutoff)
        rows.append(TaskRow(
            id=t.id or 0, code=t.code, title=t.title, status=_STATUS[t.status],
            priority=_PRIORITY.get(t.priority, Priority.NORMAL),
            light=_LIGHT[colour] if colour else None, overdue=is_overdue(t, now),
            days_overdue=days_overdue(t, now, policy), due_at=local(t.due_at),
            due_text=t.due_text, original_due_at=local(t.original_due_at),
            original_due_text=t.original_due_text, extension_count=t.extension_count,
            lead_unit=names.units.get(t.lead_unit_id or 0, ""),
            co_units=names.co.get(t.id or 0, []), owner=names.people.get(t.owner_id or 0),
            leader=names.people.get(leader_id_of(t, names.scopes) or 0),
            escalation_level=_LEVEL.get(t.escalation_level, EscalationLevel.BULLETIN),
            target=t.target, achieved=t.achieved, measure=t.measure, directive_id=t.directive_id,
            parent_id=t.parent_id, recurrence=t.recurrence_text,
            rating=_RATING.get(t.rating) if t.rating else None,
            last_progress_at=local(t.last_progress_at)))
    return rows


def filter_conditions(session: Session, actor: Actor, filters: TaskFilters,
                      now: datetime) -> list[Any]:
    """The SQL conditions of ``filters`` within what ``actor`` may see."""
    filters = checked_filters(filters)
    where: list[Any] = []
    scope = task_scope(session, actor)
    if scope is not None:
        where.append(scope)
    if filters.unit is not None:
        unit_id = find_unit(session, filters.unit).id
        where.append(col(Task.id).in_(select(TaskUnit.task_id).where(TaskUnit.unit_id == unit_id)))
    if filters.statuses:
        where.append(col(Task.status).in_([s.value for s in filters.statuses]))
    if filters.overdue:
        where += [col(Task.status).in_(LIT_STATUSES), col(Task.due_at) < now]
    if filters.light is not None:
        where.append(light_condition(filters.light.value, now,
                                     yellow_cutoff(now, get_policy(session))))
    if filters.leader is not None:
        where.append(supervised_by(session, find_person(session, filters.leader).id))
    if filters.leader_id is not None:
        where.append(supervised_by(session, filters.leader_id))
    if filters.source_kind is not None:
        where.append(col(Task.directive_id).in_(
            select(Directive.id).where(Directive.kind == filters.source_kind.value)))
    if filters.due_from is not None:
        where.append(col(Task.due_at) >= filters.due_from)
    if filters.due_to is not None:
        where.append(col(Task.due_at) <= filters.due_to)
    if filters.text:
        where.append(_text_condition(filters.text))
    if filters.min_escalation is not None:
        where.append(col(Task.escalation_level) >= filters.min_escalation)
    if filters.awaiting_extension:
        where += awaiting_extension()
    return where


def awaiting_extension() -> list[Any]:
    """The conditions of 待延期审批: an open task with an extension request still pending (the
    office's list on the home page and the 台账 filter are the same rule)."""
    pending = select(ExtensionRequest.task_id).where(
        ExtensionRequest.status == ExtensionState.PENDING)
    return [col(Task.id).in_(pending), col(Task.status).in_(LIT_STATUSES)]


FILTER_TEXT_MAX = 100
"""Longest unit, leader or search text a list filter accepts, in characters."""


def checked_filters(filters: TaskFilters) -> TaskFilters:
    """``filters`` with its typed words checked as one-line input (no control characters, at
    most :data:`FILTER_TEXT_MAX` characters), so a list refuses them in Chinese on every database
    instead of failing in SQL."""
    def checked(value: str | None, what: str) -> str | None:
        return None if value is None else check_line(value, what, max_length=FILTER_TEXT_MAX)

    return replace(filters, unit=checked(filters.unit, "单位"),
                   leader=checked(filters.leader, "分管领导"),
                   text=checked(filters.text, "查询文字"))


def _text_condition(text: str) -> Any:
    words = text.strip()
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(col(Task.title).like(pattern, escape="\\"), col(Task.code) == words.upper())


def visible_tasks(*, session: Session, actor: Actor, now: datetime,
                  filters: TaskFilters | None = None,
                  page: PageRequest | None = None) -> Page[TaskRow]:
    """The tasks ``actor`` may see that match ``filters``, in ``filters.sort`` order, one page.

    ``page=None`` returns every match (for exports and the CLI's whole list); otherwise at most
    ``page.limit`` rows after ``page.cursor`` and the cursor of the next page (``None`` on the
    last). Lights are as of ``now``.
    """
    filters = filters or TaskFilters()
    where = filter_conditions(session, actor, filters, now)
    limit = page.checked_limit() if page is not None else None
    after = Position.decode(page.cursor, filters.sort) if page and page.cursor else None
    tasks = _ordered(session, where, filters.sort, after, None if limit is None else limit + 1,
                     statuses=_confined_statuses(filters))
    more = limit is not None and len(tasks) > limit
    tasks = tasks[:limit] if limit is not None else tasks
    cursor = position_of(tasks[-1], filters.sort).encode() if more and tasks else None
    return Page(items=task_rows(session, tasks, now), next_cursor=cursor)


def _confined_statuses(filters: TaskFilters) -> tuple[str, ...] | None:
    """The statuses ``filters`` confine a list to (``None``: any status)."""
    allowed: set[str] | None = None
    if filters.statuses:
        allowed = {s.value for s in filters.statuses}
    if filters.light is not None or filters.overdue or filters.awaiting_extension:
        lit = {str(s) for s in LIT_STATUSES}
        allowed = lit if allowed is None else allowed & lit
    return tuple(sorted(allowed)) if allowed is not None else None


def _ordered(session: Session, where: list[Any], sort: Sort, after: Position | None,
             limit: int | None, *, statuses: tuple[str, ...] | None = None) -> list[ListedTask]:
    """Up to ``limit`` tasks (all with ``None``) matching ``where`` past ``after`` in ``sort``,
    as their listed columns.

    ``statuses`` (what ``where`` already confines the list to) lets a page in deadline order be
    read as one walk of the (status, deadline) index per status, merged: for several statuses
    an index ordered within one status cannot give the order, and the database would sort every
    match — hundreds of thousands of overdue tasks for the 红灯 view at a million."""
    # (conditions, order, whether the phase is in deadline order)
    phases: list[tuple[list[Any], list[Any], bool]]
    if sort in (Sort.NEWEST, Sort.OLDEST):
        phases = [(*id_order(sort, after), False)]
    else:
        dated = dated_phase(sort, after)
        phases = ([(*dated, True)] if dated is not None else []) + [
            (*undated_phase(sort, after), False)]
    found: list[ListedTask] = []
    for conditions, order, by_deadline in phases:
        wanted = None if limit is None else limit - len(found)
        if wanted is not None and by_deadline and statuses and len(statuses) > 1:
            found += _merged_by_status(session, [*where, *conditions], order, statuses, wanted,
                                       descending=sort is Sort.DUE_DESC)
        else:
            query = select(*LISTED_COLUMNS).where(*where, *conditions).order_by(*order)
            if wanted is not None:
                query = query.limit(wanted)
            found += _listed_rows(session, query)
        if limit is not None and len(found) >= limit:
            break
    return found


def _listed_rows(session: Session, query: Any) -> list[ListedTask]:
    """``query`` (a select of :data:`LISTED_COLUMNS`) run on the session's connection: plain
    rows, without the ORM's result machinery (0.12 ms of a 0.6 ms page read)."""
    return listed(_core(session).execute(query).all())


def _core(session: Session) -> Any:
    """The session's connection for a Core read, after the flush the ORM would have done
    (a caller that changed tasks in this session reads its own changes)."""
    if session.autoflush:
        session.flush()
    return session.connection()


def _merged_by_status(session: Session, where: list[Any], order: list[Any],
                      statuses: tuple[str, ...], limit: int, *,
                      descending: bool) -> list[ListedTask]:
    """The first ``limit`` rows of a deadline-ordered phase: the same limit read from each
    status's own index range, merged by (deadline, id)."""
    found: list[ListedTask] = []
    for branch in by_status(statuses, where):
        found += _listed_rows(session, select(*LISTED_COLUMNS).where(*branch)
                              .order_by(*order).limit(limit))
    found.sort(key=lambda t: (t.due_at, t.id), reverse=descending)
    return found[:limit]


def board(*, session: Session, actor: Actor, now: datetime) -> list[BoardRow]:
    """Per lead unit, over the tasks ``actor`` may see: assigned tasks by light, escalated and
    closed counts; red-heavy first. Drafts are the office's own queue, not yet the units' work."""
    policy = get_policy(session)
    units = _unit_names(session)
    counts: dict[int, dict[str, int]] = defaultdict(
        lambda: {"red": 0, "yellow": 0, "green": 0, "open": 0, "closed": 0, "escalated": 0}
    )
    cutoff = yellow_cutoff(now, policy)
    scope = task_scope(session, actor)
    query = select(Task).where(Task.status != TaskStatus.DRAFT)
    if scope is not None:
        query = query.where(scope)
    for task in session.exec(query).all():
        entry = counts[task.lead_unit_id or 0]
        colour = light_at(task, now, cutoff)
        if colour is None:
            entry["closed"] += task.status == TaskStatus.CLOSED
            continue
        entry[colour] += 1
        entry["open"] += 1
        entry["escalated"] += task.escalation_level > 0
    rows = [BoardRow(unit=units.get(uid, ""), **c) for uid, c in counts.items()]
    return sorted(rows, key=lambda r: (-r.red, -r.yellow, r.unit))


@dataclass(frozen=True, slots=True)
class Total:
    """How many tasks a list holds, for "共 N 项" beside its page."""

    count: int
    at_least: bool = False
    """``count`` is a lower bound: the list was counted only up to it."""


def visible_total(*, session: Session, actor: Actor, now: datetime,
                  filters: TaskFilters | None = None, cap: int) -> Total:
    """How many tasks ``actor`` may see match ``filters``.

    Exact, from the maintained tallies (:func:`engine.read.tally.status_counts`, exact as of the
    reader's transaction), when the list narrows by status at most and ``actor`` sees every
    task or every assigned one; otherwise counted up to ``cap`` (a million-row list costs what
    ``cap`` rows cost) and marked ``at_least`` beyond it."""
    filters = filters or TaskFilters()
    only_statuses = replace(filters, statuses=(), sort=Sort.DUE) == TaskFilters()
    if only_statuses and sees_all_tasks(session, actor):
        wanted = {s.value for s in filters.statuses} or set(_STATUS)
        if not actor.sees_everything:
            wanted.discard(TaskStatus.DRAFT.value)
        counts = status_counts(session)
        return Total(sum(counts.get(status, 0) for status in wanted))
    found = count_visible(session=session, actor=actor, now=now, filters=filters, cap=cap + 1)
    return Total(min(found, cap), at_least=found > cap)


def count_visible(*, session: Session, actor: Actor, now: datetime,
                  filters: TaskFilters | None = None, cap: int | None = None) -> int:
    """How many tasks ``actor`` may see match ``filters`` (for "共 N 项" beside a page).

    With ``cap`` the count stops there (the answer is ``min(count, cap)``), so a page of a
    million-row list costs about what reading ``cap`` rows costs, not a million."""
    where = filter_conditions(session, actor, filters or TaskFilters(), now)
    if cap is None:
        return int(session.exec(select(func.count()).select_from(Task).where(*where)).one())
    found = select(col(Task.id)).where(*where).limit(cap).subquery()
    return int(session.exec(select(func.count()).select_from(found)).one())
