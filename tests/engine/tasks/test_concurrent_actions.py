"""Two people acting on one task at the same moment (a double-click, two clerks, a unit and the
office): the actions are applied one after the other, so the second is judged on the task as
the first left it — refused with the engine's Chinese message, never applied twice, never a
lost update. Runs on SQLite (a file, its write lock) and on PostgreSQL (row locks)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engine.errors import DubanError, InvalidTransition, PolicyViolation
from engine.org.actors import Actor
from engine.read.detail import task_detail
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
from engine.tasks.extensions import decide_extension, request_extension
from models import AuditEvent, ExtensionRequest, ProgressReport, Recheck, Task
from tests.factories import City, act, at, make_city, make_task, operator
from tests.support.races import race, refusals

NOW = at("2024-03-11", "10:00")


def _world(engine: Engine, stage: str = "assigned") -> tuple[City, Task]:
    """The city and one task led by FIRE, brought to ``stage`` (assigned, working, review)."""
    with Session(engine, expire_on_commit=False) as session:
        city = make_city(session)
        task = make_task(session, city)
        fire = act(city.fire_contact)
        if stage in ("working", "review"):
            acknowledge(session=session, task=task.code, actor=fire, now=NOW)
        if stage == "review":
            request_completion(session=session, task=task.code, actor=fire, evidence="已整改",
                               now=NOW)
    return city, task


def _page(actor: Actor, code: str) -> Callable[[Session], Any]:
    """What the console reads before an action: the task page (task, units, offers)."""
    def load(session: Session) -> None:
        task_detail(session=session, actor=actor, code=code, now=NOW)
        available_actions(session=session, actor=actor, code=code, now=NOW)
    return load


def _events(engine: Engine, task: Task) -> Counter[str]:
    with Session(engine) as session:
        return Counter(session.exec(select(AuditEvent.action).where(
            AuditEvent.entity == "task", AuditEvent.entity_id == task.id)).all())


def _status(engine: Engine, task: Task) -> str:
    with Session(engine) as session:
        row = session.get(Task, task.id)
        assert row is not None
        return row.status


def _chain_intact(engine: Engine) -> None:
    with Session(engine) as session:
        assert verify_chain(session=session, actor=operator()) > 0


def test_two_clerks_verifying_at_once_close_the_task_once(shared_engine: Engine) -> None:
    city, task = _world(shared_engine, "review")
    clerk = act(city.office)

    def verify(rating: str) -> Callable[[Session], Any]:
        return lambda s: verify_and_close(session=s, task=task.code, actor=clerk, rating=rating,
                                          now=NOW + timedelta(minutes=5))

    results = race(shared_engine, [verify("合格"), verify("优秀")], load=_page(clerk, task.code))
    refused = refusals(results)
    assert len(refused) == 1 and isinstance(refused[0], InvalidTransition)
    assert "已办结" in refused[0].message
    assert _events(shared_engine, task)["verify"] == 1
    with Session(shared_engine) as session:
        assert len(session.exec(select(Recheck).where(Recheck.task_id == task.id)).all()) == 1
    _chain_intact(shared_engine)


def test_verify_and_return_at_once_apply_one_of_them(shared_engine: Engine) -> None:
    city, task = _world(shared_engine, "review")
    clerk = act(city.office)
    later = NOW + timedelta(minutes=5)
    results = race(shared_engine, [
        lambda s: verify_and_close(session=s, task=task.code, actor=clerk, rating="合格", now=later),
        lambda s: return_task(session=s, task=task.code, actor=clerk, reason="材料不全", now=later),
    ], load=_page(clerk, task.code))
    assert len(refusals(results)) == 1
    events = _events(shared_engine, task)
    assert events["verify"] + events["return"] == 1
    assert _status(shared_engine, task) == ("closed" if events["verify"] else "in_progress")


def test_cancel_while_the_unit_asks_for_completion_never_revives_the_task(
        shared_engine: Engine) -> None:
    city, task = _world(shared_engine, "working")
    clerk, fire = act(city.office), act(city.fire_contact)
    later = NOW + timedelta(minutes=5)
    results = race(shared_engine, [
        lambda s: cancel_task(session=s, task=task.code, actor=clerk, reason="重复交办", now=later),
        lambda s: request_completion(session=s, task=task.code, actor=fire, evidence="已整改",
                                     now=later),
    ], load=_page(clerk, task.code))
    # Both may succeed only in the order completion → cancel; the task ends cancelled.
    assert all(isinstance(r, InvalidTransition) for r in refusals(results))
    assert _status(shared_engine, task) == "cancelled"
    assert _events(shared_engine, task)["cancel"] == 1


def test_a_double_click_asks_for_completion_once(shared_engine: Engine) -> None:
    city, task = _world(shared_engine, "working")
    fire = act(city.fire_contact)
    ask: Callable[[Session], Any] = lambda s: request_completion(  # noqa: E731
        session=s, task=task.code, actor=fire, evidence="已整改", now=NOW)
    results = race(shared_engine, [ask, ask], load=_page(fire, task.code))
    refused = refusals(results)
    assert len(refused) == 1 and isinstance(refused[0], InvalidTransition)
    assert _events(shared_engine, task)["request_completion"] == 1
    with Session(shared_engine) as session:
        reports = session.exec(select(ProgressReport).where(
            ProgressReport.task_id == task.id)).all()
        assert len(reports) == 1


def test_one_unit_signing_in_two_browsers_signs_once(shared_engine: Engine) -> None:
    city, task = _world(shared_engine)
    fire, head = act(city.fire_contact), act(city.fire_head)
    results = race(shared_engine, [
        lambda s: acknowledge(session=s, task=task.code, actor=fire, now=NOW),
        lambda s: acknowledge(session=s, task=task.code, actor=head, now=NOW),
    ], load=_page(fire, task.code))
    refused = refusals(results)
    assert len(refused) == 1 and isinstance(refused[0], PolicyViolation)
    assert "无需重复签收" in refused[0].message
    assert _events(shared_engine, task)["acknowledge"] == 1


def test_a_double_click_files_one_extension_request(shared_engine: Engine) -> None:
    city, task = _world(shared_engine, "working")
    fire = act(city.fire_contact)
    ask: Callable[[Session], Any] = lambda s: request_extension(  # noqa: E731
        session=s, task=task.code, actor=fire, new_due="4月30日前", reason="工作量大", now=NOW)
    results = race(shared_engine, [ask, ask], load=_page(fire, task.code))
    refused = refusals(results)
    assert len(refused) == 1 and isinstance(refused[0], PolicyViolation)
    assert "已有待审批的延期申请" in refused[0].message
    with Session(shared_engine) as session:
        assert len(session.exec(select(ExtensionRequest).where(
            ExtensionRequest.task_id == task.id)).all()) == 1


@pytest.mark.parametrize("second", [True, False], ids=["approve-approve", "approve-reject"])
def test_two_clerks_deciding_one_extension_decide_it_once(shared_engine: Engine,
                                                           second: bool) -> None:
    city, task = _world(shared_engine, "working")
    clerk = act(city.office)
    with Session(shared_engine, expire_on_commit=False) as session:
        request = request_extension(session=session, task=task.code, actor=act(city.fire_contact),
                                    new_due="4月30日前", reason="工作量大", now=NOW)
    later = NOW + timedelta(minutes=5)

    def decide(approve: bool) -> Callable[[Session], Any]:
        return lambda s: decide_extension(session=s, request_id=request.id or 0, actor=clerk,
                                          approve=approve, now=later)

    results = race(shared_engine, [decide(True), decide(second)], load=_page(clerk, task.code))
    refused = refusals(results)
    assert len(refused) == 1 and isinstance(refused[0], DubanError)
    assert "已处理，不能重复审批" in refused[0].message
    events = _events(shared_engine, task)
    assert events["decide_extension"] == 1
    with Session(shared_engine) as session:
        row, decided = session.get(Task, task.id), session.get(ExtensionRequest, request.id)
        assert row is not None and decided is not None
        approved = decided.status == "approved"
        # The deadline moved exactly when, and as often as, the request says it was approved.
        assert events["extend"] == row.extension_count == (1 if approved else 0)
        assert row.deadline_version == (2 if approved else 1)
    _chain_intact(shared_engine)


def test_a_double_click_reports_progress_once(shared_engine: Engine) -> None:
    city, task = _world(shared_engine, "working")
    fire = act(city.fire_contact)
    send: Callable[[Session], Any] = lambda s: report_progress(  # noqa: E731
        session=s, task=task.code, actor=fire, text="已排查312栋", achieved=312, now=NOW)
    results = race(shared_engine, [send, send], load=_page(fire, task.code))
    assert refusals(results) == []
    # The second submission is the same report: it is answered with the first one.
    assert results[0].id == results[1].id
    assert _events(shared_engine, task)["report_progress"] == 1
    with Session(shared_engine) as session:
        assert len(session.exec(select(ProgressReport).where(
            ProgressReport.task_id == task.id)).all()) == 1


def test_the_resent_report_may_carry_the_earlier_moment(shared_engine: Engine) -> None:
    # Each request reads its clock before it waits for the task: the one served second may
    # carry the earlier moment. Still the same report; a different text, a later report
    # past the window, or another person's report is a new one.
    city, task = _world(shared_engine, "working")
    fire, head = act(city.fire_contact), act(city.fire_head)

    def send(actor: Actor, text: str, moment: Any) -> ProgressReport:
        with Session(shared_engine, expire_on_commit=False) as session:
            return report_progress(session=session, task=task.code, actor=actor, text=text,
                                   now=moment)

    first = send(fire, "已排查312栋", NOW)
    assert send(fire, "已排查312栋", NOW - timedelta(seconds=1)).id == first.id
    assert send(fire, "已排查312栋", NOW + timedelta(minutes=3)).id != first.id
    assert send(head, "已排查312栋", NOW + timedelta(minutes=3)).id != first.id
    assert send(fire, "已排查320栋", NOW + timedelta(minutes=3)).id != first.id
    assert _events(shared_engine, task)["report_progress"] == 4
