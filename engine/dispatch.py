"""The outbox dispatcher: claim due rows, deliver them through the channels, record the result.

Delivery guarantee: at least once, and at most once outside one window — between a channel
accepting a message and the commit that marks it sent. Each message is marked in its own
commit right after its send, so a crash (even SIGKILL) can repeat at most the one message that
was in flight per dispatcher. Claimed rows whose dispatcher died are reclaimed after
``CLAIM_LEASE``. Several dispatchers may run at once: PostgreSQL claims with
``FOR UPDATE SKIP LOCKED``; SQLite serialises claims with its write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, inspect, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from config.policy import DispatchPolicy
from engine.errors import DeliveryError, PolicyViolation, RateLimited, RecipientUnreachable
from engine.lease import process_gone
from engine.policy_store import get_policy
from models import OutboxMessage, Person
from notifiers.base import Notifier, Outgoing

TELEGRAM = "telegram"
"""The channel whose permanent failures are recorded on the person (``unreachable_at``)."""

CLAIM_LEASE = timedelta(minutes=5)
"""How long a claimed row stays with its dispatcher before another may take it over."""


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"claimed": self.claimed, "sent": self.sent, "retried": self.retried,
                "dead": self.dead, "by_channel": self.by_channel}


def backoff(policy: DispatchPolicy, attempts: int) -> timedelta:
    """Exponential back-off after ``attempts`` failed tries, capped by policy."""
    seconds = policy.backoff_base_seconds * (2 ** max(0, attempts - 1))
    return timedelta(seconds=min(seconds, policy.backoff_max_seconds))


def release_orphans(session: Session) -> int:
    """Give back rows claimed by dispatchers that died (a process on this host that no longer
    exists); rows of other hosts wait for ``CLAIM_LEASE``. Returns how many were released."""
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.status == "sending")).all()
    released = 0
    for row in rows:
        holder = row.claimed_by or ""
        if process_gone(holder):
            row.status, row.claimed_by = "pending", None
            session.add(row)
            released += 1
    session.commit()
    return released


def claim(session: Session, *, now: datetime, limit: int, worker: str) -> list[int]:
    """Mark up to ``limit`` due rows as ours and commit; return their ids."""
    stale = now - CLAIM_LEASE
    rows = session.exec(
        select(OutboxMessage)
        .where(or_(
            (col(OutboxMessage.status) == "pending") & (col(OutboxMessage.next_attempt_at) <= now),
            (col(OutboxMessage.status) == "sending") & (col(OutboxMessage.claimed_at) < stale),
        ))
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.status, row.claimed_at, row.claimed_by = "sending", now, worker
        row.attempts += 1
        session.add(row)
    ids = [r.id for r in rows if r.id is not None]  # before the commit expires every row
    session.commit()
    return ids


_UPDATES: dict[tuple[str, ...], Any] = {}


def _write_row(session: Session, row: OutboxMessage) -> None:
    """Write the row's changed columns with one UPDATE statement and mark them saved.

    Same effect as letting the commit's flush do it, at a fraction of the unit of work's cost
    per message (the dispatcher commits once per message by design).
    """
    state = inspect(row)
    changes = {attr.key: attr.value for attr in state.attrs if attr.history.has_changes()}
    if not changes or row.id is None:
        return
    key = tuple(sorted(changes))
    stmt = _UPDATES.get(key)
    if stmt is None:
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        stmt = _UPDATES[key] = update(table).where(table.c.id == bindparam("row_id"))
    # On the connection: a session.execute would first autoflush the very changes written here.
    session.connection().execute(stmt, {"row_id": row.id, **changes})
    for key, value in changes.items():
        set_committed_value(row, key, value)


def _load_batch(session: Session, ids: list[int]) -> list[object]:
    """The claimed rows and their recipients in two queries instead of two per message.

    While the caller holds the result, ``session.get`` below answers from the identity map (a
    session that expires on commit reloads each row as before).
    """
    if not ids:
        return []
    rows = list(session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids))).all())
    people = {r.recipient_id for r in rows if r.recipient_id is not None}
    return [*rows, *(session.exec(select(Person).where(col(Person.id).in_(people))).all()
                     if people else [])]


def _outgoing(session: Session, row: OutboxMessage) -> Outgoing:
    person = session.get(Person, row.recipient_id) if row.recipient_id else None
    actions = tuple((a["text"], a["data"]) for a in json.loads(row.actions)) if row.actions else ()
    return Outgoing(
        message_id=row.id or 0, kind=row.kind, recipient_id=row.recipient_id,
        recipient_name=person.name if person else "", subject=row.subject, text=row.body,
        html=row.body_html, telegram_chat_id=person.telegram_chat_id if person else None,
        email=person.email if person else None,
        channels=tuple(person.channels) if person else (), actions=actions,
    )


async def _deliver(message: Outgoing, notifiers: Sequence[Notifier],
                   unreachable: list[str] | None = None) -> tuple[str | None, list[str], float | None, bool]:
    """Try the channels in order. Returns (channel, errors, retry_after, permanent).

    Reasons the Telegram channel gave for the recipient being unreachable (blocked bot, chat
    gone — not errors flagged ``recipient_fault = False``) are appended to ``unreachable``.
    """
    errors: list[str] = []
    retry_after: float | None = None
    transient = False
    for notifier in notifiers:
        if not notifier.accepts(message):
            continue
        try:
            await notifier.send(message)
            return notifier.name, errors, None, False
        except RateLimited as exc:
            retry_after = max(retry_after or 0.0, exc.retry_after)
            transient = True
            errors.append(f"{notifier.name}: {exc}")
        except RecipientUnreachable as exc:
            errors.append(f"{notifier.name}: {exc}")
            if (unreachable is not None and notifier.name == TELEGRAM
                    and getattr(exc, "recipient_fault", True)):
                unreachable.append(str(exc))
        except DeliveryError as exc:
            transient = True
            errors.append(f"{notifier.name}: {exc}")
    if not errors:
        errors.append("收件人没有可用的通知渠道")
    return None, errors, retry_after, not transient


async def dispatch_once(
    *, session: Session, notifiers: Sequence[Notifier], now: datetime | Callable[[], datetime],
    limit: int = 200, worker: str = "dispatcher",
) -> DispatchReport:
    """Claim and deliver one batch. ``now`` is a moment, or a clock read before each step."""
    clock = now if callable(now) else (lambda: now)  # type: ignore[return-value]
    policy = get_policy(session).dispatch
    report = DispatchReport()
    ids = claim(session, now=clock(), limit=limit, worker=worker)
    report.claimed = len(ids)
    held = _load_batch(session, ids)  # noqa: F841 - referenced so that session.get finds them
    for message_id in ids:
        row = session.get(OutboxMessage, message_id)
        if row is None or row.status != "sending" or row.claimed_by != worker:
            continue
        lost: list[str] = []
        message = _outgoing(session, row)
        # End the read transaction: no lock (SQLite: the write lock) is held while a channel
        # works, so the Telegram bot sharing this event loop can write meanwhile.
        session.commit()
        channel, errors, retry_after, permanent = await _deliver(message, notifiers, lost)
        _record(session, row, channel, errors, retry_after, permanent, clock(), policy, report)
        _write_row(session, row)
        _mark_reachability(session, row.recipient_id, channel, lost, clock())
        session.commit()
    return report


def _record(session: Session, row: OutboxMessage, channel: str | None, errors: list[str],
            retry_after: float | None, permanent: bool, now: datetime, policy: DispatchPolicy,
            report: DispatchReport) -> None:
    if channel is not None:
        row.status, row.sent_at, row.channel = "sent", now, channel
        row.last_error = "；".join(errors) or None
        report.sent += 1
        report.by_channel[channel] = report.by_channel.get(channel, 0) + 1
    elif permanent or row.attempts >= policy.max_attempts:
        row.status, row.last_error = "dead", "；".join(errors)
        report.dead += 1
    else:
        delay = backoff(policy, row.attempts)
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        row.status, row.next_attempt_at = "pending", now + delay
        row.last_error = "；".join(errors)
        report.retried += 1
    row.claimed_by = None
    session.add(row)


def _mark_reachability(session: Session, person_id: int | None, channel: str | None,
                       lost: list[str], now: datetime) -> None:
    """Record on the person that Telegram cannot reach them, or that it can again."""
    if person_id is None or not (lost or channel == TELEGRAM):
        return
    person = session.get(Person, person_id)
    if person is None:
        return
    if lost:
        person.unreachable_at, person.unreachable_reason = now, lost[0][:256]
    elif channel == TELEGRAM and person.unreachable_at is not None:
        person.unreachable_at, person.unreachable_reason = None, None
    else:
        return
    session.add(person)


def requeue(session: Session, *, ids: Sequence[int] | None, now: datetime) -> int:
    """Put dead letters (the given ids, or all of them) back in the queue with fresh attempts.

    Refuses ids that are not dead letters: a sent message is never queued again.
    """
    query = select(OutboxMessage).where(OutboxMessage.status == "dead")
    if ids:
        query = query.where(col(OutboxMessage.id).in_(list(ids)))
    rows = session.exec(query).all()
    if ids:
        missing = sorted(set(ids) - {r.id for r in rows})
        if missing:
            raise PolicyViolation(f"消息 {missing[0]} 不存在或不是死信，不能重新投递")
    for row in rows:
        row.status, row.attempts, row.next_attempt_at, row.last_error = "pending", 0, now, None
        session.add(row)
    session.commit()
    return len(rows)
