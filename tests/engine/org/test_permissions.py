"""The permission matrix: every read and write service × every role → allowed, refused or not
found.

The roles: admin, office, the CLI operator, the system (scheduler), a top leader, the leader who
supervises the task's lead unit, a leader outside its scope, the head and contact of the lead
unit, of a cooperating unit and of an unrelated unit. A task outside someone's scope is "not
found" with the very message a missing task gives; a refusal (``PermissionDenied``) has a
Chinese reason. Neither changes anything (every table is compared). Refused and not-found
actors all try one prepared target; allowed ones each get a fresh one and succeed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from config.orgfile import OrgFile, PersonSpec, UnitSpec
from engine.errors import NotFound, PermissionDenied
from engine.escalation.run import run_pass
from engine.escalation.scheduled_work import notify_due_rechecks
from engine.escalation.urge import urge_tasks
from engine.files.access import export_file, readable_file
from engine.intake.apply import ApplyChoices, analyse, apply_drafts
from engine.org.accounts import change_password, create_web_invite, set_password
from engine.org.actors import Actor
from engine.org.binding import create_invite
from engine.org.permissions import require_action
from engine.org.setup import add_person, add_unit, load_org, mark_simulation
from engine.outbox.dispatch import requeue
from engine.outbox.views import outbox_rows, outbox_stats
from engine.read.detail import task_detail
from engine.read.directives import directive_tree
from engine.read.overview import home_overview
from engine.read.tasks import board, visible_tasks
from engine.read.timeline import task_timeline
from engine.reports.bulletin import build_bulletin
from engine.reports.importer import import_task_list
from engine.reports.ledger import export_ledger
from engine.summary.build import summary_for
from engine.summary.daily import run_daily_summary
from engine.tasks.actions import (
    acknowledge,
    cancel_task,
    report_progress,
    request_completion,
    return_task,
    verify_and_close,
)
from engine.tasks.audit import verify_chain
from engine.tasks.available import available_actions
from engine.tasks.creation import assign_task, create_task
from engine.tasks.directives import create_directive
from engine.tasks.editing import edit_task
from engine.tasks.extensions import decide_extension, request_extension
from engine.tasks.rechecks import record_recheck, schedule_recheck
from engine.values import UnitRole
from models import DirectiveCreate, ExtensionRequest, Person, Task, TaskCreate
from tests.engine.tasks.test_lifecycle import dump_db, has_chinese
from tests.factories import ISSUED, City, act, make_city, make_task, operator, system

T0 = ISSUED + timedelta(hours=1)
T1 = ISSUED + timedelta(hours=2)


class Outcome(Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    NOT_FOUND = "not found"


A, R, N = Outcome.ALLOWED, Outcome.REFUSED, Outcome.NOT_FOUND

ROLES = ("admin", "office", "operator", "system", "top_leader", "leader", "outside_leader",
         "lead_head", "lead_contact", "co_head", "co_contact", "other_head", "other_contact")
OFFICE = frozenset({"admin", "office", "operator"})
"""Who holds the office's rights."""
SEES_TASK = OFFICE | {"system", "top_leader", "leader", "lead_head", "lead_contact", "co_head",
                      "co_contact"}
"""Who may see the prepared (assigned, FIRE-led, HOUSING-co-operating) task."""
LEAD = frozenset({"lead_head", "lead_contact"})
UNITS = LEAD | {"co_head", "co_contact"}


def task_case(allowed: frozenset[str], *, sees: frozenset[str] = SEES_TASK) -> dict[str, Outcome]:
    """A task action: allowed roles succeed, others who see the task are refused, the rest do
    not find it."""
    return {r: A if r in allowed else R if r in sees else N for r in ROLES}


def general_case(allowed: frozenset[str]) -> dict[str, Outcome]:
    """An action not on one task: allowed or refused."""
    return {r: A if r in allowed else R for r in ROLES}


@dataclass
class World:
    city: City
    actors: dict[str, Actor]
    tmp: Path


