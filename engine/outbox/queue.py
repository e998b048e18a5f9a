"""Queueing messages in the outbox, in the caller's transaction.

A message is identified by its de-duplication key (task, kind, level, recipient, deadline
version …): queueing the same key twice — in one pass, in a repeated pass, or from two workers at
once — leaves one row. Delivery is the dispatcher's job (:mod:`engine.outbox.dispatch`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from config.policy import Policy, parse_hhmm
from engine.store.policy import zone_for
from models import OutboxMessage, Person
from models.types import UTCDateTime


def quiet_until(now: datetime, policy: Policy) -> datetime | None:
    """The end of the quiet hours if ``now`` falls inside them (local time), else ``None``."""
    tz = zone_for(policy)
    local = now.astimezone(tz)
    start = parse_hhmm(policy.quiet_hours.start)
    end = parse_hhmm(policy.quiet_hours.end)
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside or start == end:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz)


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    kind: str,
    recipient: Person,
    body: str,
    now: datetime,
    subject: str = "",
    body_html: str | None = None,
    task_id: int | None = None,
    level: int = 0,
    not_before: datetime | None = None,
    actions: list[dict[str, str]] | None = None,
    attachment_id: int | None = None,
) -> bool:
    """Queue one message unless its key exists; return whether a row was added.

    ``attachment_id``: an evidence file the message carries (sent as a photo or document where
    the channel can, the text being its caption)."""
    values: dict[str, Any] = {
        "dedupe_key": dedupe_key,
        "kind": kind,
        "task_id": task_id,
        "level": level,
        "recipient_id": recipient.id,
        "subject": subject,
        "body": body,
        "body_html": body_html,
        "actions": json.dumps(actions, ensure_ascii=False) if actions else None,
        "attachment_id": attachment_id,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": max(now, not_before) if not_before else now,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        stmt = insert(OutboxMessage).values(**values).on_conflict_do_nothing(
            index_elements=["dedupe_key"]
        ).returning(OutboxMessage.__table__.c.id)  # type: ignore[attr-defined]
        # RETURNING, not rowcount: psycopg reports -1 (truthy) for an INSERT through SQLAlchemy.
        return session.execute(stmt).first() is not None
    exists = session.exec(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ).first()
    if exists is not None:
        return False
    session.add(OutboxMessage(**values))
    return True


def message_values(
    *, dedupe_key: str, kind: str, recipient: Person, body: str, now: datetime, subject: str = "",
    body_html: str | None = None, task_id: int | None = None, level: int = 0,
    not_before: datetime | None = None, actions_json: str | None = None,
) -> dict[str, Any]:
    """The row :func:`enqueue` would write, for :func:`enqueue_many` (``actions`` already JSON)."""
    return {
        "dedupe_key": dedupe_key, "kind": kind, "task_id": task_id, "level": level,
        "recipient_id": recipient.id, "subject": subject, "body": body, "body_html": body_html,
        "actions": actions_json, "status": "pending", "attempts": 0,
        "next_attempt_at": max(now, not_before) if not_before else now, "created_at": now,
    }


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Queue many messages (rows from :func:`message_values`) in one statement per backend
    batch, skipping keys that exist; return the keys that were added.

    Same guarantee as :func:`enqueue`, for the escalation pass, which queues thousands at once.
    """
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        added = set()
        for row in rows:
            exists = session.exec(
                select(OutboxMessage.id).where(OutboxMessage.dedupe_key == row["dedupe_key"])
            ).first()
            if exists is None:
                session.add(OutboxMessage(**row))
                added.add(row["dedupe_key"])
        return added
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        return _pg_insert_rows(session, rows)
    # SQLite: the transaction holds the database's write lock (BEGIN IMMEDIATE), so the keys
    # found absent here are exactly the ones the plain executemany below adds.
    keys = [row["dedupe_key"] for row in rows]
    present: set[str] = set()
    for start in range(0, len(keys), 500):
        present.update(session.execute(select(table.c.dedupe_key).where(
            table.c.dedupe_key.in_(keys[start:start + 500]))).scalars())
    session.connection().execute(
        sqlite_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]), rows)
    return set(keys) - present


def _pg_insert_rows(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert ``rows`` (ON CONFLICT DO NOTHING) and return the keys added, through psycopg's own
    pipelined ``executemany(returning=True)`` on the session's connection and transaction.

    Why not SQLAlchemy's executemany: with RETURNING it builds a multi-row VALUES list of
    thousands of placeholders per page, which psycopg re-parses every time (its statement cache
    stops at 4 kB) — at 1M tasks that parsing was a third of the escalation pass. Here the
    statement is one row's, parsed once. Values are plain Python: the moments are already aware
    datetimes (``message_values``), which psycopg sends as ``timestamptz`` as the column expects.
    """
    names = list(rows[0])
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect
    for column in (table.c[name] for name in names):  # the column type's own check (no zone: refused)
        if isinstance(column.type, UTCDateTime):
            for row in rows:
                column.type.process_bind_param(row[column.name], dialect)
    statement = (f"INSERT INTO outbox ({', '.join(names)}) "
                 f"VALUES ({', '.join(f'%({name})s' for name in names)}) "
                 "ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key")
    driver = session.connection().connection.driver_connection
    assert driver is not None
    added: set[str] = set()
    with driver.cursor() as cursor:
        cursor.executemany(statement, rows, returning=True)
        while True:
            added.update(key for (key,) in cursor.fetchall())
            if not cursor.nextset():
                return added


def cancel_pending_for_task(session: Session, *, task_id: int, now: datetime) -> int:
    """Cancel the task's undelivered reminders/escalations (it was closed or cancelled)."""
    rows = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.task_id == task_id,
            OutboxMessage.status == "pending",
            col(OutboxMessage.kind).in_(("reminder", "escalation", "stale", "milestone")),
        )
    ).all()
    for row in rows:
        row.status = "cancelled"
        row.last_error = f"事项已结束（{now.isoformat()}）"
        session.add(row)
    return len(rows)
