"""The office corrects an assigned task: the change is checked, audited field by field, the
units that stay keep their 签收, and every unit concerned is told (one taken off included)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from engine.errors import InvalidInput, InvalidTransition, PermissionDenied, PolicyViolation
from engine.tasks.actions import acknowledge, request_completion, verify_and_close
from engine.tasks.editing import edit_task
from models import AuditEvent, OutboxMessage, TaskUnit
from tests.factories import act, at, make_city, make_task

T = at("2024-03-06", "10:00")


def test_an_assigned_task_is_corrected_audited_and_its_units_told(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city, co=["HOUSING", "EMERG"], target=100, measure="个")
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=T)
    acknowledge(session=session, task=task.code, actor=act(city.housing_contact), now=T)
    edited = edit_task(session=session, task=task.code, actor=act(city.office), now=T,
                       title="开展九小场所和群租房隐患排查", co=["HOUSING"], owner="陈支队",
                       priority="特急", target=120, requirement="逐一建档，每周报送")
    assert (edited.title, edited.priority, edited.target) == ("开展九小场所和群租房隐患排查",
                                                              "urgent", 120)
    assert edited.status == "acknowledged" and edited.owner_id == city.fire_head.id
    links = {link.unit_id: link for link in session.exec(
        select(TaskUnit).where(TaskUnit.task_id == task.id)).all()}
    assert set(links) == {city.fire_contact.unit_id, city.housing_contact.unit_id}
    assert all(link.acknowledged_at is not None for link in links.values())  # kept
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "edit")).one()
    changes = (event.after or {})["changes"]
    assert changes["priority"] == ["normal", "urgent"] and changes["target"] == [100, 120]
    assert changes["co_units"] == [["HOUSING", "EMERG"], ["HOUSING"]]
    told = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "edited")).all()
    by_person = {m.recipient_id: m for m in told}
    assert {city.fire_contact.id, city.housing_contact.id, city.emerg_contact.id} <= set(by_person)
    assert "不再承办" in by_person[city.emerg_contact.id].body
    fire = by_person[city.fire_contact.id].body
    assert "紧急程度：普通 → 特急" in fire and "配合单位" in fire and "市应急管理局" in fire


def test_what_cannot_change_is_refused_and_nothing_is_written(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city)
    events = len(session.exec(select(AuditEvent)).all())
    with pytest.raises(PolicyViolation, match="延期"):
        edit_task(session=session, task=task.code, actor=act(city.office), now=T, due="4月30日前")
    with pytest.raises(InvalidInput, match="没有要修改的内容"):
        edit_task(session=session, task=task.code, actor=act(city.office), now=T)
    with pytest.raises(InvalidInput, match="紧急程度"):
        edit_task(session=session, task=task.code, actor=act(city.office), now=T, priority="火急")
    with pytest.raises(PermissionDenied):
        edit_task(session=session, task=task.code, actor=act(city.fire_contact), now=T, title="改")
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=T)
    request_completion(session=session, task=task.code, actor=act(city.fire_head), evidence="材料",
                       now=T)
    verify_and_close(session=session, task=task.code, actor=act(city.office), rating="合格", now=T)
    with pytest.raises(InvalidTransition):
        edit_task(session=session, task=task.code, actor=act(city.office), now=T, title="改")
    assert len(session.exec(select(AuditEvent)).all()) == events + 3