def _world(session: Session, tmp: Path) -> World:
    city = make_city(session)

    def person(name: str, roles: list[str], unit: str | None, **kw: Any) -> Actor:
        spec = PersonSpec(name=name, title="", roles=roles, unit=unit, **kw)  # type: ignore[arg-type]
        return act(add_person(session=session, spec=spec, actor=operator(), now=ISSUED))

    actors = {
        "admin": person("钱管理", ["admin"], None),
        "office": act(city.office),
        "operator": operator(),
        "system": system(),
        "top_leader": act(city.secretary),
        "leader": act(city.vice_mayor),
        "outside_leader": person("周分管", ["leader"], None, supervises=["D1"]),
        "lead_head": act(city.fire_head),
        "lead_contact": act(city.fire_contact),
        "co_head": person("周住建", ["unit_head"], "HOUSING"),
        "co_contact": act(city.housing_contact),
        "other_head": person("吴应急", ["unit_head"], "EMERG"),
        "other_contact": act(city.emerg_contact),
    }
    return World(city, actors, tmp)


# -- preparing a target in the state where the action is allowed by the lifecycle -------------

def _draft(s: Session, w: World) -> Task:
    return make_task(s, w.city, assign=False)


def _assigned(s: Session, w: World) -> Task:
    return make_task(s, w.city)


def _acked(s: Session, w: World) -> Task:
    task = make_task(s, w.city)
    acknowledge(session=s, task=task.code, actor=act(w.city.fire_contact), now=T0)
    acknowledge(session=s, task=task.code, actor=act(w.city.housing_contact), now=T0)
    return task


def _pending_review(s: Session, w: World) -> Task:
    task = _acked(s, w)
    request_completion(session=s, task=task.code, actor=act(w.city.fire_head), evidence="台账",
                       now=T0)
    return task


def _closed(s: Session, w: World) -> Task:
    task = _pending_review(s, w)
    verify_and_close(session=s, task=task.code, actor=act(w.city.office), rating="合格", now=T0)
    return task


def _with_request(s: Session, w: World) -> Task:
    task = _acked(s, w)
    request_extension(session=s, task=task.code, actor=act(w.city.fire_head),
                      new_due="5月31日前", reason="设备未到货", now=T0)
    return task


def _with_photo(s: Session, w: World) -> tuple[Task, str]:
    """An acknowledged task whose lead unit reported progress with a photo; the photo's hash."""
    import hashlib
    import io

    from engine.files.ingest import Upload
    from tests.support import samples

    task = _acked(s, w)
    photo = samples.jpeg(4096, seed=task.id or 1)
    report_progress(session=s, task=task.code, actor=act(w.city.fire_contact), text="现场照片",
                    now=T0, files=[Upload(name="现场.jpg", stream=io.BytesIO(photo))])
    return task, hashlib.sha256(photo).hexdigest()


def _request_id(s: Session, task: Task) -> int:
    row = s.exec(select(ExtensionRequest).where(ExtensionRequest.task_id == task.id)).one()
    assert row.id is not None
    return row.id


def _newcomer(s: Session, w: World) -> Person:
    """Someone none of the actors is (setting their password is nobody's own business)."""
    return add_person(session=s, spec=PersonSpec(name=f"新同事{next(SERIAL)}", roles=["unit_contact"], unit="D1"),
                      actor=operator(), now=T0)


OLD_PASSWORD, NEW_PASSWORD = "原来的网页密码0001", "更换后的网页密码0002"


def _everyone_with_a_password(s: Session, w: World) -> None:
    for who in w.actors.values():
        if who.person is not None:
            set_password(session=s, actor=operator(), person=who.person, password=OLD_PASSWORD,
                         now=T0)


Call = Callable[[Session, World, Any, Actor], object]
Prepare = Callable[[Session, World], Any] | None


def _c(task: Task) -> str:
    return task.code


def _directive(kind: str) -> Call:
    def call(s: Session, w: World, _t: Any, who: Actor) -> object:
        parent = w.city.directive.id if kind == "followup" else None
        data = DirectiveCreate(kind=kind, title=f"{kind} 事项", issued_at=ISSUED,
                               issued_by_id=w.city.secretary.id, parent_id=parent)
        return create_directive(session=s, data=data, actor=who, now=T0)
    return call


def _create_task(s: Session, w: World, _t: Any, who: Actor) -> object:
    data = TaskCreate(directive_id=w.city.directive.id or 0, title="新事项", lead_unit="FIRE",
                      due="4月30日前")
    return create_task(session=s, data=data, actor=who, now=T0, assign=True)


def _xlsx(s: Session, w: World) -> Path:
    from tests.engine.reports.test_import import GOOD, write_xlsx

    return write_xlsx(w.tmp / "list.xlsx", GOOD)


SERIAL = itertools.count(1)
DOC = "市政府督查室：请消防支队于3月31日前完成九小场所消防隐患排查。"

