"""The permission matrix: every role (and a unit's part in the task) × every action.

Refusals raise ``PermissionDenied`` with a Chinese reason and leave every table unchanged;
allowed actors succeed. Refused actors all try the same prepared task (a refusal changes
nothing, which is checked after each), allowed ones each get a fresh task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from config.orgfile import PersonSpec
from engine.errors import PermissionDenied
from engine.org.permissions import is_office, require_action
from engine.org.setup import add_person
from engine.tasks.actions import (
    acknowledge,
    cancel_task,
    report_progress,
    request_completion,
    return_task,
    verify_and_close,
)
from engine.tasks.creation import assign_task, create_task
from engine.tasks.directives import create_directive
from engine.tasks.extensions import decide_extension, request_extension
from engine.tasks.rechecks import record_recheck, schedule_recheck
from models import DirectiveCreate, ExtensionRequest, Person, Task, TaskCreate
from tests.engine.tasks.test_lifecycle import dump_db, has_chinese
from tests.factories import ISSUED, City, make_city, make_task

T0 = ISSUED + timedelta(hours=1)
T1 = ISSUED + timedelta(hours=2)

ROLES = ("admin", "office", "leader", "lead_head", "lead_contact", "co_head", "co_contact",
         "other_head", "other_contact")
OFFICE = frozenset({"admin", "office"})
UNITS = frozenset({"admin", "lead_head", "lead_contact", "co_head", "co_contact"})
LEAD = frozenset({"admin", "lead_head", "lead_contact"})


@dataclass
class World:
    city: City
    actors: dict[str, Person]


def _world(session: Session) -> World:
    city = make_city(session)

    def person(name: str, roles: list[str], unit: str | None) -> Person:
        spec = PersonSpec(name=name, title="", roles=roles, unit=unit)  # type: ignore[arg-type]
        return add_person(session=session, spec=spec, actor=None, now=ISSUED)

    actors = {
        "admin": person("钱管理", ["admin"], None),
        "office": city.office,
        "leader": city.vice_mayor,
        "lead_head": city.fire_head,
        "lead_contact": city.fire_contact,
        "co_head": person("周住建", ["unit_head"], "HOUSING"),
        "co_contact": city.housing_contact,
        "other_head": person("吴应急", ["unit_head"], "EMERG"),
        "other_contact": city.emerg_contact,
    }
    return World(city, actors)


# -- preparing a target in the state where the action is allowed by the lifecycle -------------

def _draft(s: Session, w: World) -> Task:
    return make_task(s, w.city, assign=False)


def _assigned(s: Session, w: World) -> Task:
    return make_task(s, w.city)


def _acked(s: Session, w: World) -> Task:
    task = make_task(s, w.city)
    acknowledge(session=s, task=task.code, actor=w.city.fire_contact, now=T0)
    acknowledge(session=s, task=task.code, actor=w.city.housing_contact, now=T0)
    return task


def _pending_review(s: Session, w: World) -> Task:
    task = _acked(s, w)
    request_completion(session=s, task=task.code, actor=w.city.fire_head, evidence="台账", now=T0)
    return task


def _closed(s: Session, w: World) -> Task:
    task = _pending_review(s, w)
    verify_and_close(session=s, task=task.code, actor=w.city.office, rating="合格", now=T0)
    return task


def _with_request(s: Session, w: World) -> Task:
    task = _acked(s, w)
    request_extension(session=s, task=task.code, actor=w.city.fire_head, new_due="5月31日前",
                      reason="设备未到货", now=T0)
    return task


def _request_id(s: Session, task: Task) -> int:
    row = s.exec(select(ExtensionRequest).where(ExtensionRequest.task_id == task.id)).one()
    assert row.id is not None
    return row.id


Call = Callable[[Session, World, Task | None, Person], object]


def _directive(kind: str) -> Call:
    def call(s: Session, w: World, _t: Task | None, who: Person) -> object:
        parent = w.city.directive.id if kind == "followup" else None
        data = DirectiveCreate(kind=kind, title=f"{kind} 事项", issued_at=ISSUED,
                               issued_by_id=w.city.secretary.id, parent_id=parent)
        return create_directive(session=s, data=data, actor=who, now=T0)
    return call


def _create_task(s: Session, w: World, _t: Task | None, who: Person) -> object:
    assert w.city.directive.id is not None
    data = TaskCreate(directive_id=w.city.directive.id, title="新事项", lead_unit="FIRE",
                      due="4月30日前")
    return create_task(session=s, data=data, actor=who, now=T0)


def _t(task: Task | None) -> str:
    assert task is not None
    return task.code


CASES: dict[str, tuple[Callable[[Session, World], Task] | None, Call, frozenset[str]]] = {
    **{f"directive_{kind}": (None, _directive(kind), OFFICE)
       for kind in ("instruction", "meeting", "inspection", "hotline", "document", "plan")},
    "directive_followup": (None, _directive("followup"), OFFICE | {"leader"}),
    "create_task": (None, _create_task, OFFICE),
    "assign": (_draft, lambda s, w, t, who: assign_task(
        session=s, task=_t(t), actor=who, now=T1), OFFICE),
    "acknowledge": (_assigned, lambda s, w, t, who: acknowledge(
        session=s, task=_t(t), actor=who, now=T1), UNITS),
    "report_progress": (_acked, lambda s, w, t, who: report_progress(
        session=s, task=_t(t), actor=who, text="进展顺利", now=T1), UNITS),
    "request_completion": (_acked, lambda s, w, t, who: request_completion(
        session=s, task=_t(t), actor=who, evidence="验收报告", now=T1), LEAD),
    "verify": (_pending_review, lambda s, w, t, who: verify_and_close(
        session=s, task=_t(t), actor=who, rating="优秀", now=T1), OFFICE),
    "return": (_pending_review, lambda s, w, t, who: return_task(
        session=s, task=_t(t), actor=who, reason="材料不全", now=T1), OFFICE),
    "cancel": (_assigned, lambda s, w, t, who: cancel_task(
        session=s, task=_t(t), actor=who, reason="重复交办", now=T1), OFFICE),
    "request_extension": (_acked, lambda s, w, t, who: request_extension(
        session=s, task=_t(t), actor=who, new_due="6月30日前", reason="工程量大", now=T1), LEAD),
    "approve_extension": (_with_request, lambda s, w, t, who: decide_extension(
        session=s, request_id=_request_id(s, t), actor=who, approve=True, now=T1), OFFICE),  # type: ignore[arg-type]
    "reject_extension": (_with_request, lambda s, w, t, who: decide_extension(
        session=s, request_id=_request_id(s, t), actor=who, approve=False, now=T1), OFFICE),  # type: ignore[arg-type]
    "schedule_recheck": (_closed, lambda s, w, t, who: schedule_recheck(
        session=s, task=_t(t), actor=who, when="6月30日前", now=T1), OFFICE),
    "record_recheck": (_closed, lambda s, w, t, who: record_recheck(
        session=s, task=_t(t), actor=who, passed=False, note="隐患反弹", now=T1), OFFICE),
}


# Allowed roles run through the whole service (a fresh task each); the other allowed roles of
# the case take the same code path and are checked with ``require_action`` only, to keep the
# matrix fast. Cases not listed (no prepared task) run every allowed role.
EXECUTED: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({"admin", "lead_contact", "co_head"}),
    "report_progress": frozenset({"admin", "lead_head", "co_contact"}),
    "request_completion": frozenset({"lead_head"}),
    "request_extension": frozenset({"admin", "lead_contact"}),
    "verify": frozenset({"office"}),
    "return": frozenset({"admin"}),
    "cancel": frozenset({"office"}),
    "assign": frozenset({"admin", "office"}),
    "approve_extension": frozenset({"office"}),
    "reject_extension": frozenset({"admin"}),
    "schedule_recheck": frozenset({"office"}),
    "record_recheck": frozenset({"admin"}),
}
LIFECYCLE_ACTION = {"approve_extension": "decide_extension", "reject_extension": "decide_extension",
                    "schedule_recheck": "recheck", "record_recheck": "recheck"}


def _groups() -> dict[str, list[str]]:
    """Cases grouped by the state they need, so that one prepared world serves each group."""
    groups: dict[str, list[str]] = {}
    for name, (prepare, _call, _allowed) in sorted(CASES.items()):
        groups.setdefault(prepare.__name__ if prepare else "none", []).append(name)
    return groups


GROUPS = _groups()


def test_permission_matrix(session: Session) -> None:
    """Every case × every role, one world for all (grouped by the state each case needs)."""
    world = _world(session)
    for group in sorted(GROUPS):
        _check_group(session, world, GROUPS[group])


def _check_group(session: Session, world: World, cases: list[str]) -> None:
    prepare = CASES[cases[0]][0]
    shared = prepare(session, world) if prepare else None
    before = dump_db(session)
    for case in cases:
        _prepare, call, allowed = CASES[case]
        for role in ROLES:
            if role in allowed:
                continue
            with pytest.raises(PermissionDenied) as info:
                call(session, world, shared, world.actors[role])
            assert has_chinese(str(info.value)), (case, role)
            assert dump_db(session) == before, (case, role)
    for case in cases:
        _prepare, call, allowed = CASES[case]
        for role in sorted(allowed):
            if prepare is not None and role not in EXECUTED.get(case, allowed):
                # Same code path as an executed role: the check alone must pass.
                assert require_action(session, world.actors[role], shared,  # type: ignore[arg-type]
                                      LIFECYCLE_ACTION.get(case, case)) is not None or \
                    role in OFFICE
                continue
            target = prepare(session, world) if prepare else None
            call(session, world, target, world.actors[role])


def test_every_role_and_action_is_in_the_matrix() -> None:
    kinds = {c.removeprefix("directive_") for c in CASES if c.startswith("directive_")}
    assert kinds == {"instruction", "followup", "meeting", "inspection", "hotline", "document",
                     "plan"}
    assert sum(len(v) for v in GROUPS.values()) == len(CASES)


def test_reasons_amounts_and_the_system_actor(session: Session) -> None:
    world = _world(session)
    task = _acked(session, world)
    with pytest.raises(PermissionDenied, match="不属于您所在单位"):
        acknowledge(session=session, task=task.code, actor=world.actors["other_contact"], now=T1)
    with pytest.raises(PermissionDenied, match="配合单位"):
        request_completion(session=session, task=task.code, actor=world.actors["co_head"],
                           evidence="x", now=T1)
    with pytest.raises(PermissionDenied, match="督查室"):
        verify_and_close(session=session, task=task.code, actor=world.actors["leader"],
                         rating="合格", now=T1)
    with pytest.raises(PermissionDenied, match="跟批"):
        _directive("instruction")(session, world, None, world.actors["leader"])
    # A cooperating unit's amount is its own feedback; the task's amount is the lead's.
    report_progress(session=session, task=task.code, actor=world.actors["co_contact"],
                    text="配合完成 3 个", achieved=3, now=T1)
    session.refresh(task)
    assert task.achieved is None
    report_progress(session=session, task=task.code, actor=world.actors["lead_contact"],
                    text="累计完成 8 个", achieved=8, now=T1)
    session.refresh(task)
    assert task.achieved == 8
    # ``None`` is the system itself (scheduler, local operator): the office, not a unit.
    assert is_office(None)
    assert require_action(session, None, task, "cancel") is None
    with pytest.raises(PermissionDenied):
        require_action(session, None, task, "acknowledge")
    assert require_action(session, world.actors["co_head"], task, "acknowledge") == "co"
    assert require_action(session, world.actors["lead_head"], task, "acknowledge") == "lead"
    assert require_action(session, world.actors["admin"], task, "acknowledge") == "lead"
