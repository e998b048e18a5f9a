"""Shared setup of the report screens' tests: a task outside the vice mayor's scope, dead
letters in the outbox, and helpers reading the database."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from engine.tasks.creation import assign_task, create_task
from models import AuditEvent, OutboxMessage, Task, TaskCreate
from tests.factories import ISSUED, act
from tests.web.conftest import WebWorld


def housing_task(web: WebWorld, title: str = "住建局独办的逾期事项") -> Task:
    """An overdue task led by HOUSING with no supervising leader: outside 李占明's scope."""
    with Session(web.engine, expire_on_commit=False) as session:
        data = TaskCreate(directive_id=web.city.directive.id or 0, title=title,
                          lead_unit="HOUSING", co_units=[], due="3月8日前")
        task = create_task(session=session, data=data, actor=act(web.city.office), now=ISSUED)
        return assign_task(session=session, task=task.code, actor=act(web.city.office),
                           now=ISSUED + timedelta(minutes=1))


def kill_messages(web: WebWorld, error: str = "Forbidden: bot was blocked by the user") -> list[int]:
    """Mark every queued message as a dead letter with ``error``; return their ids."""
    with Session(web.engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        assert rows, "the world has queued messages (assignment notices)"
        for row in rows:
            row.status, row.attempts, row.last_error = "dead", 5, error
            session.add(row)
        session.commit()
        return [r.id or 0 for r in rows]


def statuses(web: WebWorld) -> dict[int, str]:
    with Session(web.engine) as session:
        return {m.id or 0: m.status for m in session.exec(select(OutboxMessage)).all()}


def audit_count(web: WebWorld) -> int:
    with Session(web.engine) as session:
        return len(session.exec(select(AuditEvent.id)).all())


def last_event(web: WebWorld, action: str) -> AuditEvent | None:
    with Session(web.engine) as session:
        return session.exec(select(AuditEvent).where(AuditEvent.action == action)
                            .order_by(col(AuditEvent.id).desc())).first()
