"""Units and people: added one at a time from the CLI, or loaded in bulk from the org file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, delete, select

from config.orgfile import ROLES, OrgFile, PersonSpec, UnitSpec, translate_validation_error
from config.policy import Policy, merge_policy
from engine.errors import Conflict, InvalidInput, Remedy
from engine.org.actors import Actor
from engine.org.directory import find_unit
from engine.org.permissions import require_office
from engine.store.ids import pk
from engine.store.mode import set_simulation
from engine.store.policy import get_policy, save_policy
from engine.store.service import service
from engine.tasks import audit
from models import LeaderScope, Person, Unit


def _check_unit(session: Session, spec: UnitSpec) -> Unit | None:
    existing = session.exec(select(Unit).where(Unit.name == spec.name)).first()
    if existing is not None and existing.code != spec.code:
        raise Conflict(f"单位名称“{spec.name}”已被代码 {existing.code} 使用")
    return find_unit(session, spec.parent) if spec.parent else None


@service
def mark_simulation(*, session: Session, actor: Actor) -> bool:
    """Mark a new, empty database as a simulation (``duban init --simulation``): the only kind
    that accepts a moved clock (:mod:`engine.store.mode`). The mark is the first audit event.
    Returns ``False`` when the database already was one."""
    require_office(actor, "建立模拟数据库")
    if not set_simulation(session, wall_clock=actor.clock()):
        return False
    audit.record(session, actor=actor, entity="database", entity_id=None,
                 action="mark_simulation", now=actor.clock(), after={"simulation": True})
    return True


@service
def add_unit(*, session: Session, spec: UnitSpec, actor: Actor, now: datetime) -> Unit:
    """Register a unit; refused if the code or the name is taken or the parent is unknown."""
    require_office(actor, "登记单位")
    if session.exec(select(Unit).where(Unit.code == spec.code)).first() is not None:
        raise Conflict(f"单位代码 {spec.code} 已存在")
    parent = _check_unit(session, spec)
    unit = Unit(code=spec.code, name=spec.name, kind=spec.kind, short_names=list(spec.short_names),
                parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    audit.record(session, actor=actor, entity="unit", entity_id=unit.id, action="create", now=now,
                 after=spec.model_dump())
    return unit


def _check_person(session: Session, spec: PersonSpec) -> tuple[Unit | None, list[Unit]]:
    for role in spec.roles:
        if role not in ROLES:
            raise InvalidInput(f"角色“{role}”无效，应为：{'、'.join(ROLES)}")
    unit = find_unit(session, spec.unit) if spec.unit else None
    if unit is None and set(spec.roles) & {"unit_head", "unit_contact"}:
        raise InvalidInput("单位负责人或联络员必须指定所属单位", remedy=Remedy.PERSON_UNIT)
    if spec.telegram_chat is not None:
        taken = session.exec(
            select(Person).where(Person.telegram_chat_id == spec.telegram_chat)
        ).first()
        if taken is not None and taken.name != spec.name:
            raise Conflict(f"Telegram 会话 {spec.telegram_chat} 已绑定给 {taken.name}")
    return unit, [find_unit(session, code) for code in spec.supervises]


def _apply_person(session: Session, person: Person, spec: PersonSpec, unit: Unit | None,
                  scope: list[Unit]) -> None:
    person.title, person.roles, person.aliases = spec.title, list(spec.roles), list(spec.aliases)
    person.unit_id = unit.id if unit else None
    person.email, person.top_leader = spec.email, spec.top_leader
    person.telegram_chat_id = spec.telegram_chat
    person.channels = list(spec.channels)
    session.add(person)
    session.flush()
    session.execute(delete(LeaderScope).where(col(LeaderScope.person_id) == pk(person)))
    for supervised in scope:
        session.add(LeaderScope(person_id=pk(person), unit_id=pk(supervised)))


@service
def add_person(*, session: Session, spec: PersonSpec, actor: Actor, now: datetime,
               allow_same_name: bool = False) -> Person:
    """Register a person; refused if someone of the same name is already in the same unit.

    Someone of the same name in another unit is refused too unless ``allow_same_name``: from
    then on the bare name would name two people, so neither could be named by it alone (both
    remain reachable as 姓名@单位代码, which the refusal explains).
    """
    require_office(actor, "登记人员")
    unit, scope = _check_person(session, spec)
    clash = session.exec(
        select(Person).where(Person.name == spec.name, Person.unit_id == (unit.id if unit else None))
    ).first()
    if clash is not None:
        raise Conflict(f"{unit.name if unit else ''}已有人员“{spec.name}”")
    namesake = session.exec(select(Person).where(Person.name == spec.name,
                                                 Person.active == True)).first()  # noqa: E712
    if namesake is not None and not allow_same_name:
        home = session.get(Unit, namesake.unit_id) if namesake.unit_id else None
        where = home.name if home is not None else "无单位"
        raise Conflict(f"已有同名人员“{spec.name}”（{where}）。再登记一位同名人员后，仅写“{spec.name}”"
                       "将无法区分两人，须写成 姓名@单位代码（如 "
                       f"{spec.name}@{unit.code if unit else '单位代码'}）；确需登记的，须明确确认",
                       remedy=Remedy.ALLOW_SAME_NAME)
    person = Person(name=spec.name)
    _apply_person(session, person, spec, unit, scope)
    audit.record(session, actor=actor, entity="person", entity_id=person.id, action="create",
                 now=now, after=spec.model_dump())
    return person


@service
def load_org(*, session: Session, org: OrgFile, actor: Actor,
             now: datetime) -> dict[str, Any]:
    """Create or update every unit and person of the file and store its policy.

    Units are matched by code, people by name; nothing is deleted, and policy settings the file
    does not mention keep their stored values. Returns counts and ``policy_changed`` (the dotted
    names of the settings the file changed).
    """
    require_office(actor, "载入组织与规则配置")
    counts = {"units_added": 0, "units_updated": 0, "people_added": 0, "people_updated": 0}
    for spec in org.units:
        unit = session.exec(select(Unit).where(Unit.code == spec.code)).first()
        counts["units_updated" if unit else "units_added"] += 1
        unit = unit or Unit(code=spec.code, name=spec.name)
        unit.name, unit.kind, unit.short_names = spec.name, spec.kind, list(spec.short_names)
        session.add(unit)
        session.flush()
    for spec in org.units:
        if spec.parent:
            unit = find_unit(session, spec.code)
            unit.parent_id = find_unit(session, spec.parent).id
    for pspec in org.people:
        unit, scope = _check_person(session, pspec)
        person = session.exec(select(Person).where(Person.name == pspec.name)).first()
        counts["people_updated" if person else "people_added"] += 1
        _apply_person(session, person or Person(name=pspec.name), pspec, unit, scope)
    changed = _merge_policy(session, org, now)
    audit.record(session, actor=actor, entity="org", entity_id=None, action="load", now=now,
                 after={**counts, "policy_changed": changed})
    return {**counts, "policy_changed": changed}


def _merge_policy(session: Session, org: OrgFile, now: datetime) -> list[str]:
    """Store the file's policy over the stored one: only what the file names changes (a file
    with no ``policy`` section keeps the policy as it is). Returns what changed."""
    if org.policy is None:
        return []
    stored = get_policy(session)
    merged, changed = merge_policy(stored, org.policy)
    if changed:
        try:
            merged = Policy.model_validate(merged.model_dump())
        except ValidationError as exc:
            raise translate_validation_error(exc, "配置文件") from None
        save_policy(session, policy=merged, now=now)
    return changed
