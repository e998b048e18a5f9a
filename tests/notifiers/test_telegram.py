"""The Telegram channel against the Bot API stub: content, pacing, flood control, faults."""

from __future__ import annotations

import asyncio
import inspect
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest
import telegram.error as tg_error
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from engine.errors import (
    DeliveryError,
    RateLimited,
    RecipientUnreachable,
    TransientDeliveryError,
)
from engine.org.binding import create_invite
from engine.outbox.channel import Outgoing
from engine.outbox.dispatch import dispatch_once
from engine.outbox.queue import enqueue
from models import OutboxMessage, Person
from notifiers.telegram import MessageRejected, TelegramNotifier, translate
from notifiers.throttle import PaceLimits, Throttle
from tests.factories import ISSUED, make_city, make_task, operator
from tests.support.botapi_stub import BotApiStub, RateLimits

from .fakes import FakeTime, outgoing

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
TOKEN = "123:ABC"
BUTTONS = (("签收", "ack:DB-2024-0001"), ("反馈进展", "progress:DB-2024-0001"),
           ("申请延期", "extend:DB-2024-0001"))


@pytest.fixture
def stub() -> Iterator[BotApiStub]:
    with BotApiStub(token=TOKEN, rate_limits=RateLimits.off()) as s:
        yield s


def notifier_for(stub: BotApiStub, clock: FakeTime | None = None,
                 limits: PaceLimits | None = None, max_wait: float = 30.0,
                 read_timeout: float = 10.0) -> TelegramNotifier:
    throttle = (Throttle(limits, clock=clock, sleep=clock.sleep, max_wait=max_wait) if clock
                else Throttle(limits or PaceLimits.off()))
    return TelegramNotifier(token=TOKEN, base_url=stub.base_url, throttle=throttle,
                            read_timeout=read_timeout)


async def _send_all(notifier: TelegramNotifier, messages: Sequence[Outgoing]) -> list[str | None]:
    try:
        return [await notifier.send(m) for m in messages]
    finally:
        await notifier.shutdown()


def test_push_is_html_chinese_with_buttons(stub: BotApiStub) -> None:
    html = "<b>【督办交办】</b>\n<b>事项</b>：DB-2024-0001 九小场所隐患排查 &amp; 整改"
    ids = asyncio.run(_send_all(notifier_for(stub), [outgoing(html=html, actions=BUTTONS)]))
    (sent,) = stub.sent
    assert ids == [str(sent.message_id)]
    assert sent.chat_id == 42 and sent.parse_mode == "HTML" and sent.text == html
    assert sent.reply_markup == {"inline_keyboard": [[
        {"text": "签收", "callback_data": "ack:DB-2024-0001"},
        {"text": "反馈进展", "callback_data": "progress:DB-2024-0001"},
        {"text": "申请延期", "callback_data": "extend:DB-2024-0001"}]]}


def test_plain_text_is_escaped_and_long_text_cut(stub: BotApiStub) -> None:
    long = "督" * 5000
    asyncio.run(_send_all(notifier_for(stub), [outgoing(text="进度 <50% & 未签收>"),
                                               outgoing(text=long)]))
    first, second = stub.sent
    assert first.text == "进度 &lt;50% &amp; 未签收&gt;" and first.reply_markup is None
    assert len(second.text) <= 4096 and second.text.endswith("已截断，详见调度报告或 duban 命令行）")


def test_one_notifier_serves_several_event_loops(stub: BotApiStub) -> None:
    notifier = notifier_for(stub)
    asyncio.run(notifier.send(outgoing(1)))
    asyncio.run(notifier.send(outgoing(2)))  # a new loop: a new Bot, nothing stale reused
    asyncio.run(notifier.shutdown())
    assert [m.chat_id for m in stub.sent] == [1, 2]
    assert stub.stats()["methods"]["getMe"] == 2


def test_pacing_stays_under_every_limit_at_over_90_percent_of_the_ceiling() -> None:
    clock = FakeTime()
    with BotApiStub(token=TOKEN, clock=clock) as stub:  # the stub enforces the real limits
        notifier = notifier_for(stub, clock, PaceLimits(), max_wait=120)
        private = [outgoing(1000 + i) for i in range(90)]
        same_chat = [outgoing(77, text=f"第{i}条") for i in range(3)]
        group = [outgoing(-100123, text=f"群消息{i}") for i in range(22)]
        start = clock()
        asyncio.run(_send_all(notifier, private))
        rate = (len(private) - 1) / (clock() - start)
        asyncio.run(_send_all(notifier, same_chat + group))
        assert stub.rate_limit_hits == 0 and len(stub.sent) == 115
    assert rate >= 27.0
    at = [m.at for m in stub.messages_to(77)]
    assert all(b - a >= 1.0 for a, b in zip(at, at[1:], strict=False))
    group_at = [m.at for m in stub.messages_to(-100123)]
    assert group_at[20] - group_at[0] >= 60.0  # never 21 in a minute


