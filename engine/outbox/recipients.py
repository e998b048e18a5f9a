"""Who hears about a task: unit contacts and heads, the supervising leader, top leaders, office."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import String, cast
from sqlmodel import Session, col, select

from engine.org.leaders import leader_id_of, scope_leaders, supervising_leader_id
from models import Person, Task, TaskUnit

UNIT_RECIPIENT_ROLES = ("unit_contact", "unit_head")


def _with_role(people: Iterable[Person], roles: Iterable[str]) -> list[Person]:
    wanted = set(roles)
    return [p for p in people if wanted & set(p.roles)]


def unit_people(session: Session, unit_id: int) -> list[Person]:
    """The active contacts and heads of a unit, in id order."""
    people = session.exec(
        select(Person).where(Person.unit_id == unit_id, Person.active == True)  # noqa: E712
        .order_by(col(Person.id))
    ).all()
    return _with_role(people, UNIT_RECIPIENT_ROLES)


def task_unit_people(session: Session, task: Task, *, lead_only: bool = False) -> list[Person]:
    """Contacts and heads of the task's lead unit (and cooperating units unless ``lead_only``)."""
    query = select(TaskUnit).where(TaskUnit.task_id == task.id)
    if lead_only:
        query = query.where(TaskUnit.role == "lead")
    people: list[Person] = []
    for link in session.exec(query.order_by(col(TaskUnit.id))).all():
        people.extend(unit_people(session, link.unit_id))
    return _unique(people)


def office_people(session: Session) -> list[Person]:
    # The JSON text prefilter keeps the other few thousand people out of the ORM; the exact role
    # test stays in Python.
    people = session.exec(
        select(Person).where(col(Person.active).is_(True),
                             cast(col(Person.roles), String).like('%"office"%'))
        .order_by(col(Person.id))
    ).all()
    return _with_role(people, ("office",))


def top_leaders(session: Session) -> list[Person]:
    return list(
        session.exec(
            select(Person).where(Person.top_leader == True, Person.active == True)  # noqa: E712
            .order_by(col(Person.id))
        ).all()
    )


def supervising_leader(session: Session, task: Task) -> Person | None:
    """The task's leader, else the one supervising its lead unit (:mod:`engine.org.leaders`)."""
    leader_id = supervising_leader_id(session, task)
    return session.get(Person, leader_id) if leader_id is not None else None


def escalation_recipients(session: Session, task: Task, level: int) -> list[Person]:
    """Level 1: the lead unit's contact and head; 2: plus the supervising leader; 3: plus the
    top leaders and the office (the item is named in their summary and the next bulletin)."""
    people = task_unit_people(session, task, lead_only=True)
    if level >= 2:
        leader = supervising_leader(session, task)
        if leader is not None:
            people.append(leader)
    if level >= 3:
        people.extend(top_leaders(session))
        people.extend(office_people(session))
    return _unique(people)


def _unique(people: Iterable[Person]) -> list[Person]:
    seen: set[int | None] = set()
    out = []
    for person in people:
        if person.id not in seen:
            seen.add(person.id)
            out.append(person)
    return out


class RecipientCache:
    """The answers of the functions above, memoised for one escalation pass.

    Guarantees the same people in the same order as :func:`task_unit_people` and
    :func:`escalation_recipients`, with a constant number of queries per batch of tasks
    (:meth:`prefetch`) instead of several per task. People are held for the whole pass, so the
    cache must not outlive it (a person's roles or activity could change between passes).
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._units: dict[int, list[Person]] = {}
        self._links: dict[int, list[tuple[int, str]]] = {}  # task id → (unit id, role)
        self._people: dict[int, Person] = {}
        self._top: list[Person] | None = None
        self._office: list[Person] | None = None
        self._scopes: dict[int, int] | None = None

    def prefetch(self, task_ids: Iterable[int]) -> None:
        """Load the unit links of ``task_ids`` and the people of their units in two queries."""
        wanted = [i for i in task_ids if i not in self._links]
        if not wanted:
            return
        for task_id in wanted:
            self._links[task_id] = []
        links = self.session.exec(
            select(TaskUnit.task_id, TaskUnit.unit_id, TaskUnit.role)
            .where(col(TaskUnit.task_id).in_(wanted))
            .order_by(col(TaskUnit.id))
        ).all()
        for task_id, unit_id, role in links:
            self._links[task_id].append((unit_id, role))
        units = {unit_id for _, unit_id, _ in links} - set(self._units)
        if units:
            for unit_id in units:
                self._units[unit_id] = []
            people = self.session.exec(
                select(Person).where(col(Person.unit_id).in_(units), col(Person.active).is_(True))
                .order_by(col(Person.id))
            ).all()
            for person in people:
                self._people[person.id or 0] = person
                if set(UNIT_RECIPIENT_ROLES) & set(person.roles):
                    self._units[person.unit_id or 0].append(person)

    def forget_links(self) -> None:
        """Drop the per-task links (kept per batch; the people stay for the pass)."""
        self._links.clear()

    def unit_people(self, unit_id: int) -> list[Person]:
        if unit_id not in self._units:
            self._units[unit_id] = unit_people(self.session, unit_id)
        return self._units[unit_id]

    def task_unit_people(self, task: Task, *, lead_only: bool = False) -> list[Person]:
        if task.id not in self._links:
            self.prefetch([task.id or 0])
        people: list[Person] = []
        for unit_id, role in self._links[task.id or 0]:
            if not lead_only or role == "lead":
                people.extend(self.unit_people(unit_id))
        return _unique(people)

    def escalation_recipients(self, task: Task, level: int) -> list[Person]:
        """As :func:`escalation_recipients`."""
        people = self.task_unit_people(task, lead_only=True)
        if self._scopes is None:
            self._scopes = scope_leaders(self.session)
        leader_id = leader_id_of(task, self._scopes)
        if level >= 2 and leader_id is not None:
            leader = self._people.get(leader_id) or self.session.get(Person, leader_id)
            if leader is not None:
                self._people[leader_id] = leader
                people.append(leader)
        if level >= 3:
            if self._top is None or self._office is None:
                self._top, self._office = top_leaders(self.session), office_people(self.session)
            people.extend(self._top)
            people.extend(self._office)
        return _unique(people)
