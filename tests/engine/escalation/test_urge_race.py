"""批量催办 at the same moment as another 批量催办 of the same tasks (in another order) and as
the escalation pass: nobody gets an error — on PostgreSQL neither a deadlock nor a 500 page —,
and each task is urged once (one audit event, one message per person)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engine.escalation.run import run_pass
from engine.escalation.urge import urge_tasks
from models import AuditEvent, OutboxMessage
from tests.factories import act, at, make_city, make_task, system
from tests.support.races import race, refusals

TASKS = 12
LATE = at("2024-04-30", "10:00")  # every task is overdue: the pass has levels to raise


def test_two_bulk_urges_and_the_escalation_pass_at_once(shared_engine: Engine) -> None:
    with Session(shared_engine, expire_on_commit=False) as session:
        city = make_city(session)
        codes = [make_task(session, city, due="3月15日前", title=f"事项{i}").code
                 for i in range(TASKS)]
    clerk = act(city.office)

    def urge(chosen: list[str]) -> Callable[[Session], Any]:
        return lambda s: urge_tasks(session=s, actor=clerk, tasks=chosen, now=LATE)

    def tick(session: Session) -> Any:
        return run_pass(session=session, actor=system(), now=LATE, batch_size=3)

    results = race(shared_engine, [urge(codes), tick, urge(list(reversed(codes)))])
    assert refusals(results) == []
    with Session(shared_engine) as session:
        urged = Counter(session.exec(select(AuditEvent.entity_id)
                                     .where(AuditEvent.action == "urge")).all())
        assert len(urged) == TASKS and set(urged.values()) == {1}
        keys = session.exec(select(OutboxMessage.dedupe_key)
                            .where(OutboxMessage.kind == "urge")).all()
        assert len(keys) == len(set(keys)) > 0
    queued = [sum(o.queued for o in r) for r in (results[0], results[2])]
    assert sorted(queued)[0] == 0 and sum(queued) == len(keys)