def test_concurrent_senders_never_overshoot_a_limit() -> None:
    clock = FakeTime()
    throttle = Throttle(PaceLimits(), clock=clock, sleep=clock.sleep, max_wait=120)
    chats = [77] * 3 + [-5] * 22 + list(range(1, 70))

    async def send(chat: int) -> float:
        ticket = await throttle.acquire(chat)
        await asyncio.sleep(0)  # other senders decide while this one is "in flight"
        throttle.release(ticket)
        return ticket.started

    async def everyone() -> list[float]:
        return list(await asyncio.gather(*(send(c) for c in chats)))

    starts = asyncio.run(everyone())
    by_chat: dict[int, list[float]] = {}
    for chat, start in zip(chats, starts, strict=True):
        by_chat.setdefault(chat, []).append(start)
    ordered = sorted(starts)
    assert all(b - a > 1.0 for a, b in zip(ordered, ordered[30:], strict=False))  # ≤ 30 a second
    assert all(b - a >= 1.0 for a, b in zip(by_chat[77], by_chat[77][1:], strict=False))
    group = sorted(by_chat[-5])
    assert all(b - a > 60.0 for a, b in zip(group, group[20:], strict=False))  # ≤ 20 a minute
    assert max(by_chat[69]) - min(starts) < 5.0  # a busy group does not hold up other chats


def test_retry_after_is_honoured_then_sent() -> None:
    clock = FakeTime()
    with BotApiStub(token=TOKEN, clock=clock) as stub:
        notifier = notifier_for(stub, clock, PaceLimits.off())  # let the stub refuse us
        asyncio.run(_send_all(notifier, [outgoing(5, text="一"), outgoing(5, text="二")]))
        assert stub.rate_limit_hits == 1 and stub.retry_after_violations == 0
        first, second = stub.messages_to(5)
    assert notifier.rate_limited == 1 and notifier.throttle.penalties == 1
    assert second.at - first.at >= 1.0


def test_long_retry_after_goes_back_to_the_dispatcher() -> None:
    clock = FakeTime()
    with BotApiStub(token=TOKEN, clock=clock) as stub:
        notifier = notifier_for(stub, clock, PaceLimits.off())
        with pytest.raises(RateLimited) as caught:
            asyncio.run(_send_all(notifier, [outgoing(-42, text=f"群{i}") for i in range(21)]))
        assert stub.retry_after_violations == 0
    assert caught.value.retry_after > 30


def test_blocked_and_missing_chats_are_unreachable(stub: BotApiStub) -> None:
    stub.block_chat(7)
    stub.chat_not_found(8)
    notifier = notifier_for(stub)
    for chat in (7, 8):
        with pytest.raises(RecipientUnreachable) as caught:
            asyncio.run(_send_all(notifier, [outgoing(chat)]))
        assert not isinstance(caught.value, MessageRejected)
    with pytest.raises(MessageRejected):
        asyncio.run(_send_all(notifier, [outgoing(9, html="<blink>未闭合")]))


def test_a_rejected_token_is_transient_and_named(stub: BotApiStub) -> None:
    notifier = TelegramNotifier(token="999:WRONG", base_url=stub.base_url,
                                throttle=Throttle(PaceLimits.off()))
    with pytest.raises(TransientDeliveryError, match="DUBAN_TELEGRAM_TOKEN"):
        asyncio.run(_send_all(notifier, [outgoing()]))
    assert stub.sent == []


def test_time_out_is_transient(stub: BotApiStub) -> None:
    stub.timeout_next(1, delay=2.0, deliver=False)
    notifier = notifier_for(stub, read_timeout=0.2)
    with pytest.raises(TransientDeliveryError, match="超时"):
        asyncio.run(_send_all(notifier, [outgoing()]))


with warnings.catch_warnings():  # PTB 22 warns when a RetryAfter is built with an int
    warnings.simplefilter("ignore")
    TABLE: list[tuple[tg_error.TelegramError, type[DeliveryError]]] = [
        (tg_error.RetryAfter(3), RateLimited),
        (tg_error.RetryAfter(timedelta(seconds=4)), RateLimited),
        (tg_error.Forbidden("Forbidden: bot was blocked by the user"), RecipientUnreachable),
        (tg_error.ChatMigrated(-1001), RecipientUnreachable),
        (tg_error.BadRequest("Bad Request: chat not found"), RecipientUnreachable),
        (tg_error.BadRequest("Bad Request: can't parse entities"), MessageRejected),
        (tg_error.TimedOut(), TransientDeliveryError),
        (tg_error.NetworkError("Internal Server Error (500)"), TransientDeliveryError),
        (tg_error.InvalidToken(), TransientDeliveryError),
        (tg_error.EndPointNotFound("Not Found"), TransientDeliveryError),
        (tg_error.Conflict("terminated by other getUpdates request"), TransientDeliveryError),
        (tg_error.PassportDecryptionError("bad"), TransientDeliveryError),
        (tg_error.TelegramError("odd"), TransientDeliveryError),
    ]


