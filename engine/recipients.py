"""Who hears about a task: unit contacts and heads, the supervising leader, top leaders, office."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from models import Person, Task, TaskUnit

UNIT_RECIPIENT_ROLES = ("unit_contact", "unit_head")


def _with_role(people: Iterable[Person], roles: Iterable[str]) -> list[Person]:
    wanted = set(roles)
    return [p for p in people if wanted & set(p.roles)]


def unit_people(session: Session, unit_id: int) -> list[Person]:
    """The active contacts and heads of a unit, in id order."""
    people = session.exec(
        select(Person).where(Person.unit_id == unit_id, Person.active == True)  # noqa: E712
        .order_by(Person.id)  # type: ignore[arg-type]
    ).all()
    return _with_role(people, UNIT_RECIPIENT_ROLES)


def task_unit_people(session: Session, task: Task, *, lead_only: bool = False) -> list[Person]:
    """Contacts and heads of the task's lead unit (and cooperating units unless ``lead_only``)."""
    query = select(TaskUnit).where(TaskUnit.task_id == task.id)
    if lead_only:
        query = query.where(TaskUnit.role == "lead")
    people: list[Person] = []
    for link in session.exec(query.order_by(TaskUnit.id)).all():  # type: ignore[arg-type]
        people.extend(unit_people(session, link.unit_id))
    return _unique(people)


def office_people(session: Session) -> list[Person]:
    people = session.exec(select(Person).where(Person.active == True)).all()  # noqa: E712
    return _with_role(people, ("office",))


def top_leaders(session: Session) -> list[Person]:
    return list(
        session.exec(
            select(Person).where(Person.top_leader == True, Person.active == True)  # noqa: E712
        ).all()
    )


def supervising_leader(session: Session, task: Task) -> Person | None:
    return session.get(Person, task.leader_id) if task.leader_id is not None else None


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
