"""Tests of the Bot API stub, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import json
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
)
from telegram.request import HTTPXRequest

from .botapi_stub import BotApiStub, RateLimits, SentMessage

TOKEN = "123:ABC"

# PTB 22 emits PTBDeprecationWarning whenever a RetryAfter is constructed (int -> timedelta
# migration) unless PTB_TIMEDELTA=true is set.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def stub() -> Iterator[BotApiStub]:
    with BotApiStub(token=TOKEN) as s:
        yield s


def retry_after_seconds(exc: RetryAfter) -> float:
    """PTB 22 warns on ``retry_after`` access unless PTB_TIMEDELTA is set; accept both forms."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)


def make_bot(stub: BotApiStub, **request_kwargs: Any) -> Bot:
    request = HTTPXRequest(**request_kwargs) if request_kwargs else None
    return Bot(TOKEN, base_url=stub.base_url, request=request)


def raw_post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


# ------------------------------------------------------------------------------ basics


def test_get_me_and_urls(stub: BotApiStub) -> None:
    assert stub.base_url == f"http://127.0.0.1:{stub.port}/bot"
    assert stub.url == f"http://127.0.0.1:{stub.port}"

    async def main() -> None:
        async with make_bot(stub) as bot:  # initialize() itself calls getMe
            me = await bot.get_me()
            assert me.id == 123 and me.is_bot and me.username == "duban_test_bot"
            assert bot.username == "duban_test_bot"

    asyncio.run(main())
    assert stub.stats()["methods"]["getMe"] >= 1


def test_wrong_token_and_unknown_method(stub: BotApiStub) -> None:
    async def main() -> None:
        with pytest.raises(InvalidToken):  # initialize() calls getMe -> 401
            async with Bot("999:WRONG", base_url=stub.base_url):
                pass
        async with make_bot(stub) as bot:
            # 404 is InvalidToken in BaseRequest; do_api_request on an initialized bot
            # turns it into EndPointNotFound
            with pytest.raises(EndPointNotFound):
                await bot.do_api_request("fooBar")

    asyncio.run(main())
    code, body = raw_post(f"{stub.base_url}999:WRONG/getMe", {})
    assert (code, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    code, body = raw_post(f"{stub.api_url}/fooBar", {})
    assert (code, body) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )
    # JSON bodies and case-insensitive method names work too (raw clients, curl)
    code, body = raw_post(f"{stub.api_url}/sendmessage", {"chat_id": 7, "text": "json body"})
    assert code == 200 and body["result"]["text"] == "json body"
    assert stub.sent[-1].chat_id == 7


def test_send_message_html_chinese_keyboard_intact(stub: BotApiStub) -> None:
    text = "<b>督办提醒</b>：请于 <i>周五</i> 前反馈 &lt;进度&gt; ✅"
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("已完成", callback_data="done:42")],
            [
                InlineKeyboardButton("申请延期", callback_data="delay:42"),
                InlineKeyboardButton("详情", url="https://example.invalid/t/42"),
            ],
        ]
    )

    async def main() -> None:
        async with make_bot(stub) as bot:
            msg = await bot.send_message(
                chat_id=1001, text=text, parse_mode=ParseMode.HTML, reply_markup=keyboard
            )
            # Like Telegram, the returned Message carries the parsed plain text
            assert msg.text == "督办提醒：请于 周五 前反馈 <进度> ✅"
            assert msg.chat.id == 1001 and msg.chat.type == "private"
            assert msg.reply_markup == keyboard

    asyncio.run(main())
    [sent] = stub.messages_to(1001)
    assert isinstance(sent, SentMessage)
    assert sent.text == text  # exactly what the client sent
    assert sent.parse_mode == "HTML"
    assert sent.reply_markup == keyboard.to_dict()
    assert sent.reply_markup["inline_keyboard"][0][0] == {
        "text": "已完成",
        "callback_data": "done:42",
    }
    assert stub.wait_for(lambda m: "督办" in m.text, timeout=0.1) == sent


def test_content_validation_like_telegram(stub: BotApiStub) -> None:
    async def main() -> None:
        async with make_bot(stub) as bot:
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.send_message(1, "a < b", parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match="(?i)unsupported start tag"):
                await bot.send_message(2, "<div>x</div>", parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match="(?i)too long"):
                await bot.send_message(3, "长" * 4097)
            with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
                await bot.send_message(
                    4,
                    "x",
                    reply_markup=InlineKeyboardMarkup(
                        [[InlineKeyboardButton("b", callback_data="数" * 22)]]  # 66 bytes
                    ),
                )
            await bot.send_message(5, "长" * 4096)  # exactly at the limit is fine

    asyncio.run(main())
    assert [m.chat_id for m in stub.sent] == [5]