WRITES: dict[str, tuple[Prepare, Call, dict[str, Outcome]]] = {
    **{f"directive_{kind}": (None, _directive(kind), general_case(OFFICE))
       for kind in ("instruction", "meeting", "inspection", "hotline", "document", "plan")},
    "directive_followup": (None, _directive("followup"),
                           general_case(OFFICE | {"leader", "top_leader", "outside_leader"})),
    "create_and_assign": (None, _create_task, general_case(OFFICE)),
    # Every office role applies the same list and document: again=True, as the office would say.
    "import_task_list": (_xlsx, lambda s, w, path, who: import_task_list(
        session=s, path=path, directive_id=w.city.directive.id or 0, actor=who, now=T0,
        again=True), general_case(OFFICE)),
    "apply_drafts": (lambda s, w: analyse(session=s, actor=operator(), text=DOC, ref_date=None),
                     lambda s, w, result, who: apply_drafts(
                         session=s, result=result, actor=who, now=T0,
                         choices=ApplyChoices(again=True)), general_case(OFFICE)),
    "analyse_document": (None, lambda s, w, _t, who: analyse(
        session=s, actor=who, text=DOC, ref_date=None), general_case(OFFICE)),
    # A draft is the office's own queue: nobody else finds it.
    "assign": (_draft, lambda s, w, t, who: assign_task(session=s, task=_c(t), actor=who, now=T1),
               task_case(OFFICE, sees=OFFICE | {"system"})),
    "edit_task": (_draft, lambda s, w, t, who: edit_task(
        session=s, task=_c(t), actor=who, title="改过的标题", now=T1),
        task_case(OFFICE, sees=OFFICE | {"system"})),
    "acknowledge": (_assigned, lambda s, w, t, who: acknowledge(
        session=s, task=_c(t), actor=who, now=T1), task_case(UNITS)),
    "acknowledge_for_unit": (_assigned, lambda s, w, t, who: acknowledge(
        session=s, task=_c(t), actor=who, now=T1, for_unit="HOUSING"), task_case(OFFICE)),
    "report_progress": (_acked, lambda s, w, t, who: report_progress(
        session=s, task=_c(t), actor=who, text="进展顺利", now=T1), task_case(UNITS)),
    "report_progress_for_unit": (_acked, lambda s, w, t, who: report_progress(
        session=s, task=_c(t), actor=who, text="电话报告进展", now=T1, for_unit="FIRE"),
        task_case(OFFICE)),
    "request_completion": (_acked, lambda s, w, t, who: request_completion(
        session=s, task=_c(t), actor=who, evidence="验收报告", now=T1), task_case(LEAD)),
    "request_completion_for_unit": (_acked, lambda s, w, t, who: request_completion(
        session=s, task=_c(t), actor=who, evidence="纸质验收报告", now=T1, for_unit="消防"),
        task_case(OFFICE)),
    "verify": (_pending_review, lambda s, w, t, who: verify_and_close(
        session=s, task=_c(t), actor=who, rating="优秀", now=T1), task_case(OFFICE)),
    "return": (_pending_review, lambda s, w, t, who: return_task(
        session=s, task=_c(t), actor=who, reason="材料不全", now=T1), task_case(OFFICE)),
    "cancel": (_assigned, lambda s, w, t, who: cancel_task(
        session=s, task=_c(t), actor=who, reason="重复交办", now=T1), task_case(OFFICE)),
    "request_extension": (_acked, lambda s, w, t, who: request_extension(
        session=s, task=_c(t), actor=who, new_due="6月30日前", reason="工程量大", now=T1),
        task_case(LEAD)),
    "approve_extension": (_with_request, lambda s, w, t, who: decide_extension(
        session=s, request_id=_request_id(s, t), actor=who, approve=True, now=T1),
        task_case(OFFICE)),
    "reject_extension": (_with_request, lambda s, w, t, who: decide_extension(
        session=s, request_id=_request_id(s, t), actor=who, approve=False, now=T1),
        task_case(OFFICE)),
    "schedule_recheck": (_closed, lambda s, w, t, who: schedule_recheck(
        session=s, task=_c(t), actor=who, when="6月30日前", now=T1), task_case(OFFICE)),
    "record_recheck": (_closed, lambda s, w, t, who: record_recheck(
        session=s, task=_c(t), actor=who, passed=False, note="隐患反弹", now=T1),
        task_case(OFFICE)),
    "add_unit": (None, lambda s, w, _t, who: add_unit(
        session=s, spec=UnitSpec(code=f"NEW{next(SERIAL)}", name=f"新单位{next(SERIAL)}"),
        actor=who, now=T0), general_case(OFFICE)),
    "add_person": (None, lambda s, w, _t, who: add_person(
        session=s, spec=PersonSpec(name=f"新人{next(SERIAL)}", roles=["leader"]), actor=who,
        now=T0), general_case(OFFICE)),
    "load_org": (None, lambda s, w, _t, who: load_org(
        session=s, org=OrgFile(units=[UnitSpec(code=f"ORG{next(SERIAL)}", name=f"载入{next(SERIAL)}")]),
        actor=who, now=T0), general_case(OFFICE)),
    "mark_simulation": (None, lambda s, w, _t, who: mark_simulation(session=s, actor=who),
                        general_case(OFFICE)),
    "create_invite": (None, lambda s, w, _t, who: create_invite(
        session=s, person=w.city.emerg_contact, now=T0, actor=who), general_case(OFFICE)),
    "set_password": (_newcomer, lambda s, w, person, who: set_password(
        session=s, actor=who, person=person, password=NEW_PASSWORD, now=T0), general_case(OFFICE)),
    "create_web_invite": (_newcomer, lambda s, w, person, who: create_web_invite(
        session=s, actor=who, person=person, now=T0), general_case(OFFICE)),
    # Each person changes their own: the operator and the system have no password to change.
    "change_password": (_everyone_with_a_password, lambda s, w, _t, who: change_password(
        session=s, actor=who, old_password=OLD_PASSWORD, new_password=NEW_PASSWORD, now=T0),
        general_case(frozenset(ROLES) - {"operator", "system"})),
    "requeue_dead_letters": (None, lambda s, w, _t, who: requeue(
        session=s, actor=who, ids=None, now=T0), general_case(OFFICE)),
    "escalation_pass": (None, lambda s, w, _t, who: run_pass(session=s, actor=who, now=T1),
                        general_case(OFFICE | {"system"})),
    # 批量催办 is the office's alone: everyone else is refused before the task is looked up.
    "urge_tasks": (_assigned, lambda s, w, t, who: urge_tasks(
        session=s, actor=who, tasks=[_c(t)], now=T1, note="请本周内反馈"), general_case(OFFICE)),
    "recheck_notices": (None, lambda s, w, _t, who: notify_due_rechecks(
        session=s, actor=who, now=T1), general_case(OFFICE | {"system"})),
    "daily_summary": (None, lambda s, w, _t, who: run_daily_summary(
        session=s, actor=who, now=T1, reports_dir=w.tmp / "reports", send=True),
        general_case(OFFICE | {"system"})),
}

