"""The lifecycle: every (status, action) pair, at the table and through the real services.

Allowed pairs move the task to the table's target; refused pairs raise ``InvalidTransition``
with a Chinese message and leave the database exactly as it was (same status, no audit event,
no outbox row — checked by dumping every table before and after).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, col, select

from engine.errors import InvalidTransition
from engine.tasks import lifecycle
from engine.tasks.actions import (
    acknowledge,
    cancel_task,
    report_progress,
    request_completion,
    return_task,
    verify_and_close,
)
from engine.tasks.creation import assign_task
from engine.tasks.extensions import decide_extension, request_extension
from engine.tasks.lifecycle import ACTION_LABELS, STATUSES, TRANSITIONS, target_status
from engine.tasks.rechecks import record_recheck
from engine.values import TaskStatus
from models import AuditEvent, ExtensionRequest, Person, Task
from tests.factories import ISSUED, City, act, make_city, make_task, operator, system

CJK = re.compile(r"[\u4e00-\u9fff]")
ALL_PAIRS = [(s, a) for s in STATUSES for a in ACTION_LABELS]


def has_chinese(text: str) -> bool:
    return bool(CJK.search(text))


def dump_db(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table as stored, ordered by primary key (to prove a refusal changed
    nothing). Plain SQL on the session's connection: cheap enough to run after every refusal."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    conn = session.connection()
    for table in SQLModel.metadata.sorted_tables:
        order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
        rows = conn.exec_driver_sql(f'SELECT * FROM "{table.name}" ORDER BY {order}').fetchall()
        out[table.name] = [tuple(r) for r in rows]
    session.commit()
    return out


# -- the table -------------------------------------------------------------------------------


def test_table_is_the_documented_machine() -> None:
    """The moves DESIGN.md draws, plus self-loops only for actions that keep the status."""
    moves: dict[tuple[str, str], str] = {k: v for k, v in TRANSITIONS.items() if k[0] != v}
    cancels: dict[tuple[str, str], str] = {(s, "cancel"): "cancelled"
                                           for s in lifecycle.OPEN_STATUSES}
    assert moves == {
        ("draft", "assign"): "assigned",
        ("assigned", "acknowledge"): "acknowledged",
        ("acknowledged", "report_progress"): "in_progress",
        ("acknowledged", "request_completion"): "pending_review",
        ("in_progress", "request_completion"): "pending_review",
        ("pending_review", "verify"): "closed",
        ("pending_review", "return"): "in_progress",
        ("closed", "reopen"): "in_progress",
        **cancels,
    }
    for (status, action), target in TRANSITIONS.items():
        assert status in STATUSES and target in STATUSES and action in ACTION_LABELS
    # Nothing leaves a cancelled task; a closed one only reopens through 回头看.
    assert not [k for k in TRANSITIONS if k[0] == "cancelled"]
    assert [k for k in TRANSITIONS if k[0] == "closed"] == [("closed", "reopen")]
    assert {s.value for s in TaskStatus} == set(STATUSES)


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS)
def test_target_status_for_every_pair(status: str, action: str) -> None:
    if (status, action) in TRANSITIONS:
        assert target_status(status, action) == TRANSITIONS[(status, action)]
        return
    with pytest.raises(InvalidTransition) as info:
        target_status(status, action)
    message = str(info.value)
    assert has_chinese(message)
    assert TaskStatus(status).label in message and ACTION_LABELS[action] in message
    assert info.value.current == status


def test_the_transition_function(session: Session) -> None:
    """``transition`` sets the status and appends the event in the caller's transaction; a
    refused move changes nothing. ``escalate`` and ``edit`` (no service of their own here) are
    checked at the function for every status."""
    city = make_city(session)
    task = make_task(session, city, assign=False)
    before = dump_db(session)
    with pytest.raises(InvalidTransition):
        lifecycle.transition(session, task=task, action="verify", actor=act(city.office), now=ISSUED)
    session.rollback()
    assert dump_db(session) == before
    events_before = _count(session, AuditEvent)
    now = ISSUED + timedelta(hours=1)
    after = lifecycle.transition(session, task=task, action="assign", actor=act(city.office), now=now,
                                 detail={"note": "x"})
    session.commit()
    assert after == task.status == "assigned"
    event = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
    assert _count(session, AuditEvent) == events_before + 1
    assert event is not None and event.action == "assign" and event.entity_id == task.id
    assert event.before == {"status": "draft"}
    assert event.after == {"status": "assigned", "note": "x"}
    assert event.actor == city.office.name
    for status in STATUSES:
        task = make_task(session, city, assign=False, title=f"self-loop {status}")
        task.status = status  # setup only
        session.add(task)
        session.commit()
        for action in ("escalate", "edit"):
            before = dump_db(session)
            if (status, action) in TRANSITIONS:
                lifecycle.transition(session, task=task, action=action, actor=system(), now=ISSUED)
                session.commit()
                assert task.status == status
                continue
            with pytest.raises(InvalidTransition):
                lifecycle.transition(session, task=task, action=action, actor=system(), now=ISSUED)
            session.rollback()
            assert dump_db(session) == before, (status, action)


# -- through the services --------------------------------------------------------------------

T0 = ISSUED + timedelta(hours=1)


def _count(session: Session, model: type[SQLModel]) -> int:
    return len(session.exec(select(model)).all())


def _put_in(session: Session, city: City, status: str, *, title: str,
            pending_extension: bool = False) -> Task:
    """A task brought to ``status`` through the services (``draft`` by direct setup only when a
    pending extension request must exist on it)."""
    task = make_task(session, city, assign=False, title=title)
    code = task.code
    steps: list[Callable[[], object]] = [
        lambda: assign_task(session=session, task=code, actor=act(city.office), now=T0),
        lambda: acknowledge(session=session, task=code, actor=act(city.fire_contact), now=T0),
        lambda: report_progress(session=session, task=code, actor=act(city.fire_contact),
                                text="正在排查", now=T0),
        lambda: request_completion(session=session, task=code, actor=act(city.fire_head),
                                   evidence="整改台账", now=T0),
        lambda: verify_and_close(session=session, task=code, actor=act(city.office), rating="合格",
                                 now=T0),
    ]
    chain = ["draft", "assigned", "acknowledged", "in_progress", "pending_review", "closed"]
    if status == "cancelled":
        wanted = 2 if pending_extension else 1
        for step in steps[:wanted]:
            step()
        if pending_extension:
            _request(session, city, code)
        cancel_task(session=session, task=code, actor=act(city.office), reason="不再需要", now=T0)
    elif pending_extension and status in ("draft", "pending_review", "closed"):
        for step in steps[:2]:
            step()
        _request(session, city, code)
        if status == "draft":
            task = session.get(Task, task.id)  # type: ignore[assignment]
            assert task is not None
            task.status = "draft"  # setup only: a draft cannot have an extension request
            session.add(task)
            session.commit()
        else:
            for step in steps[2:chain.index(status)]:
                step()
    else:
        for step in steps[:chain.index(status)]:
            step()
        if pending_extension:
            _request(session, city, code)
    fresh = session.get(Task, task.id)
    assert fresh is not None
    session.refresh(fresh)
    assert fresh.status == status
    return fresh


def _request(session: Session, city: City, code: str) -> ExtensionRequest:
    return request_extension(session=session, task=code, actor=act(city.fire_head),
                             new_due="5月31日前", reason="汛期施工受阻", now=T0)


def _pending_id(session: Session, task: Task) -> int:
    # Ending a task withdraws its pending request: take the newest request whatever its state.
    row = session.exec(select(ExtensionRequest).where(ExtensionRequest.task_id == task.id)
                       .order_by(col(ExtensionRequest.id).desc())).first()
    assert row is not None
    assert row.id is not None
    return row.id


def _acknowledge(session: Session, city: City, task: Task) -> object:
    # The lead unit moves an assigned task; later a cooperating unit still signs for itself.
    who = city.fire_contact if task.status == "assigned" else city.housing_contact
    return acknowledge(session=session, task=task.code, actor=act(who), now=T0)


SERVICE_CALLS: dict[str, Callable[[Session, City, Task], object]] = {
    "assign": lambda s, c, t: assign_task(session=s, task=t.code, actor=act(c.office), now=T0),
    "acknowledge": _acknowledge,
    "report_progress": lambda s, c, t: report_progress(
        session=s, task=t.code, actor=act(c.fire_contact), text="完成一半", achieved=5, now=T0),
    "request_completion": lambda s, c, t: request_completion(
        session=s, task=t.code, actor=act(c.fire_head), evidence="照片与台账", now=T0),
    "verify": lambda s, c, t: verify_and_close(
        session=s, task=t.code, actor=act(c.office), rating="良好", now=T0),
    "return": lambda s, c, t: return_task(
        session=s, task=t.code, actor=act(c.office), reason="证明材料不全", now=T0),
    "reopen": lambda s, c, t: record_recheck(
        session=s, task=t.code, actor=act(c.office), passed=False, note="问题反弹", now=T0),
    "cancel": lambda s, c, t: cancel_task(
        session=s, task=t.code, actor=act(c.office), reason="上级已撤回", now=T0),
    "request_extension": lambda s, c, t: request_extension(
        session=s, task=t.code, actor=act(c.fire_head), new_due="6月30日前", reason="资金未到位",
        now=T0),
    "decide_extension": lambda s, c, t: decide_extension(
        session=s, request_id=_pending_id(s, t), actor=act(c.office), approve=True, now=T0),
}


def test_every_action_has_a_service_or_is_checked_at_the_function() -> None:
    assert set(SERVICE_CALLS) | {"escalate", "edit"} == set(ACTION_LABELS)


def _admin_of(session: Session, unit: str, name: str) -> Person:
    from config.orgfile import PersonSpec
    from engine.org.setup import add_person

    spec = PersonSpec(name=name, roles=["admin", "unit_head"], unit=unit)  # type: ignore[arg-type]
    return add_person(session=session, spec=spec, actor=operator(), now=ISSUED)


def test_refused_pairs_through_the_services(session: Session) -> None:
    """A task in each status (and one with a pending extension request, for its decision):
    every action the table refuses raises InvalidTransition through its service, with a Chinese
    message naming the status, and leaves every table unchanged (same status, no audit event,
    no outbox row). Refusals change nothing, so each task serves every refused action."""
    city = make_city(session)
    plain = {s: _put_in(session, city, s, title=f"plain/{s}") for s in STATUSES}
    with_request = {s: _put_in(session, city, s, title=f"request/{s}", pending_extension=True)
                    for s in STATUSES}
    # Drafts are the office's queue (no unit sees one yet): the unit actions on a draft are
    # tried by admins who also belong to the units, so that the lifecycle is what refuses.
    for_drafts = replace(city, fire_contact=_admin_of(session, "FIRE", "钱消防"),
                         fire_head=_admin_of(session, "FIRE", "孙消防"),
                         housing_contact=_admin_of(session, "HOUSING", "李住建"))
    refused = 0
    before = dump_db(session)
    for status in STATUSES:
        for action, call in sorted(SERVICE_CALLS.items()):
            if (status, action) in TRANSITIONS:
                continue
            task = (with_request if action == "decide_extension" else plain)[status]
            with pytest.raises(InvalidTransition) as info:
                call(session, for_drafts if status == "draft" else city, task)
            message = str(info.value)
            assert has_chinese(message) and TaskStatus(status).label in message, (status, action)
            assert dump_db(session) == before, (status, action)
            refused += 1
    assert refused == len(STATUSES) * len(SERVICE_CALLS) - len(
        [k for k in TRANSITIONS if k[1] in SERVICE_CALLS])


def test_allowed_pairs_through_the_services(session: Session) -> None:
    """Every pair the table allows, each on a fresh task: the service lands on the table's
    target and records an audit event."""
    city = make_city(session)
    pairs = sorted(k for k in TRANSITIONS if k[1] in SERVICE_CALLS)
    for status, action in pairs:
        task = _put_in(session, city, status, title=f"{action}/{status}",
                       pending_extension=action == "decide_extension")
        events = _count(session, AuditEvent)
        SERVICE_CALLS[action](session, city, task)
        session.refresh(task)
        assert task.status == TRANSITIONS[(status, action)], (status, action)
        assert _count(session, AuditEvent) > events, (status, action)
    assert len(pairs) >= 20


def test_unit_signatures_and_derived_overdue(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city, due="3个工作日内")
    acknowledge(session=session, task=task.code, actor=act(city.housing_contact), now=T0)
    session.refresh(task)
    assert task.status == "assigned"  # a cooperating unit's signature does not move the task
    assert task.due_at is not None
    later: datetime = task.due_at + timedelta(days=30)
    acknowledge(session=session, task=task.code, actor=act(city.fire_head), now=later)
    session.refresh(task)
    assert task.status == "acknowledged"  # overdue is derived, never a stored status
    assert "overdue" not in STATUSES