def test_send_document_recorded(stub: BotApiStub) -> None:
    async def main() -> None:
        async with make_bot(stub) as bot:
            msg = await bot.send_document(
                77, io.BytesIO(b"PK\x03\x04xlsx"), filename="督办周报.xlsx", caption="周报"
            )
            assert msg.document is not None and msg.document.file_name == "督办周报.xlsx"

    asyncio.run(main())
    [doc] = stub.documents
    assert (doc.chat_id, doc.filename, doc.content, doc.caption) == (
        77,
        "督办周报.xlsx",
        b"PK\x03\x04xlsx",
        "周报",
    )
    assert stub.stats()["documents"] == 1


def test_commands_webhook_close(stub: BotApiStub) -> None:
    async def main() -> None:
        async with make_bot(stub) as bot:
            assert await bot.set_my_commands([("start", "开始"), ("todo", "我的待办")])
            cmds = await bot.get_my_commands()
            assert [(c.command, c.description) for c in cmds] == [
                ("start", "开始"),
                ("todo", "我的待办"),
            ]
            assert await bot.delete_webhook(drop_pending_updates=True)
            info = await bot.get_webhook_info()
            assert info.url == "" and info.pending_update_count == 0
            assert await bot.close()
            assert await bot.log_out()

    asyncio.run(main())
    assert [c["command"] for c in stub.commands] == ["start", "todo"]


# ------------------------------------------------------------------------------ updates


def test_get_updates_offset_and_long_poll() -> None:
    with BotApiStub(token=TOKEN, long_poll_cap=0.3) as stub:

        async def main() -> None:
            async with make_bot(stub) as bot:
                stub.push_message(5, "hello")
                stub.push_message(5, "/todo 今天", username="zhang")
                updates = await bot.get_updates(timeout=0)
                assert [u.message.text for u in updates if u.message] == ["hello", "/todo 今天"]
                assert updates[1].update_id == updates[0].update_id + 1
                cmd = updates[1].message
                assert cmd is not None and cmd.from_user is not None
                assert cmd.from_user.username == "zhang"
                assert cmd.parse_entities() and (cmd.text or "").split()[0] == "/todo"
                # offset confirms older updates
                assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == (
                    updates[1],
                )
                t0 = time.monotonic()
                assert await bot.get_updates(offset=updates[1].update_id + 1, timeout=5) == ()
                assert 0.25 <= time.monotonic() - t0 < 1.5  # capped by long_poll_cap
                assert stub.pending_updates == 0
                # long poll returns as soon as an update is queued
                threading.Timer(0.1, stub.push_message, args=(5, "late")).start()
                t0 = time.monotonic()
                late = await bot.get_updates(offset=updates[1].update_id + 1, timeout=5)
                assert [u.message.text for u in late if u.message] == ["late"]
                assert time.monotonic() - t0 < 0.29

        asyncio.run(main())


