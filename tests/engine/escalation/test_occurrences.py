"""Recurring tasks ("每月5日前报送"): each occurrence is its own record, created by the pass once
the previous one's period has ended — once, with the units and the supervising leader of the
series, assigned and announced; never for a draft or a cancelled series."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from engine.escalation.run import next_work_at, run_pass
from engine.tasks.actions import cancel_task
from models import AuditEvent, OutboxMessage, Task, TaskUnit
from tests.factories import act, at, make_city, make_task, system


def _series(session: Session, first: Task) -> list[Task]:
    return list(session.exec(select(Task).where(
        (col(Task.series_id) == first.id) | (col(Task.id) == first.id)).order_by(
        col(Task.occurrence))).all())


def test_the_next_occurrence_is_created_once_when_the_period_ends(session: Session) -> None:
    city = make_city(session)
    first = make_task(session, city, due="每月5日前报送", title="月度排查情况报送",
                      co=["HOUSING"])
    assert first.recurrence_text == "每月5日前报送" and first.due_at is not None
    due = first.due_at
    # Before the deadline nothing happens; the runner knows when to come back.
    run_pass(session=session, actor=system(), now=due - timedelta(hours=1))
    assert len(_series(session, first)) == 1
    upcoming = next_work_at(session)
    assert upcoming is not None and upcoming <= due
    created = run_pass(session=session, actor=system(), now=due + timedelta(minutes=1))
    series = _series(session, first)
    assert [t.occurrence for t in series] == [1, 2]
    second = series[1]
    assert [p.kind for p in created if p.kind == "occurrence"] == ["occurrence"]
    assert second.code != first.code and second.series_id == first.id == first.series_id
    assert (second.status, second.title, second.leader_id) == ("assigned", first.title,
                                                                first.leader_id)
    assert second.due_at is not None and second.due_at > due
    assert second.due_at.astimezone(at("2024-01-01").tzinfo).day == 5
    assert first.successor_created and not second.successor_created
    links = {(link.unit_id, link.role) for link in session.exec(
        select(TaskUnit).where(TaskUnit.task_id == second.id)).all()}
    assert links == {(link.unit_id, link.role) for link in session.exec(
        select(TaskUnit).where(TaskUnit.task_id == first.id)).all()}
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "recur")).one()
    assert event.entity_id == second.id and event.channel == "scheduler"
    assert event.after is not None and event.after["previous"] == first.code
    announced = session.exec(select(OutboxMessage).where(
        OutboxMessage.task_id == second.id, OutboxMessage.kind == "assigned")).all()
    assert {m.recipient_id for m in announced} >= {city.fire_contact.id, city.housing_contact.id}
    # The same moment again, or a little later: no third occurrence, no duplicate messages.
    run_pass(session=session, actor=system(), now=due + timedelta(minutes=2))
    run_pass(session=session, actor=system(), now=due + timedelta(hours=3))
    assert len(_series(session, first)) == 2


def test_a_late_pass_starts_the_next_period_after_now(session: Session) -> None:
    """After downtime the next occurrence is due in the next period, not in a past one."""
    city = make_city(session)
    first = make_task(session, city, due="每月5日前报送", title="月报", co=[])
    assert first.due_at is not None
    late = first.due_at + timedelta(days=45)
    run_pass(session=session, actor=system(), now=late)
    second = _series(session, first)[1]
    assert second.due_at is not None and second.due_at > late


def test_cancelled_and_draft_series_do_not_recur(session: Session) -> None:
    city = make_city(session)
    draft = make_task(session, city, due="每月5日前报送", title="草稿月报", assign=False)
    cancelled = make_task(session, city, due="每月5日前报送", title="撤销月报")
    cancel_task(session=session, task=cancelled.code, actor=act(city.office), reason="不再报送",
                now=at("2024-03-04", "12:00"))
    assert cancelled.due_at is not None
    run_pass(session=session, actor=system(), now=cancelled.due_at + timedelta(days=1))
    assert len(_series(session, draft)) == 1 and len(_series(session, cancelled)) == 1
