"""The outbox dispatcher: claim due rows, deliver them through the channels, record the result.

Delivery guarantee: at least once, and at most once outside one window — between a channel
accepting a message and the commit that marks it sent. Each message is marked in its own
commit right after its send, so a crash (even SIGKILL) can repeat at most the one message that
was in flight per dispatcher (how each mark is made durable: :class:`_Marks`). Claimed rows whose dispatcher died are reclaimed after
``CLAIM_LEASE``. Several dispatchers may run at once: PostgreSQL claims with
``FOR UPDATE SKIP LOCKED``; SQLite serialises claims with its write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, or_, select, update
from sqlmodel import Session, col
from sqlmodel import select as select_models

from config.policy import DispatchPolicy
from engine.errors import DeliveryError, PolicyViolation, RateLimited, RecipientUnreachable
from engine.org.actors import Actor
from engine.org.permissions import require_office
from engine.outbox.channel import Notifier, Outgoing, OutgoingFile
from engine.outbox.evidence import outgoing_files
from engine.outbox.links import message_link, with_link
from engine.store.lease import process_gone
from engine.store.policy import get_policy
from engine.tasks import audit
from engine.values import OutboxStatus
from models import OutboxMessage, Person, Task

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
    rows = session.exec(select_models(OutboxMessage).where(OutboxMessage.status == "sending")).all()
    released = 0
    for row in rows:
        holder = row.claimed_by or ""
        if process_gone(holder):
            row.status, row.claimed_by = "pending", None
            session.add(row)
            released += 1
    session.commit()
    return released


OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
TASK = Task.__table__  # type: ignore[attr-defined]

_RECIPIENT_COLUMNS = (PERSON.c.id, PERSON.c.name, PERSON.c.telegram_chat_id, PERSON.c.email,
                      PERSON.c.channels, PERSON.c.unreachable_at)

LEASE_MARGIN = timedelta(seconds=30)
"""A batch stops this long before its claims could be taken over by another dispatcher."""


def _claim_rows(session: Session, *, now: datetime, limit: int, worker: str) -> list[dict[str, Any]]:
    """Mark up to ``limit`` due rows as ours and commit; return them as they now stand."""
    stale = now - CLAIM_LEASE
    session.flush()  # the statements below go to the connection: let it see the session's rows
    connection = session.connection()
    rows = [dict(r) for r in connection.execute(
        select(OUTBOX)
        .where(or_(
            (OUTBOX.c.status == "pending") & (OUTBOX.c.next_attempt_at <= now),
            (OUTBOX.c.status == "sending") & (OUTBOX.c.claimed_at < stale),
        ))
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).mappings()]
    if rows:
        connection.execute(
            update(OUTBOX).where(OUTBOX.c.id.in_([r["id"] for r in rows]))
            .values(status="sending", claimed_at=now, claimed_by=worker, attempts=OUTBOX.c.attempts + 1))
        for row in rows:
            row.update(status="sending", claimed_at=now, claimed_by=worker, attempts=row["attempts"] + 1)
    session.commit()
    return rows


def claim(session: Session, *, now: datetime, limit: int, worker: str) -> list[int]:
    """Mark up to ``limit`` due rows as ours and commit; return their ids."""
    return [row["id"] for row in _claim_rows(session, now=now, limit=limit, worker=worker)]


def _recipients(session: Session, rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The batch's recipients, in one query (the columns a message needs), as dicts that the
    batch keeps current as it records reachability."""
    wanted = {r["recipient_id"] for r in rows if r["recipient_id"] is not None}
    if not wanted:
        return {}
    found = session.connection().execute(select(*_RECIPIENT_COLUMNS).where(PERSON.c.id.in_(wanted)))
    return {person["id"]: dict(person) for person in found.mappings()}


def _task_codes(session: Session, rows: list[dict[str, Any]], public_url: str | None) -> dict[int, str]:
    """The codes of the batch's tasks, in one query (only when messages carry links)."""
    wanted = {r["task_id"] for r in rows if r["task_id"] is not None}
    if not public_url or not wanted:
        return {}
    found = session.connection().execute(select(TASK.c.id, TASK.c.code).where(TASK.c.id.in_(wanted)))
    return {task_id: code for task_id, code in found}


