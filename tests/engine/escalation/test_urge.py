"""批量催办 by the office: who is reached, once a day, audited, and refused to everyone else."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.escalation.urge import MAX_URGE, urge_tasks
from engine.tasks.actions import acknowledge, request_completion
from models import AuditEvent, OutboxMessage, Person
from tests.factories import act, at, make_city, make_task, operator

NOW = at("2024-03-11", "10:00")


def _messages(session: Session) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "urge")
                             .order_by(col(OutboxMessage.id))).all())


def _names(session: Session, rows: list[OutboxMessage]) -> set[str]:
    return {p.name for p in session.exec(select(Person).where(
        col(Person.id).in_([r.recipient_id for r in rows]))).all()}


def test_urges_lead_and_cooperating_units_with_the_note(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city)
    outcomes = urge_tasks(session=session, actor=act(city.office), tasks=[task.code], now=NOW,
                          note="请于本周五前反馈整改进展")
    assert [(o.code, o.queued, o.skipped) for o in outcomes] == [(task.code, 3, None)]
    rows = _messages(session)
    assert _names(session, rows) == {"张联络", "陈支队", "刘住建"}
    assert all("请于本周五前反馈整改进展" in r.body and task.code in r.body for r in rows)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "urge")).one()
    assert event.entity_id == task.id and event.actor == "赵督查"
    assert event.after is not None and event.after["messages"] == 3


def test_the_same_day_twice_sends_nothing_twice(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city)
    urge_tasks(session=session, actor=act(city.office), tasks=[task.code], now=NOW)
    again = urge_tasks(session=session, actor=act(city.office), tasks=[task.code, task.code],
                       now=at("2024-03-11", "16:00"))
    assert len(again) == 1 and again[0].queued == 0 and again[0].skipped
    assert len(_messages(session)) == 3
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "urge")).all()) == 1
    next_day = urge_tasks(session=session, actor=operator(), tasks=[task.code],
                          now=at("2024-03-12", "10:00"))
    assert next_day[0].queued == 3


def test_tasks_not_waiting_for_units_are_skipped_with_the_reason(session: Session) -> None:
    city = make_city(session)
    draft = make_task(session, city, assign=False, title="草稿事项")
    review = make_task(session, city, title="待审核事项")
    acknowledge(session=session, task=review.code, actor=act(city.fire_contact), now=NOW)
    request_completion(session=session, task=review.code, actor=act(city.fire_contact),
                       evidence="验收报告", now=NOW)
    working = make_task(session, city, co=[], title="办理中事项")
    outcomes = urge_tasks(session=session, actor=act(city.office),
                          tasks=[draft.code, review.code, working.code], now=NOW)
    by_code = {o.code: o for o in outcomes}
    assert by_code[draft.code].queued == 0 and "待交办" in (by_code[draft.code].skipped or "")
    assert by_code[review.code].queued == 0 and "审核" in (by_code[review.code].skipped or "")
    assert by_code[working.code].queued == 2
    assert {m.task_id for m in _messages(session)} == {working.id}


@pytest.mark.parametrize("who", ["secretary", "vice_mayor", "fire_contact", "fire_head",
                                 "housing_contact", "emerg_contact"])
def test_only_the_office_urges_and_a_refusal_queues_nothing(session: Session, who: str) -> None:
    city = make_city(session)
    task = make_task(session, city)
    with pytest.raises(PermissionDenied):
        urge_tasks(session=session, actor=act(getattr(city, who)), tasks=[task.code], now=NOW)
    assert _messages(session) == []


def test_an_unknown_code_refuses_the_whole_request(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city)
    with pytest.raises(NotFound):
        urge_tasks(session=session, actor=act(city.office), tasks=[task.code, "DB-1999-9999"],
                   now=NOW)
    assert _messages(session) == []
    with pytest.raises(InvalidInput):
        urge_tasks(session=session, actor=act(city.office), tasks=[], now=NOW)
    with pytest.raises(InvalidInput):
        urge_tasks(session=session, actor=act(city.office),
                   tasks=[f"DB-2024-{i:04d}" for i in range(MAX_URGE + 1)], now=NOW)
    with pytest.raises(InvalidInput):
        urge_tasks(session=session, actor=act(city.office), tasks=[task.code], now=NOW,
                   note="请\x1b[31m反馈")
    assert _messages(session) == []