@pytest.mark.parametrize(("error", "expected"), TABLE, ids=lambda v: type(v).__name__)
def test_each_telegram_error_is_mapped(error: tg_error.TelegramError,
                                       expected: type[DeliveryError]) -> None:
    mapped = translate(error)
    assert type(mapped) is expected and str(mapped)
    if isinstance(error, tg_error.RetryAfter):
        assert isinstance(mapped, RateLimited) and mapped.retry_after in (3, 4)


def test_the_table_covers_every_ptb_error_class() -> None:
    every = {cls for _, cls in inspect.getmembers(tg_error, inspect.isclass)
             if issubclass(cls, tg_error.TelegramError)}
    assert every <= {type(error) for error, _ in TABLE}


# ---------------------------------------------------------------- through the dispatcher


def _dispatch(session: Session, notifier: TelegramNotifier, when: object) -> None:
    async def run() -> None:
        try:
            await dispatch_once(session=session, notifiers=[notifier], now=when)  # type: ignore[arg-type]
        finally:
            await notifier.shutdown()
    asyncio.run(run())


def test_5xx_is_retried_and_the_message_sent_once(session: Session, stub: BotApiStub) -> None:
    city = make_city(session)
    make_task(session, city)
    stub.fail_next(1, status=500)
    notifier = notifier_for(stub)
    _dispatch(session, notifier, ISSUED + timedelta(minutes=2))
    waiting = session.exec(select(OutboxMessage).where(OutboxMessage.status == "pending")).all()
    assert len(waiting) == 1 and "网络故障" in (waiting[0].last_error or "")
    _dispatch(session, notifier, ISSUED + timedelta(hours=2))
    rows = session.exec(select(OutboxMessage)).all()
    assert {r.status for r in rows} == {"sent"}
    assert Counter(m.chat_id for m in stub.sent) == {1001: 1, 1002: 1, 2001: 1}
    assert stub.duplicates() == []


def test_blocked_bot_is_recorded_on_the_person(session: Session, stub: BotApiStub) -> None:
    city = make_city(session)
    make_task(session, city)
    stub.block_chat(1001)
    _dispatch(session, notifier_for(stub), ISSUED + timedelta(minutes=2))
    dead = session.exec(select(OutboxMessage).where(OutboxMessage.status == "dead")).one()
    assert dead.recipient_id == city.fire_contact.id and "屏蔽" in (dead.last_error or "")
    session.expire_all()
    person = session.get(Person, city.fire_contact.id)
    assert person is not None and person.unreachable_at is not None
    assert "屏蔽" in (person.unreachable_reason or "")
    others = session.exec(select(Person).where(col(Person.unreachable_at).is_not(None))).all()
    assert [p.id for p in others] == [city.fire_contact.id]
    stub.unblock_chat(1001)  # the unit unblocks the bot: the next message clears the mark
    enqueue(session, dedupe_key="again", kind="reminder", recipient=person, body="再次提醒",
            now=ISSUED + timedelta(hours=1))
    session.commit()
    _dispatch(session, notifier_for(stub), ISSUED + timedelta(hours=1))
    session.expire_all()
    assert session.get(Person, city.fire_contact.id).unreachable_at is None  # type: ignore[union-attr]


class WritesWhileSending:
    """A channel that, mid-send, writes through its own session — as the bot does when it
    shares the dispatcher's event loop. It fails if the dispatcher holds a transaction."""

    name = "writer"

    def __init__(self, engine: Engine, person: Person) -> None:
        self.engine, self.person, self.codes = engine, person, 0

    def accepts(self, message: Outgoing) -> bool:
        return True

    async def send(self, message: Outgoing) -> str | None:
        with Session(self.engine, expire_on_commit=False) as other:
            create_invite(session=other, person=self.person, now=ISSUED, actor=operator())
        self.codes += 1
        return None


def test_no_transaction_is_held_while_a_channel_sends(session: Session, engine: Engine) -> None:
    city = make_city(session)
    make_task(session, city)
    session.commit()
    channel = WritesWhileSending(engine, city.office)
    report = asyncio.run(dispatch_once(session=session, notifiers=[channel],
                                       now=ISSUED + timedelta(minutes=2)))
    assert report.sent == 3 and channel.codes == 3