def _outgoing(row: dict[str, Any], person: dict[str, Any] | None,
              file: OutgoingFile | None = None, public_url: str | None = None,
              code: str | None = None) -> Outgoing:
    actions = tuple((a["text"], a["data"]) for a in json.loads(row["actions"])) if row["actions"] else ()
    text, html = with_link(row["body"], row["body_html"],
                           message_link(public_url, kind=row["kind"], task_code=code))
    return Outgoing(
        message_id=row["id"], kind=row["kind"], recipient_id=row["recipient_id"],
        recipient_name=person["name"] if person else "", subject=row["subject"], text=text,
        html=html, telegram_chat_id=person["telegram_chat_id"] if person else None,
        email=person["email"] if person else None,
        channels=tuple(person["channels"] or ()) if person else (), actions=actions, file=file,
    )


class _Marks:
    """Writes each message's outcome in a transaction of its own, straight after its send.

    PostgreSQL: one autocommitted UPDATE per message on a connection of the batch's own, with
    ``synchronous_commit`` off for that connection only (reset before it goes back to the pool):
    a mark survives the dispatcher's crash at once (the server has it); a crash of the database
    server itself can lose the marks of its last ~0.6 s (3 × ``wal_writer_delay``), and those
    messages are then sent again — never lost. Everything else the engine writes, every enqueue
    included, keeps full durability. SQLite (WAL, ``synchronous=NORMAL``): the session's own
    transaction, committed per message.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._update = update(OUTBOX).where(OUTBOX.c.id == bindparam("row_id"))
        bind = session.get_bind()
        self.connection: Any = None
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            self.connection = bind.connect().execution_options(isolation_level="AUTOCOMMIT")
            self.connection.exec_driver_sql("SET synchronous_commit TO off")

    def write(self, row_id: int, values: dict[str, Any], person: tuple[int, dict[str, Any]] | None) -> None:
        """Store the outcome (and the recipient's reachability change, if any) and commit."""
        connection = self.connection if self.connection is not None else self.session.connection()
        if person is not None:
            connection.execute(update(PERSON).where(PERSON.c.id == person[0]).values(**person[1]))
        connection.execute(self._update, {"row_id": row_id, **values})
        if self.connection is None:
            self.session.commit()

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.exec_driver_sql("RESET synchronous_commit")
            finally:
                self.connection.close()


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
    limit: int = 200, worker: str = "dispatcher", public_url: str | None = None,
) -> DispatchReport:
    """Claim and deliver one batch. ``now`` is a moment, or a clock read before each step.

    With ``public_url`` (the console's address, ``DUBAN_PUBLIC_URL``) every message about a task
    ends with a link to the task's page, and the daily summary with one to 每日调度.

    Each message's outcome is committed before the next message is sent (see module docstring).
    A batch that runs so long that its claims near ``CLAIM_LEASE`` gives the rest back unsent.
    """
    clock = now if callable(now) else (lambda: now)  # type: ignore[return-value]
    policy = get_policy(session).dispatch
    report = DispatchReport()
    claimed_at = clock()
    rows = _claim_rows(session, now=claimed_at, limit=limit, worker=worker)
    report.claimed = len(rows)
    people = _recipients(session, rows)
    files = outgoing_files(session, {r["attachment_id"] for r in rows if r["attachment_id"]})
    codes = _task_codes(session, rows, public_url)
    # End the read transaction: no lock (SQLite: the write lock) is held while a channel works,
    # so the Telegram bot sharing this event loop can write meanwhile.
    session.commit()
    if not rows:
        return report
    marks = _Marks(session)
    try:
        for index, row in enumerate(rows):
            if clock() - claimed_at >= CLAIM_LEASE - LEASE_MARGIN:
                _give_back(session, [r["id"] for r in rows[index:]], worker)
                break
            person = people.get(row["recipient_id"])
            lost: list[str] = []
            outgoing = _outgoing(row, person, files.get(row["attachment_id"] or 0), public_url,
                                 codes.get(row["task_id"] or 0))
            channel, errors, retry_after, permanent = await _deliver(outgoing, notifiers, lost)
            moment = clock()
            values = _outcome(row, channel, errors, retry_after, permanent, moment, policy, report)
            change = _reachability(person, channel, lost, moment)
            marks.write(row["id"], values, change)
            if person is not None and change is not None:
                person.update(change[1])  # the person's next message in this batch sees it
    finally:
        marks.close()
        _forget(session, rows)
    return report


