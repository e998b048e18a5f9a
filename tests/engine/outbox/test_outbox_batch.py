"""``enqueue_many``: the batch path of the escalation pass, on each backend."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.exc import StatementError
from sqlmodel import Session, col, func, select

from engine.outbox import queue as outbox
from models import OutboxMessage
from tests.factories import ISSUED, at, make_city

T0 = at("2024-03-05", "10:00")


def _values(city_person: object, key: str, now: datetime = T0) -> dict[str, object]:
    return outbox.message_values(dedupe_key=key, kind="reminder", recipient=city_person,  # type: ignore[arg-type]
                                 subject="【催办】", body="请立即办理", now=now,
                                 actions_json='[{"text": "签收", "data": "ack:1"}]')


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(OutboxMessage)).one()


def test_returns_the_keys_it_added_and_skips_the_rest(session: Session) -> None:
    city = make_city(session)
    person = city.fire_contact
    first = outbox.enqueue_many(session, [_values(person, "k:1"), _values(person, "k:2"),
                                          _values(person, "k:1")])
    session.commit()
    assert first == {"k:1", "k:2"}
    assert _count(session) == 2
    again = outbox.enqueue_many(session, [_values(person, "k:2"), _values(person, "k:3")])
    session.commit()
    assert again == {"k:3"}
    rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    assert [r.dedupe_key for r in rows] == ["k:1", "k:2", "k:3"]
    assert all(r.status == "pending" and r.next_attempt_at == T0 and r.created_at == T0 for r in rows)
    assert rows[0].actions == '[{"text": "签收", "data": "ack:1"}]' and rows[0].recipient_id == person.id


def test_refuses_a_moment_without_a_zone_and_writes_nothing(session: Session) -> None:
    city = make_city(session)
    session.commit()
    naive = T0.replace(tzinfo=None)
    with pytest.raises((ValueError, StatementError)):
        outbox.enqueue_many(session, [_values(city.fire_contact, "k:ok"),
                                      _values(city.fire_contact, "k:naive", now=naive)])
    session.rollback()
    assert _count(session) == 0


def test_enqueue_tells_whether_it_added_a_row(session: Session) -> None:
    """On both backends (psycopg's rowcount for an INSERT is -1, which must not read as "added")."""
    from engine.outbox.queue import enqueue

    city = make_city(session)
    added = [enqueue(session, dedupe_key="same", kind="notice", recipient=city.office, body="x",
                     now=ISSUED) for _ in range(2)]
    assert added == [True, False]