def test_application_polling_command_and_callback(stub: BotApiStub) -> None:
    errors: list[object] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            "<b>新督办事项</b>：请确认",
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("确认收到", callback_data="ack:1")]]
            ),
        )

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("已确认")
        await query.edit_message_text(f"已确认 ({query.data})")

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    async def main() -> None:
        app = ApplicationBuilder().token(TOKEN).base_url(stub.base_url).build()
        app.add_handler(CommandHandler("start", start))
        app.add_handler(CallbackQueryHandler(on_button, pattern=r"^ack:"))
        app.add_error_handler(on_error)
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            stub.push_message(555, "/start", username="li")
            reply = await stub.wait_for_async(lambda m: m.chat_id == 555, timeout=5)
            assert reply.text == "<b>新督办事项</b>：请确认"
            assert reply.reply_markup is not None
            stub.push_callback(555, "ack:1")  # presses the button on that reply
            await stub.wait_until_async(lambda s: len(s.edits) == 1, timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()

    asyncio.run(main())
    assert errors == []
    [answer] = stub.callback_answers
    assert answer.text == "已确认"
    [edit] = stub.edits
    assert (edit.chat_id, edit.text, edit.reply_markup) == (555, "已确认 (ack:1)", None)
    current = stub.get_message(edit.message_id)
    assert current is not None and current.text == "已确认 (ack:1)"
    assert current.reply_markup is None  # editMessageText without markup drops the keyboard
    methods = stub.stats()["methods"]
    assert methods["deleteWebhook"] == 1 and methods["getUpdates"] >= 2
    assert stub.pending_updates == 0  # all confirmed by the final offset call
    assert stub.rate_limit_hits == 0


# ------------------------------------------------------------------------------ rate limits


def test_per_chat_rate_limit_and_retry_after_violation() -> None:
    clock = FakeClock()
    with BotApiStub(token=TOKEN, clock=clock) as stub:

        async def main() -> None:
            async with make_bot(stub) as bot:
                await bot.send_message(10, "一")
                await bot.send_message(11, "other chat is fine")
                clock.advance(0.4)
                with pytest.raises(RetryAfter) as info:
                    await bot.send_message(10, "二")
                assert retry_after_seconds(info.value) == 1
                assert stub.rate_limit_hits == 1 and stub.retry_after_violations == 0
                clock.advance(0.5)  # still within retry_after -> a client ignoring it
                with pytest.raises(RetryAfter):
                    await bot.send_message(10, "二")
                assert stub.retry_after_violations == 1
                clock.advance(0.5)  # retry_after elapsed
                await bot.send_message(10, "二")

        asyncio.run(main())
        assert [m.text for m in stub.messages_to(10)] == ["一", "二"]
        stats = stub.stats()
        assert (stats["sent"], stats["rate_limit_hits"], stats["retry_after_violations"]) == (
            3,
            2,
            1,
        )


def test_concurrent_burst_global_limit_no_false_violations() -> None:
    clock = FakeClock()  # frozen: all 50 requests fall into the same 1 s window
    with BotApiStub(token=TOKEN, clock=clock) as stub:

        async def main() -> list[object]:
            async with make_bot(stub) as bot:
                return await asyncio.gather(
                    *(bot.send_message(chat, f"广播 {chat}") for chat in range(1, 51)),
                    return_exceptions=True,
                )

        results = asyncio.run(main())
        refused = [r for r in results if isinstance(r, RetryAfter)]
        assert len(refused) == 20 and len(stub.sent) == 30
        assert len({m.message_id for m in stub.sent}) == 30
        assert stub.rate_limit_hits == 20
        assert stub.retry_after_violations == 0  # in flight, not the client's fault


def test_broadcast_ignoring_global_retry_after_is_caught() -> None:
    clock = FakeClock()
    limits = RateLimits(global_per_second=3)
    with BotApiStub(token=TOKEN, clock=clock, rate_limits=limits) as stub:

        async def main() -> None:
            async with make_bot(stub) as bot:
                for chat in (1, 2, 3):
                    await bot.send_message(chat, "x")
                with pytest.raises(RetryAfter):
                    await bot.send_message(4, "x")
                clock.advance(0.1)  # keeps going with other chats, ignoring retry_after
                with pytest.raises(RetryAfter):
                    await bot.send_message(5, "x")
                clock.advance(0.9)  # retry_after (1 s) elapsed
                await bot.send_message(5, "x")

        asyncio.run(main())
        assert stub.rate_limit_hits == 2 and stub.retry_after_violations == 1


def test_429_body_shape() -> None:
    clock = FakeClock()
    with BotApiStub(token=TOKEN, clock=clock) as stub:
        assert raw_post(f"{stub.api_url}/sendMessage", {"chat_id": 1, "text": "a"})[0] == 200
        code, body = raw_post(f"{stub.api_url}/sendMessage", {"chat_id": 1, "text": "b"})
        assert code == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }


def test_global_rate_limit() -> None:
    clock = FakeClock()
    limits = RateLimits(global_per_second=5, per_chat_interval=0)
    with BotApiStub(token=TOKEN, clock=clock, rate_limits=limits) as stub:

        async def main() -> None:
            async with make_bot(stub) as bot:
                for chat in range(1, 6):
                    await bot.send_message(chat, "群发")
                    clock.advance(0.1)
                with pytest.raises(RetryAfter) as info:
                    await bot.send_message(6, "群发")
                assert retry_after_seconds(info.value) == 1
                clock.advance(1.0)
                await bot.send_message(6, "群发")
                await bot.send_message(6, "per-chat disabled")

        asyncio.run(main())
        assert stub.stats()["sent"] == 7 and stub.rate_limit_hits == 1


def test_group_rate_limit() -> None:
    clock = FakeClock()
    limits = RateLimits(group_per_minute=3)
    with BotApiStub(token=TOKEN, clock=clock, rate_limits=limits) as stub:

        async def main() -> None:
            async with make_bot(stub) as bot:
                for i in range(3):
                    await bot.send_message(-100123, f"group {i}")
                    clock.advance(10)
                with pytest.raises(RetryAfter) as info:  # at t=30, oldest at t=0
                    await bot.send_message(-100123, "group 3")
                assert retry_after_seconds(info.value) == 30
                await bot.send_message(-100999, "another group is fine")
                clock.advance(30)
                await bot.send_message(-100123, "group 3")

        asyncio.run(main())
        assert len(stub.messages_to(-100123)) == 4
        assert stub.rate_limit_hits == 1 and stub.retry_after_violations == 0


