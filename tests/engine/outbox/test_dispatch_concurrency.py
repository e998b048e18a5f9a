"""Several dispatchers on one PostgreSQL database: claims use ``FOR UPDATE SKIP LOCKED``, so no
message is delivered twice and none is left behind."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from engine.outbox.channel import Outgoing
from engine.outbox.dispatch import claim, dispatch_once
from models import OutboxMessage
from tests.factories import at, make_city

NOW = at("2024-03-05", "10:00")
MESSAGES = 500


class RecordingNotifier:
    """Shared by both dispatchers: records (message id, thread) and yields on every send."""

    name = "recording"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.deliveries: list[tuple[int, str]] = []

    def accepts(self, message: Outgoing) -> bool:
        return True

    async def send(self, message: Outgoing) -> str | None:
        await asyncio.sleep(0)
        with self.lock:
            self.deliveries.append((message.message_id, threading.current_thread().name))
        return None


def _fill(engine: Engine, n: int) -> None:
    with Session(engine, expire_on_commit=False) as session:
        city = make_city(session)
        people = [city.fire_contact, city.fire_head, city.housing_contact, city.emerg_contact]
        # One multi-row INSERT (the rows ``outbox.enqueue`` would write, without 500 round trips).
        session.execute(insert(OutboxMessage), [
            {"dedupe_key": f"load:{i}", "kind": "notice", "recipient_id": people[i % len(people)].id,
             "body": f"第{i}条", "status": "pending", "attempts": 0, "next_attempt_at": NOW,
             "created_at": NOW} for i in range(n)])
        session.commit()


def _run_dispatcher(engine: Engine, name: str, notifier: RecordingNotifier,
                    start: threading.Barrier, errors: list[BaseException]) -> None:
    async def drain(session: Session) -> None:
        while True:
            report = await dispatch_once(session=session, notifiers=[notifier],
                                         now=NOW + timedelta(seconds=1), limit=20, worker=name)
            if report.claimed == 0:
                return

    try:
        with Session(engine, expire_on_commit=False) as session:
            start.wait(timeout=30)
            asyncio.run(drain(session))
    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
        errors.append(exc)


def test_two_dispatchers_at_once_never_deliver_twice(pg_engine: Engine) -> None:
    _fill(pg_engine, MESSAGES)
    claims: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FOR UPDATE" in statement:
            claims.append(statement)

    event.listen(pg_engine, "before_cursor_execute", capture)
    notifier = RecordingNotifier()
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_run_dispatcher, name=f"dispatcher-{i}",
                                args=(pg_engine, f"dispatcher-{i}", notifier, start, errors))
               for i in (1, 2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        event.remove(pg_engine, "before_cursor_execute", capture)
    assert not any(t.is_alive() for t in threads) and errors == []

    counts = Counter(message_id for message_id, _ in notifier.deliveries)
    twice = {m: c for m, c in counts.items() if c > 1}
    by_thread = Counter(thread for _, thread in notifier.deliveries)
    print(f"\n{MESSAGES} messages, deliveries per dispatcher {dict(by_thread)}, duplicates {len(twice)}")
    assert twice == {}
    assert len(counts) == MESSAGES
    assert set(by_thread) == {"dispatcher-1", "dispatcher-2"}  # both really worked at once
    with Session(pg_engine) as session:
        statuses = dict(session.exec(select(OutboxMessage.status, func.count())
                                     .group_by(OutboxMessage.status)).all())
        assert statuses == {"sent": MESSAGES}
        assert session.exec(select(func.max(OutboxMessage.attempts))).one() == 1
    # Every claim the dispatchers made on PostgreSQL skipped locked rows instead of waiting.
    assert claims and all("FOR UPDATE SKIP LOCKED" in s for s in claims)


def test_claim_skips_rows_another_transaction_holds(pg_engine: Engine) -> None:
    _fill(pg_engine, 30)
    with Session(pg_engine) as holder:
        locked = [i for i in holder.exec(select(OutboxMessage.id).order_by(col(OutboxMessage.id))
                                         .limit(10).with_for_update()).all() if i is not None]
        with Session(pg_engine, expire_on_commit=False) as other:
            # Were the claim to wait for the lock, this would fail instead of hanging.
            other.execute(text("SET LOCAL lock_timeout = '5s'"))
            taken = claim(other, now=NOW, limit=100, worker="other")
        assert len(taken) == 20 and not set(taken) & set(locked)
        holder.rollback()
    with Session(pg_engine, expire_on_commit=False) as late:
        assert sorted(claim(late, now=NOW, limit=100, worker="late")) == sorted(locked)