def _give_back(session: Session, ids: list[int], worker: str) -> None:
    session.connection().execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids), OUTBOX.c.claimed_by == worker)
                    .values(status="pending", claimed_by=None, attempts=OUTBOX.c.attempts - 1))
    session.commit()


def _forget(session: Session, rows: list[dict[str, Any]]) -> None:
    """Expire loaded ORM copies of the rows and people written here behind the ORM's back."""
    outbox_ids = {r["id"] for r in rows}
    people_ids = {r["recipient_id"] for r in rows}
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, OutboxMessage) and obj.id in outbox_ids) or (
                isinstance(obj, Person) and obj.id in people_ids):
            session.expire(obj)


def _outcome(row: dict[str, Any], channel: str | None, errors: list[str], retry_after: float | None,
             permanent: bool, now: datetime, policy: DispatchPolicy,
             report: DispatchReport) -> dict[str, Any]:
    """The columns that record one delivery attempt (and the report's counts)."""
    if channel is not None:
        report.sent += 1
        report.by_channel[channel] = report.by_channel.get(channel, 0) + 1
        return {"status": "sent", "sent_at": now, "channel": channel, "claimed_by": None,
                "last_error": "；".join(errors) or None}
    if permanent or row["attempts"] >= policy.max_attempts:
        report.dead += 1
        return {"status": "dead", "last_error": "；".join(errors), "claimed_by": None}
    delay = backoff(policy, row["attempts"])
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    report.retried += 1
    return {"status": "pending", "next_attempt_at": now + delay, "last_error": "；".join(errors),
            "claimed_by": None}


def _reachability(person: dict[str, Any] | None, channel: str | None, lost: list[str],
                  now: datetime) -> tuple[int, dict[str, Any]] | None:
    """What to record on the person: Telegram cannot reach them, or it can again (or nothing)."""
    if person is None:
        return None
    if lost:
        return person["id"], {"unreachable_at": now, "unreachable_reason": lost[0][:256]}
    if channel == TELEGRAM and person["unreachable_at"] is not None:
        return person["id"], {"unreachable_at": None, "unreachable_reason": None}
    return None


def requeue(*, session: Session, actor: Actor, ids: Sequence[int] | None,
            now: datetime) -> int:
    """Put dead letters (the given ids, or all of them) back in the queue with fresh attempts.

    Only the office (or the operator) may; the requeue is an audit event naming the messages.
    Refuses ids that are not dead letters: a sent message is never queued again.
    """
    require_office(actor, "重新投递死信")
    query = select_models(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DEAD)
    if ids:
        query = query.where(col(OutboxMessage.id).in_([i for i in ids if 0 < i < 2**63]))
    rows = session.exec(query).all()
    if ids:
        missing = sorted(set(ids) - {r.id for r in rows})
        if missing:
            raise PolicyViolation(f"消息 {missing[0]} 不存在或不是死信，不能重新投递")
    for row in rows:
        row.status, row.attempts, row.next_attempt_at, row.last_error = (
            OutboxStatus.PENDING.value, 0, now, None)
        session.add(row)
    if rows:
        audit.record(session, actor=actor, entity="outbox", entity_id=None, action="requeue",
                     now=now, after={"ids": [r.id for r in rows], "count": len(rows)})
    session.commit()
    return len(rows)