def test_aioratelimiter_respects_retry_after(stub: BotApiStub) -> None:
    """PTB's AIORateLimiter has no per-private-chat limit: the 2nd message hits 429; with
    max_retries it sleeps retry_after + 0.1 s and retries -- no violation recorded."""

    async def main() -> None:
        async with ExtBot(
            TOKEN, base_url=stub.base_url, rate_limiter=AIORateLimiter(max_retries=1)
        ) as bot:
            await bot.send_message(20, "first")
            await bot.send_message(20, "second")  # 429 -> waits ~1.1 s -> succeeds

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        asyncio.run(main())
    assert [m.text for m in stub.messages_to(20)] == ["first", "second"]
    assert stub.rate_limit_hits == 1 and stub.retry_after_violations == 0


# ------------------------------------------------------------------------------ faults


def test_fail_next_5xx_is_network_error(stub: BotApiStub) -> None:
    stub.fail_next(2)
    stub.fail_next(1, status=502)

    async def main() -> None:
        async with make_bot(stub) as bot:
            for _ in range(2):
                with pytest.raises(NetworkError) as info:
                    await bot.send_message(30, "x")
                assert type(info.value) is NetworkError  # not TimedOut / BadRequest
                assert "Internal Server Error" in str(info.value)
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await bot.send_message(30, "x")
            await bot.send_message(30, "x")

    asyncio.run(main())
    assert len(stub.sent) == 1
    assert stub.stats()["faults_injected"] == 3
    stub.fail_next(1)
    code, body = raw_post(f"{stub.api_url}/sendMessage", {"chat_id": 31, "text": "y"})
    assert (code, body) == (
        500,
        {"ok": False, "error_code": 500, "description": "Internal Server Error"},
    )


def test_blocked_and_chat_not_found(stub: BotApiStub) -> None:
    stub.block_chat(40)
    stub.chat_not_found(41)

    async def main() -> None:
        async with make_bot(stub) as bot:
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await bot.send_message(40, "x")
            with pytest.raises(BadRequest, match="(?i)chat not found"):
                await bot.send_message(41, "x")
            stub.unblock_chat(40)
            await bot.send_message(40, "x")

    asyncio.run(main())
    assert [m.chat_id for m in stub.sent] == [40]
    assert stub.stats()["faults"] == {"blocked": 1, "chat_not_found": 1}


def test_timeout_raises_timed_out_and_outcome_unknown(stub: BotApiStub) -> None:
    stub.timeout_next(1, delay=0.6)  # delivered although the client gives up
    stub.timeout_next(1, delay=0.6, deliver=False)

    async def main() -> None:
        async with make_bot(stub, read_timeout=0.2) as bot:
            t0 = time.monotonic()
            with pytest.raises(TimedOut):
                await bot.send_message(50, "可能已送达")
            with pytest.raises(TimedOut):
                await bot.send_message(50, "未送达")
            assert time.monotonic() - t0 < 1.0
            assert issubclass(TimedOut, NetworkError)

    asyncio.run(main())
    [sent] = stub.sent
    assert sent.text == "可能已送达" and sent.timed_out
    delivered, lost = stub.timeouts
    assert (delivered.delivered, delivered.message_id) == (True, sent.message_id)
    assert (lost.delivered, lost.text) == (False, "未送达")
    assert stub.stats()["delivered_on_timeout"] == 1


def test_stop_does_not_wait_for_injected_delays() -> None:
    with BotApiStub(token=TOKEN) as stub:
        stub.timeout_next(1, delay=30)

        async def main() -> None:
            async with make_bot(stub, read_timeout=0.1) as bot:
                with pytest.raises(TimedOut):
                    await bot.send_message(60, "slow")

        asyncio.run(main())
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 1.0
    assert stub.timeouts[0].delivered


def test_wait_for_times_out_quickly(stub: BotApiStub) -> None:
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        stub.wait_for(lambda m: False, timeout=0.2)
    assert time.monotonic() - t0 < 1.0


def test_exceptions_hierarchy_facts() -> None:
    # Facts product code relies on when classifying errors
    assert issubclass(BadRequest, NetworkError)  # catch BadRequest *before* NetworkError
    assert issubclass(TimedOut, NetworkError)
    assert not issubclass(Forbidden, NetworkError)
    assert not issubclass(RetryAfter, NetworkError)
    assert issubclass(RetryAfter, TelegramError)