READS: dict[str, tuple[Prepare, Call, dict[str, Outcome]]] = {
    "task_detail": (_assigned, lambda s, w, t, who: task_detail(
        session=s, actor=who, code=_c(t), now=T1), task_case(SEES_TASK)),
    "task_timeline": (_assigned, lambda s, w, t, who: task_timeline(
        session=s, actor=who, code=_c(t), now=T1), task_case(SEES_TASK)),
    "available_actions": (_assigned, lambda s, w, t, who: available_actions(
        session=s, actor=who, code=_c(t), now=T1), task_case(SEES_TASK)),
    "directive_tree": (_assigned, lambda s, w, t, who: directive_tree(
        session=s, actor=who, directive_id=t.directive_id, now=T1), task_case(SEES_TASK)),
    "summary": (None, lambda s, w, _t, who: summary_for(session=s, actor=who, now=T1),
                general_case(OFFICE | {"system", "top_leader", "leader", "outside_leader"})),
    "outbox_rows": (None, lambda s, w, _t, who: outbox_rows(
        session=s, actor=who, status=None, limit=10), general_case(OFFICE)),
    "outbox_stats": (None, lambda s, w, _t, who: outbox_stats(session=s, actor=who),
                     general_case(OFFICE)),
    "verify_chain": (None, lambda s, w, _t, who: verify_chain(session=s, actor=who),
                     general_case(OFFICE | {"system"})),
    "readable_file": (_with_photo, lambda s, w, t, who: readable_file(
        s, ref=t[1], actor=who), task_case(SEES_TASK)),
    "export_file": (_with_photo, lambda s, w, t, who: export_file(
        s, ref=t[1], actor=who, out=w.tmp), task_case(SEES_TASK)),
    "bulletin": (None, lambda s, w, _t, who: build_bulletin(
        session=s, actor=who, period="2024-03", now=T1),
        general_case(OFFICE | {"system", "top_leader"})),
}
"""Reads that refuse or do not find; the lists (task list, board, ledger) answer everyone with
what they may see: :func:`test_lists_show_each_role_its_own_scope`."""


