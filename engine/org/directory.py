"""Looking up units and people the way documents and users name them.

Leaders are written as given name + title ("炳森书记", "占明副市长") or full name + title
("邢鹏市长"); :func:`person_mentions` derives those forms so the directory resolves them without
each one being typed in as an alias.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from config.text import UNSAFE_LINE
from engine.errors import AmbiguousReference, NotFound, Remedy
from engine.inputs import fits_db_int, printable, whole_number
from engine.org.naming import title_forms
from models import Directive, Person, Task, Unit


def person_mentions(person: Person) -> set[str]:
    """Every form under which ``person`` may be named: name, aliases, name or given name + title
    or + 同志 (:mod:`engine.org.naming`, the rule document intake uses too)."""
    return {person.name, *person.aliases, *title_forms(person.name, [person.title, "同志"])}


def _unreadable(ref: str) -> bool:
    """A reference with control characters names nothing (and PostgreSQL cannot even compare a
    text holding NUL): it is answered "not found" before any query."""
    return UNSAFE_LINE.search(ref) is not None


def find_unit(session: Session, ref: str) -> Unit:
    """The unit whose code, name or short name is ``ref``; raises :class:`NotFound`."""
    ref = ref.strip()
    if _unreadable(ref):
        raise NotFound(f"未找到单位“{printable(ref)}”")
    unit = session.exec(select(Unit).where(Unit.code == ref)).first()
    if unit is None:
        unit = session.exec(select(Unit).where(Unit.name == ref)).first()
    if unit is None:
        matches = [
            u for u in session.exec(select(Unit)).all() if ref in u.short_names
        ]
        if len(matches) > 1:
            names = "、".join(u.name for u in matches)
            raise AmbiguousReference(f"简称“{ref}”对应多个单位：{names}，请使用单位代码")
        unit = matches[0] if matches else None
    if unit is None:
        raise NotFound(f"未找到单位“{ref}”", remedy=Remedy.LIST_UNITS)
    return unit


def find_person(session: Session, ref: str) -> Person:
    """The active person named ``ref`` by name, alias or title form, optionally qualified by
    their unit ("张伟@FIRE", "张伟@消防"); raises on none or several (the message says how to
    tell them apart)."""
    ref = ref.strip()
    name, _, unit_ref = ref.partition("@")
    people = session.exec(select(Person).where(Person.active == True)).all()  # noqa: E712
    if unit_ref:
        unit = find_unit(session, unit_ref)
        people = [p for p in people if p.unit_id == unit.id]
    name = name.strip()
    exact = [p for p in people if p.name == name]
    matches = exact or [p for p in people if name in person_mentions(p)]
    if not matches:
        raise NotFound(f"未找到人员“{ref}”", remedy=Remedy.LIST_PEOPLE)
    if len(matches) > 1:
        raise _ambiguous(session, ref, matches)
    return matches[0]


def _ambiguous(session: Session, ref: str, matches: list[Person]) -> AmbiguousReference:
    units = {u.id: u for u in session.exec(select(Unit)).all()}
    who = "、".join(f"{p.name}（{units[p.unit_id].name if p.unit_id in units else '无单位'}"
                   f"{' ' + p.title if p.title else ''}）" for p in matches)
    qualified = [f"{p.name}@{units[p.unit_id].code}" for p in matches if p.unit_id in units]
    if len(set(qualified)) == len(matches):
        hint = "请写明单位，如 " + " 或 ".join(qualified)
        return AmbiguousReference(f"“{ref}”对应 {len(matches)} 人：{who}；{hint}")
    return AmbiguousReference(f"“{ref}”对应 {len(matches)} 人：{who}；请改用各人的别称",
                              remedy=Remedy.LIST_PEOPLE)


def task_not_found(ref: str | int) -> NotFound:
    """The refusal for a task that does not exist — or that the asker may not see."""
    return NotFound(f"未找到督办事项“{str(ref).strip()}”")


def locked(query: Any) -> Any:
    """``query`` taking a write lock on its rows (PostgreSQL ``FOR NO KEY UPDATE``; SQLite's
    write transaction already holds the database lock) and refreshing them in the session.

    NO KEY: writers of the same task queue behind each other, while rows that only reference it
    (outbox messages, reports, audit events) are inserted freely — a full ``FOR UPDATE`` would
    make those inserts wait too, and a writer holding the audit chain's lock could then deadlock
    with the escalation pass. ``populate_existing``: an object the session loaded before the
    lock (the page a request read first) is overwritten with the committed row."""
    return query.with_for_update(key_share=True).execution_options(
        populate_existing=True)


def find_task(session: Session, ref: str | int, *, for_update: bool = False) -> Task:
    """The task with code ``ref`` (e.g. DB-2024-0031) or numeric id; raises :class:`NotFound`.

    ``for_update``: the row is locked until the transaction ends and read as last committed,
    whatever the session had loaded before (see :func:`engine.org.visibility.find_visible_task`).
    No permission is checked: services use :func:`engine.org.visibility.find_visible_task`.
    """
    text = str(ref).strip()
    if _unreadable(text):
        raise task_not_found(printable(text))
    query = select(Task).where(Task.code == text.upper())
    if for_update:
        query = locked(query)
    task = session.exec(query).first()
    number = whole_number(text)
    if task is None and number is not None:
        task = (session.exec(locked(select(Task).where(Task.id == number))).first()
                if for_update else session.get(Task, number))
    if task is None:
        raise task_not_found(text)
    return task


def find_directive(session: Session, ref: str | int) -> Directive:
    """The directive with id ``ref``; raises :class:`NotFound`."""
    text = str(ref).strip()
    number = whole_number(text)
    directive = session.get(Directive, number) if number is not None else None
    if directive is None:
        raise NotFound(f"未找到来源事项“{text}”")
    return directive


def unit_name(session: Session, unit_id: int | None) -> str:
    if unit_id is None:
        return ""
    unit = session.get(Unit, unit_id)
    return unit.name if unit is not None else ""


def unit_code(session: Session, unit_id: int) -> str:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"未找到单位 {unit_id}")
    return unit.code


def person_name(session: Session, person_id: int | None) -> str:
    if person_id is None:
        return ""
    person = session.get(Person, person_id)
    return person.name if person is not None else ""


def person_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The names of the people ``ids`` (``None`` skipped) in one query of two columns: a
    page names a few people, and a city's directory is large."""
    return _by_id(session, Person.id, Person.name, ids)


def directive_titles(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The titles of the directives ``ids`` (``None`` skipped) in one query of two columns;
    an id no directive has is left out."""
    return _by_id(session, Directive.id, Directive.title, ids)


def _by_id(session: Session, key: Any, value: Any, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None and fits_db_int(i)}
    if not wanted:
        return {}
    rows = session.exec(select(key, value).where(col(key).in_(wanted))).all()
    return {i: n for i, n in rows if i is not None}
