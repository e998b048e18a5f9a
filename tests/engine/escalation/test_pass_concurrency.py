"""Two escalation passes at once on PostgreSQL (two `duban tick`s, two workers): each task's
level is raised once — one audit event per level, not one per pass — and the recurring task's
next occurrence and the re-check notice are made once, with neither pass failing."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from engine.escalation.run import run_pass
from engine.tasks.actions import acknowledge, request_completion, verify_and_close
from engine.tasks.audit import verify_chain
from models import AuditEvent, OutboxMessage, Recheck, Task
from tests.factories import act, at, make_city, make_task, operator, system

TASKS = 60
LATE = at("2024-04-30", "10:00")  # every level (5 working days overdue) has fallen due


def _fill(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        city = make_city(session)
        for i in range(TASKS):
            make_task(session, city, due="3月15日前", title=f"事项{i}")
        make_task(session, city, due="每月5日前报送", title="月报")
        done = make_task(session, city, due="3月20日前", title="已办结事项")
        acknowledge(session=session, task=done.code, actor=act(city.fire_contact), now=at("2024-03-10"))
        request_completion(session=session, task=done.code, actor=act(city.fire_contact),
                           evidence="材料", now=at("2024-03-10"))
        verify_and_close(session=session, task=done.code, actor=act(city.office), rating="合格",
                         now=at("2024-03-11"))


def _pass(engine: Engine, start: threading.Barrier, errors: list[BaseException]) -> None:
    try:
        with Session(engine, expire_on_commit=False) as session:
            start.wait(timeout=30)
            run_pass(session=session, actor=system(), now=LATE, batch_size=7)
    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
        errors.append(exc)


def test_two_passes_at_once_write_each_escalation_once(pg_engine: Engine) -> None:
    _fill(pg_engine)
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_pass, args=(pg_engine, start, errors)) for _ in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads) and errors == []
    with Session(pg_engine) as session:
        levels = Counter(
            (entity_id, (after or {})["level"]) for entity_id, after in session.exec(
                select(AuditEvent.entity_id, AuditEvent.after)
                .where(AuditEvent.action == "escalate")).all())
        twice = {k: n for k, n in levels.items() if n > 1}
        assert twice == {}
        assert len(levels) >= TASKS * 3
        recurs = session.exec(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "recur")).one()
        successors = session.exec(select(func.count()).select_from(Task)
                                  .where(Task.occurrence > 1)).one()
        assert recurs == successors >= 1
        recheck = session.exec(select(Recheck)).one()
        assert recheck.notified_at is not None
        assert session.exec(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.kind == "recheck")).one() >= 1
        assert verify_chain(session=session, actor=operator()) > TASKS * 3
    # A third pass at the same moment finds nothing left to do.
    with Session(pg_engine, expire_on_commit=False) as session:
        assert run_pass(session=session, actor=system(), now=LATE + timedelta(seconds=1)) == []