def _groups(cases: dict[str, tuple[Prepare, Call, dict[str, Outcome]]]) -> dict[str, list[str]]:
    """Cases grouped by the state they need, so that one prepared target serves a group."""
    groups: dict[str, list[str]] = {}
    for name, (prepare, _call, _expected) in sorted(cases.items()):
        groups.setdefault(prepare.__name__ if prepare else "none", []).append(name)
    return groups


def _expect_failure(session: Session, call: Call, world: World, target: Any, role: str,
                    outcome: Outcome, case: str) -> None:
    error = PermissionDenied if outcome is R else NotFound
    with pytest.raises(error) as info:
        call(session, world, target, world.actors[role])
    session.rollback()
    assert type(info.value) is error, (case, role, info.value)
    assert has_chinese(str(info.value)), (case, role)
    if outcome is N and isinstance(target, Task):
        # Word for word what a task (directive, request) that does not exist gives.
        request = session.exec(select(ExtensionRequest.id).where(
            ExtensionRequest.task_id == target.id)).first()
        assert str(info.value) in (f"未找到督办事项“{target.code}”",
                                   f"未找到来源事项“{target.directive_id}”",
                                   f"未找到延期申请 {request}"), (case, role, info.value)


def _check(session: Session, world: World,
           cases: dict[str, tuple[Prepare, Call, dict[str, Outcome]]], names: list[str]) -> None:
    prepare = cases[names[0]][0]
    shared = prepare(session, world) if prepare else None
    session.commit()
    before = dump_db(session)
    for case in names:
        _prepare, call, expected = cases[case]
        for role in ROLES:
            if expected[role] is not A:
                _expect_failure(session, call, world, shared, role, expected[role], case)
    # Not one refusal of the group changed anything (compared once: the dump is the slow part).
    assert dump_db(session) == before, names
    for case in names:
        _prepare, call, expected = cases[case]
        for role in ROLES:
            if expected[role] is A:
                target = prepare(session, world) if prepare else None
                call(session, world, target, world.actors[role])
                session.commit()


WRITE_GROUPS, READ_GROUPS = _groups(WRITES), _groups(READS)


@pytest.mark.parametrize("group", sorted(WRITE_GROUPS))
def test_write_matrix(session: Session, tmp_path: Path, group: str) -> None:
    """Every write service × every role, grouped by the state each case needs (a group per test,
    so that parallel workers share the matrix)."""
    _check(session, _world(session, tmp_path), WRITES, WRITE_GROUPS[group])


@pytest.mark.parametrize("group", sorted(READ_GROUPS))
def test_read_matrix(session: Session, tmp_path: Path, group: str) -> None:
    _check(session, _world(session, tmp_path), READS, READ_GROUPS[group])


def test_lists_show_each_role_its_own_scope(session: Session, tmp_path: Path) -> None:
    """The task list, the board, the home page and the ledger: each role gets exactly the tasks it may see —
    drafts only the office; a unit its own; a leader their 分管 scope."""
    world = _world(session, tmp_path)
    draft, fire = _draft(session, world).code, _assigned(session, world).code
    emerg = make_task(session, world.city, lead="EMERG", co=[], title="应急事项").code
    district = make_task(session, world.city, lead="D1", co=[], title="东城事项").code
    expected = {
        "office": {draft, fire, emerg, district}, "admin": {draft, fire, emerg, district},
        "operator": {draft, fire, emerg, district}, "system": {draft, fire, emerg, district},
        "top_leader": {fire, emerg, district},
        # 李占明 supervises FIRE and EMERG, and is the supervising leader of every task here.
        "leader": {fire, emerg, district},
        "outside_leader": {district},
        "lead_head": {fire}, "lead_contact": {fire}, "co_head": {fire}, "co_contact": {fire},
        "other_head": {emerg}, "other_contact": {emerg},
    }
    for role in ROLES:
        who = world.actors[role]
        codes = {r.code for r in visible_tasks(session=session, actor=who, now=T1).items}
        assert codes == expected[role], role
        assert sum(r.open + r.closed for r in board(session=session, actor=who, now=T1)) == len(
            expected[role] - {draft}), role
        home = home_overview(session=session, actor=who, now=T1)
        assert sum(r.open + r.closed for r in home.board) == len(expected[role] - {draft}), role
        assert sum(home.lights.values()) == len(expected[role] - {draft}), role
        rows = export_ledger(session=session, actor=who, path=tmp_path / f"{role}.xlsx", now=T1)
        assert rows == len(expected[role]), role


