"""A first end-to-end walk through the services on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from engine.tasks.actions import acknowledge, report_progress, request_completion, verify_and_close
from engine.tasks.audit import verify_chain
from models import OutboxMessage
from tests.factories import ISSUED, act, make_city, make_task, operator


def test_walk_to_closed(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city)
    assert task.code == "DB-2024-0001"
    t1 = ISSUED + timedelta(hours=2)
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=t1)
    report_progress(session=session, task=task.code, actor=act(city.fire_contact), text="已排查", now=t1)
    request_completion(session=session, task=task.code, actor=act(city.fire_head), evidence="台账", now=t1)
    closed = verify_and_close(session=session, task=task.code, actor=act(city.office), rating="优秀", now=t1)
    assert closed.status == "closed" and closed.rating == "excellent"
    assert verify_chain(session=session, actor=operator()) > 5
    kinds = {m.kind for m in session.exec(select(OutboxMessage)).all()}
    assert {"assigned", "review", "closed"} <= kinds
