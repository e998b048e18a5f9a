"""The outbox dispatcher: claim, deliver, mark; back-off, dead letters, channel fall-through.

Every moment is passed in as ``now``: nothing here sleeps. The dead-letter commands run the real
CLI in-process against a SQLite file.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from cli.main import run
from config.policy import Policy
from engine.errors import RecipientUnreachable
from engine.escalation.run import run_pass
from engine.outbox import queue as outbox
from engine.outbox.channel import Notifier
from engine.outbox.dispatch import CLAIM_LEASE, DispatchReport, backoff, claim, dispatch_once
from engine.store.db import make_engine
from engine.store.policy import get_policy
from engine.tasks.actions import acknowledge, cancel_task, request_completion, verify_and_close
from models import OutboxMessage, Person
from notifiers.memory import MemoryNotifier
from tests.factories import City, act, at, make_city, make_task, system

T0 = at("2024-03-05", "10:00")


def _queue(session: Session, people: Sequence[Person], n: int, now: datetime = T0,
           prefix: str = "test") -> list[int]:
    """``n`` messages round-robin to ``people``, committed; their ids in order."""
    for i in range(n):
        person = people[i % len(people)]
        outbox.enqueue(session, dedupe_key=f"{prefix}:{i}:p{person.id}", kind="notice",
                       recipient=person, subject=f"通知{i}", body=f"第{i}条通知", now=now)
    session.commit()
    rows = session.exec(select(OutboxMessage).where(
        col(OutboxMessage.dedupe_key).startswith(f"{prefix}:")).order_by(col(OutboxMessage.id))).all()
    return [r.id for r in rows if r.id is not None]


def _dispatch(session: Session, notifiers: Sequence[Notifier], now: datetime,
              limit: int = 200) -> DispatchReport:
    return asyncio.run(dispatch_once(session=session, notifiers=notifiers, now=now, limit=limit))


def _row(session: Session, message_id: int) -> OutboxMessage:
    row = session.get(OutboxMessage, message_id, populate_existing=True)
    assert row is not None
    return row


def _people(city: City) -> list[Person]:
    return [city.fire_contact, city.fire_head, city.housing_contact]


def test_claim_deliver_mark_sent_once(session: Session) -> None:
    city = make_city(session)
    ids = _queue(session, _people(city), 3)
    memory = MemoryNotifier()
    report = _dispatch(session, [memory], T0)
    assert (report.claimed, report.sent, report.retried, report.dead) == (3, 3, 0, 0)
    assert report.by_channel == {"memory": 3}
    for message_id in ids:
        row = _row(session, message_id)
        assert (row.status, row.channel, row.attempts, row.claimed_by) == ("sent", "memory", 1, None)
        assert row.sent_at == T0
    assert set(memory.delivered_ids()) == set(ids)
    assert max(memory.delivered_ids().values()) == 1
    first = memory.sent[0]
    assert first.recipient_name == "张联络" and first.telegram_chat_id == 1001
    # A second pass, even much later, sends nothing again.
    assert _dispatch(session, [memory], T0 + timedelta(days=1)).claimed == 0
    assert len(memory.sent) == 3


def test_messages_not_yet_due_wait(session: Session) -> None:
    city = make_city(session)
    outbox.enqueue(session, dedupe_key="later", kind="notice", recipient=city.fire_contact,
                   body="稍后", now=T0, not_before=T0 + timedelta(hours=1))
    session.commit()
    memory = MemoryNotifier()
    assert _dispatch(session, [memory], T0 + timedelta(minutes=59)).claimed == 0
    assert _dispatch(session, [memory], T0 + timedelta(hours=1)).sent == 1


def test_claim_takes_each_row_once_and_reclaims_after_the_lease(session: Session) -> None:
    city = make_city(session)
    ids = _queue(session, _people(city), 3)
    first = claim(session, now=T0, limit=2, worker="w1")
    second = claim(session, now=T0, limit=2, worker="w2")
    assert first == ids[:2] and second == ids[2:]
    assert claim(session, now=T0 + CLAIM_LEASE, limit=10, worker="w3") == []
    assert {_row(session, i).claimed_by for i in first} == {"w1"}
    # A dispatcher silent for longer than the lease loses its rows to another one.
    later = T0 + CLAIM_LEASE + timedelta(seconds=1)
    assert sorted(claim(session, now=later, limit=10, worker="w3")) == ids
    assert _row(session, ids[0]).attempts == 2


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = Policy().dispatch
    base, cap = policy.backoff_base_seconds, policy.backoff_max_seconds
    delays = [backoff(policy, n).total_seconds() for n in range(1, 12)]
    assert delays[:3] == [base, 2 * base, 4 * base]
    assert delays == [min(base * 2 ** (n - 1), cap) for n in range(1, 12)]
    assert delays[-1] == cap


def test_failing_notifier_messages_wait_then_go_out_exactly_once(session: Session) -> None:
    city = make_city(session)
    ids = _queue(session, _people(city), 3)
    policy = get_policy(session).dispatch
    memory = MemoryNotifier()
    memory.fail_next(6)  # two full passes over the three messages fail
    report = _dispatch(session, [memory], T0)
    assert (report.claimed, report.sent, report.retried) == (3, 0, 3)
    t1 = T0 + backoff(policy, 1)
    assert t1 - T0 == timedelta(seconds=policy.backoff_base_seconds)
    for message_id in ids:
        row = _row(session, message_id)
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, t1)
        assert "模拟的通道故障" in (row.last_error or "") and row.claimed_by is None
    # Before the back-off has passed nothing is claimed: the messages wait.
    assert _dispatch(session, [memory], t1 - timedelta(seconds=1)).claimed == 0
    assert _dispatch(session, [memory], t1).retried == 3
    t2 = t1 + backoff(policy, 2)
    assert t2 - t1 == timedelta(seconds=2 * policy.backoff_base_seconds)
    assert {_row(session, i).next_attempt_at for i in ids} == {t2}
    assert _dispatch(session, [memory], t2 - timedelta(seconds=1)).claimed == 0
    # The channel has recovered: each message goes out once.
    report = _dispatch(session, [memory], t2)
    assert (report.sent, report.retried, report.dead) == (3, 0, 0)
    assert sorted(memory.delivered_ids()) == ids and set(memory.delivered_ids().values()) == {1}
    assert {(_row(session, i).status, _row(session, i).attempts) for i in ids} == {("sent", 3)}
    assert _dispatch(session, [memory], t2 + timedelta(hours=2)).claimed == 0
    assert memory.attempts == 9 and len(memory.sent) == 3


def test_rate_limited_waits_at_least_retry_after(session: Session) -> None:
    city = make_city(session)
    long_id, short_id = _queue(session, [city.fire_contact], 2)
    policy = get_policy(session).dispatch
    memory = MemoryNotifier()
    memory.rate_limit_next(1, 600.0)
    _dispatch(session, [memory], T0, limit=1)
    row = _row(session, long_id)
    assert row.status == "pending" and row.next_attempt_at == T0 + timedelta(seconds=600)
    assert "600" in (row.last_error or "")
    # A shorter retry_after than the back-off: the back-off wins (never earlier than either).
    memory.rate_limit_next(1, 5.0)
    _dispatch(session, [memory], T0, limit=1)
    assert _row(session, short_id).next_attempt_at == T0 + backoff(policy, 1)
    assert _dispatch(session, [memory], T0 + timedelta(seconds=599)).sent == 1
    assert _dispatch(session, [memory], T0 + timedelta(seconds=600)).sent == 1


def test_recipient_unreachable_is_dead_at_once_with_the_reason(session: Session) -> None:
    city = make_city(session)
    ids = _queue(session, [city.fire_contact, city.housing_contact], 2)
    memory = MemoryNotifier()
    memory.unreachable = {city.fire_contact.id or 0}
    report = _dispatch(session, [memory], T0)
    assert (report.sent, report.dead, report.retried) == (1, 1, 0)
    dead = _row(session, ids[0])
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert dead.last_error == "memory: 张联络 无法接收消息"
    assert _row(session, ids[1]).status == "sent"


def test_channels_are_tried_in_order_and_errors_recorded(session: Session) -> None:
    city = make_city(session)
    unreachable_first, transient_first, both_down, all_unreachable = _queue(
        session, [city.fire_contact, city.housing_contact, city.emerg_contact, city.fire_head], 4)
    first, second = MemoryNotifier("first"), MemoryNotifier("second")
    first.unreachable = {city.fire_contact.id or 0, city.fire_head.id or 0}
    second.unreachable = {city.emerg_contact.id or 0, city.fire_head.id or 0}
    first.fail_next(2)  # the housing and emergency messages meet a transient failure first
    report = _dispatch(session, [first, second], T0)
    assert report.by_channel == {"second": 2}
    row = _row(session, unreachable_first)
    assert (row.status, row.channel) == ("sent", "second")
    assert row.last_error == "first: 张联络 无法接收消息"
    row = _row(session, transient_first)
    assert (row.status, row.channel, row.last_error) == ("sent", "second", "first: 模拟的通道故障")
    # One channel transient, the other unreachable: not permanent, so it is retried.
    row = _row(session, both_down)
    assert row.status == "pending" and row.attempts == 1
    assert (row.last_error or "").split("；") == ["first: 模拟的通道故障", "second: 孙应急 无法接收消息"]
    # Unreachable on every channel: dead at once, every reason kept.
    row = _row(session, all_unreachable)
    assert row.status == "dead"
    assert (row.last_error or "").split("；") == ["first: 陈支队 无法接收消息", "second: 陈支队 无法接收消息"]
    # A channel that delivers stops the fall-through: the second channel is not tried.
    before = second.attempts
    assert _dispatch(session, [first, second], T0 + timedelta(hours=1)).by_channel == {"first": 1}
    assert second.attempts == before


def test_no_channel_accepts_the_recipient_is_dead(session: Session) -> None:
    city = make_city(session)
    (message_id,) = _queue(session, [city.office], 1)

    class Nobody(MemoryNotifier):
        def accepts(self, message: object) -> bool:
            return False

    _dispatch(session, [Nobody()], T0)
    row = _row(session, message_id)
    assert (row.status, row.last_error) == ("dead", "收件人没有可用的通知渠道")


def test_always_failing_ends_dead_visible_and_requeueable(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/dead.db"
    assert run(["--db", url, "init", "--simulation"]) == 0
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        city = make_city(session)
        ids = _queue(session, [city.fire_contact, city.housing_contact], 2)
        policy = get_policy(session).dispatch
        memory = MemoryNotifier()
        memory.fail_always = True
        now = T0
        for attempt in range(1, policy.max_attempts + 1):
            report = _dispatch(session, [memory], now)
            assert report.claimed == 2
            rows = [_row(session, i) for i in ids]
            assert {r.attempts for r in rows} == {attempt}
            if attempt < policy.max_attempts:
                assert report.retried == 2
                assert {r.next_attempt_at for r in rows} == {now + backoff(policy, attempt)}
                now += backoff(policy, attempt)
        assert report.dead == 2 and {r.status for r in rows} == {"dead"}
        assert memory.attempts == 2 * policy.max_attempts
        assert _dispatch(session, [memory], now + timedelta(days=30)).claimed == 0
        session.commit()  # release SQLite's write lock before the CLI opens the file
    capsys.readouterr()

    assert run(["--db", url, "outbox", "list", "--status", "dead", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["stats"]["dead"] == 2
    assert sorted(m["id"] for m in listed["messages"]) == ids
    assert all(m["status"] == "dead" and "模拟的通道故障" in m["last_error"] and
               m["attempts"] == policy.max_attempts for m in listed["messages"])

    assert run(["--db", url, "outbox", "retry", str(ids[0]), "--now", "2024-03-10T09:00",
                "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"requeued": 1}
    assert run(["--db", url, "outbox", "retry", "--dead", "--now", "2024-03-10T09:00",
                "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"requeued": 1}
    with Session(engine, expire_on_commit=False) as session:
        rows = [_row(session, i) for i in ids]
        assert {(r.status, r.attempts, r.last_error) for r in rows} == {("pending", 0, None)}
        assert {r.next_attempt_at for r in rows} == {at("2024-03-10", "09:00")}
        healthy = MemoryNotifier()
        assert _dispatch(session, [healthy], at("2024-03-10", "09:00")).sent == 2
        session.commit()
    capsys.readouterr()

    # A sent message is never queued again.
    assert run(["--db", url, "outbox", "retry", str(ids[0])]) == 1
    assert "不是死信" in capsys.readouterr().err
    assert run(["--db", url, "outbox", "retry"]) == 1
    assert "请指定死信 ID" in capsys.readouterr().err
    assert run(["--db", url, "outbox", "list", "--status", "lost"]) == 1
    engine.dispose()


@pytest.mark.parametrize("ending", ["close", "cancel"])
def test_ending_a_task_cancels_its_pending_reminders(session: Session, ending: str) -> None:
    city = make_city(session)
    task = make_task(session, city, due="3月15日前")
    other = make_task(session, city, due="3月15日前", lead="HOUSING", co=[], title="燃气管道排查")
    memory = MemoryNotifier()
    _dispatch(session, [memory], at("2024-03-04", "10:00"))  # the assignment notices
    assigned = len(memory.sent)
    # 23:30 falls in the quiet hours: the day-before reminders are held until 07:00.
    created = run_pass(session=session, actor=system(), now=at("2024-03-14", "23:30"))
    assert {p.kind for p in created} >= {"reminder"}
    held = session.exec(select(OutboxMessage).where(OutboxMessage.status == "pending")).all()
    assert {r.task_id for r in held} == {task.id, other.id}
    if ending == "close":
        acknowledge(session=session, task=task.code, actor=act(city.fire_contact),
                    now=at("2024-03-14", "23:35"))
        request_completion(session=session, task=task.code, actor=act(city.fire_head),
                           evidence="整改台账", now=at("2024-03-14", "23:36"))
        verify_and_close(session=session, task=task.code, actor=act(city.office), rating="合格",
                         now=at("2024-03-14", "23:40"))
    else:
        cancel_task(session=session, task=task.code, actor=act(city.office), reason="已并入其他事项",
                    now=at("2024-03-14", "23:40"))
    ours = [r for r in held if r.task_id == task.id]
    assert ours and {_row(session, r.id or 0).status for r in ours} == {"cancelled"}
    assert all("事项已结束" in (_row(session, r.id or 0).last_error or "") for r in ours)
    report = _dispatch(session, [memory], at("2024-03-15", "08:00"))
    later = memory.sent[assigned:]
    assert not {m.message_id for m in later} & {r.id for r in ours}
    assert {m.kind for m in later if m.message_id in {r.id for r in held}} == {"reminder", "stale"}
    # What still goes out about the ended task is the close-out itself, never a reminder.
    assert {m.kind for m in later if m.message_id not in {r.id for r in held}} <= {"review", "closed"}
    assert report.sent == len(later) and report.dead == 0


def test_the_file_channel_records_each_delivered_id(session: Session, tmp_path: Path) -> None:
    from config.settings import Settings
    from engine.errors import InvalidInput
    from notifiers.registry import build_notifiers

    with pytest.raises(InvalidInput, match="DUBAN_FILE_CHANNEL_PATH"):
        build_notifiers(Settings(notifiers=["file"]))
    path = tmp_path / "delivered.txt"
    (channel,) = build_notifiers(Settings(notifiers=["file"], file_channel_path=path))
    city = make_city(session)
    ids = _queue(session, _people(city), 3)
    assert _dispatch(session, [channel], T0).by_channel == {"file": 3}
    assert [int(line) for line in path.read_text().split()] == ids
    # A path that cannot be written is a transient failure: the message waits and is retried.
    (broken,) = build_notifiers(Settings(notifiers=["file"], file_channel_path=tmp_path))
    (later,) = _queue(session, [city.fire_contact], 1, prefix="broken")
    report = _dispatch(session, [broken], T0)
    assert report.retried == 1 and "写入文件" in (_row(session, later).last_error or "")


def test_a_batch_nearing_its_lease_gives_the_rest_back_unsent(session: Session) -> None:
    """Past CLAIM_LEASE another dispatcher may take a claimed row over: a batch that has run
    that long stops before then and returns its unsent rows, attempts unchanged."""
    city = make_city(session)
    ids = _queue(session, _people(city), 5)
    memory = MemoryNotifier()
    moments = iter([T0, T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=1),
                    *[T0 + CLAIM_LEASE] * 20])
    report = asyncio.run(dispatch_once(session=session, notifiers=[memory], now=lambda: next(moments)))
    assert (report.claimed, report.sent) == (5, 2)
    assert [m.message_id for m in memory.sent] == ids[:2]
    for message_id in ids[2:]:
        row = _row(session, message_id)
        assert (row.status, row.attempts, row.claimed_by) == ("pending", 0, None)
    # The next batch sends exactly the rest.
    assert _dispatch(session, [memory], T0 + CLAIM_LEASE).sent == 3
    assert sorted(memory.delivered_ids()) == sorted(ids) and max(memory.delivered_ids().values()) == 1


def test_orm_copies_loaded_before_a_batch_show_its_outcome(session: Session) -> None:
    city = make_city(session)
    ids = _queue(session, _people(city), 2)
    loaded = session.get(OutboxMessage, ids[0])
    assert loaded is not None and loaded.status == "pending"
    _dispatch(session, [MemoryNotifier()], T0)
    assert (loaded.status, loaded.attempts) == ("sent", 1)


def test_postgresql_marks_leave_no_connection_with_asynchronous_commit(pg_engine: object) -> None:
    from sqlalchemy.engine import Engine

    assert isinstance(pg_engine, Engine)
    with Session(pg_engine, expire_on_commit=False) as pg_session:
        city = make_city(pg_session)
        _queue(pg_session, _people(city), 3)
        assert _dispatch(pg_session, [MemoryNotifier()], T0).sent == 3
    # Every pooled connection (the batch's marks connection included) is back to the default.
    connections = [pg_engine.connect() for _ in range(3)]
    try:
        for connection in connections:
            assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    finally:
        for connection in connections:
            connection.close()


class _BlockedOnce:
    """A Telegram channel whose first send finds the bot blocked and whose later sends succeed
    (the unit unblocked it while the batch ran)."""

    name = "telegram"

    def __init__(self) -> None:
        self.sends = 0

    def accepts(self, message: object) -> bool:
        return True

    async def send(self, message: object) -> str | None:
        self.sends += 1
        if self.sends == 1:
            raise RecipientUnreachable("用户已屏蔽机器人")
        return None


def test_reachability_follows_each_message_of_a_batch(session: Session) -> None:
    city = make_city(session)
    _queue(session, [city.fire_contact], 2)
    report = _dispatch(session, [_BlockedOnce()], T0)
    assert (report.dead, report.sent) == (1, 1)
    person = session.get(Person, city.fire_contact.id, populate_existing=True)
    # Marked unreachable by the first message, then cleared by the second, in one batch.
    assert person is not None and person.unreachable_at is None and person.unreachable_reason is None