def test_the_office_acts_for_a_unit_only_by_naming_it(session: Session, tmp_path: Path) -> None:
    """代签收 / 代反馈 / 代申请办结: the unit's own row is updated and the event says so."""
    from models import AuditEvent, ProgressReport, TaskUnit

    world = _world(session, tmp_path)
    office = world.actors["office"]
    task = _assigned(session, world)
    with pytest.raises(PermissionDenied, match="须指明为哪个单位办理"):
        acknowledge(session=session, task=task.code, actor=office, now=T1)
    acknowledge(session=session, task=task.code, actor=office, now=T1, for_unit="消防")
    link = session.exec(select(TaskUnit).where(TaskUnit.task_id == task.id,
                                               TaskUnit.role == UnitRole.LEAD)).one()
    assert link.acknowledged_at is not None and link.acknowledged_on_behalf
    assert link.acknowledged_by_id == world.city.office.id
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "acknowledge")).one()
    assert event.on_behalf_unit_id == link.unit_id and event.after is not None
    assert event.after["on_behalf"] == "代签收" and event.after["on_behalf_note"] == "代为操作"
    assert event.channel == "cli" and event.recorded_at is not None
    report_progress(session=session, task=task.code, actor=office, text="电话报告：已排查",
                    now=T1, for_unit="FIRE")
    request_completion(session=session, task=task.code, actor=office, evidence="纸质台账",
                       now=T1, for_unit="FIRE")
    reports = session.exec(select(ProgressReport).where(ProgressReport.task_id == task.id)).all()
    assert [r.on_behalf for r in reports] == [True, True]
    assert {r.unit_id for r in reports} == {link.unit_id}
    detail = task_detail(session=session, actor=office, code=task.code, now=T1)
    lead = next(u for u in detail.units if u.role is UnitRole.LEAD)
    assert lead.acknowledged_on_behalf and lead.last_feedback_on_behalf
    assert [r.on_behalf for r in detail.reports] == [True, True]


def test_unknown_actions_are_refused_to_everyone(session: Session, tmp_path: Path) -> None:
    world = _world(session, tmp_path)
    task = _assigned(session, world)
    for role in ROLES:
        with pytest.raises(PermissionDenied, match="未知操作"):
            require_action(session, world.actors[role], task, "delete_everything")


def test_amounts_are_the_lead_units(session: Session, tmp_path: Path) -> None:
    world = _world(session, tmp_path)
    task = _acked(session, world)
    report_progress(session=session, task=task.code, actor=world.actors["co_contact"],
                    text="配合完成 3 个", achieved=3, now=T1)
    session.refresh(task)
    assert task.achieved is None
    report_progress(session=session, task=task.code, actor=world.actors["lead_contact"],
                    text="累计完成 8 个", achieved=8, now=T1)
    session.refresh(task)
    assert task.achieved == 8


def test_every_service_is_in_the_matrix() -> None:
    """The public services named by ``engine.__init__`` all appear in a matrix above."""
    import engine

    covered = {fn.__name__ for fn in (
        create_directive, create_task, import_task_list, apply_drafts, analyse, assign_task,
        edit_task, acknowledge, report_progress, request_completion, verify_and_close,
        return_task, cancel_task, request_extension, decide_extension, schedule_recheck,
        record_recheck, add_unit, add_person, load_org, mark_simulation, create_invite,
        set_password, create_web_invite, change_password,
        requeue, run_pass, urge_tasks, notify_due_rechecks, run_daily_summary, task_detail, directive_tree,
        summary_for, outbox_rows, outbox_stats, verify_chain, build_bulletin, visible_tasks,
        board, home_overview, export_ledger, readable_file, export_file, task_timeline,
        available_actions)}
    # Without an actor (tested in tests/engine/org/test_login.py and test_accounts.py): the
    # bot's binding and the web console's login, invite acceptance and session check.
    assert set(engine.SERVICES) - {"bind_chat", "scheduled_summary", "count_visible",
                                   "view_filters", "authenticate", "accept_web_invite",
                                   "session_person"} == covered
