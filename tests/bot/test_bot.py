"""The Telegram bot through the Bot API stub: binding, every command, buttons, refusals."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.handlers import APOLOGY, UNBOUND
from engine.errors import Conflict, NotFound, PolicyViolation
from engine.org.binding import bind_chat, create_invite
from models import (
    AuditEvent,
    BindingCode,
    ExtensionRequest,
    OutboxMessage,
    Person,
    ProgressReport,
    Task,
)
from tests.factories import ISSUED, City, make_city, make_task, operator
from tests.notifiers.fakes import BotSession
from tests.support.botapi_stub import BotApiStub, RateLimits

WALL = datetime.now(UTC)

NOW = ISSUED + timedelta(days=1)
OFFICE_CHAT, STRANGER = 9100, 5555


@pytest.fixture
def stub() -> Iterator[BotApiStub]:
    with BotApiStub(token="123:ABC", rate_limits=RateLimits.off()) as s:
        yield s


def _city_with_task(session: Session) -> tuple[City, Task]:
    city = make_city(session)
    city.office.telegram_chat_id = OFFICE_CHAT
    session.add(city.office)
    session.commit()
    task = make_task(session, city)
    session.commit()  # no transaction stays open while the bot works on the same database
    return city, task


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything a refused command must leave as it was."""
    with Session(engine) as s:
        return {
            "tasks": [(t.code, t.status, t.due_at) for t in s.exec(select(Task)).all()],
            "audit": s.exec(select(func.count()).select_from(AuditEvent)).one(),
            "reports": s.exec(select(func.count()).select_from(ProgressReport)).one(),
            "extensions": s.exec(select(func.count()).select_from(ExtensionRequest)).one(),
            "outbox": s.exec(select(func.count()).select_from(OutboxMessage)).one(),
            "chats": sorted((p.name, p.telegram_chat_id or 0) for p in s.exec(select(Person))),
        }


def status_of(engine: Engine, code: str) -> str:
    with Session(engine) as s:
        return s.exec(select(Task.status).where(Task.code == code)).one()


def test_binding_codes_are_single_use_expiring_and_exclusive(session: Session) -> None:
    city = make_city(session)
    code = create_invite(session=session, person=city.emerg_contact, now=NOW, actor=operator())
    stored = session.exec(select(BindingCode)).one()
    assert code.replace("-", "") not in stored.code_hash and len(stored.code_hash) == 64
    person = bind_chat(session=session, code=code.lower(), chat_id=4242, now=NOW,
                  wall_clock=WALL)
    assert person.id == city.emerg_contact.id and person.telegram_chat_id == 4242
    with pytest.raises(Conflict, match="已经使用过"):
        bind_chat(session=session, code=code, chat_id=4343, now=NOW,
                  wall_clock=WALL)
    late = create_invite(session=session, person=city.housing_contact, now=NOW, actor=operator())
    with pytest.raises(PolicyViolation, match="已过期"):
        bind_chat(session=session, code=late, chat_id=4444, now=NOW + timedelta(hours=49),
                  wall_clock=WALL)
    taken = create_invite(session=session, person=city.housing_contact, now=NOW, actor=operator())
    with pytest.raises(Conflict, match="已绑定到张联络"):
        bind_chat(session=session, code=taken, chat_id=1001, now=NOW,
                  wall_clock=WALL)
    with pytest.raises(NotFound, match="绑定码无效"):
        bind_chat(session=session, code="AAAA-BBBB", chat_id=4545, now=NOW,
                  wall_clock=WALL)
    first = create_invite(session=session, person=city.fire_head, now=NOW, actor=operator())
    create_invite(session=session, person=city.fire_head, now=NOW, actor=operator())  # revokes the first
    with pytest.raises(PolicyViolation, match="已过期"):
        bind_chat(session=session, code=first, chat_id=4646, now=NOW,
                  wall_clock=WALL)
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity == "person")).all()
    assert actions.count("bind_telegram") == 1 and actions.count("invite") == 5


def test_binding_help_and_buttons_through_the_bot(session: Session, engine: Engine,
                                                  stub: BotApiStub) -> None:
    city, task = _city_with_task(session)
    code = task.code
    invite = create_invite(session=session, person=city.emerg_contact, now=NOW, actor=operator())
    session.commit()

    async def scenario() -> tuple[list[str], list[Any]]:
        async with BotSession(stub, engine, lambda: NOW) as bot:
            talk = [await bot.ask(4242, "/start"), await bot.ask(4242, "/help"),
                    await bot.ask(4242, f"/bind {invite}"), await bot.ask(4343, f"/bind {invite}"),
                    await bot.ask(4242, "/start"), await bot.ask(4242, "你好")]
            await bot.ask(1001, f"/task {code}")  # a message with the three buttons
            return talk, [await bot.press(1001, f"ack:{code}"),
                          await bot.press(1001, f"progress:{code}"),
                          await bot.ask(1001, "已完成辖区 20 家场所排查"),
                          await bot.press(1001, f"extend:{code}"),
                          await bot.ask(1001, "4月30日前 需协调整改资金"),
                          await bot.ask(1001, "多余的话")]

    talk, buttons = asyncio.run(scenario())
    start, help_, bound, reused, again, chat = talk
    assert "尚未绑定" in start and "/bind" in start and "/progress" in help_
    assert bound.startswith("绑定成功：孙应急科长") and "已经使用过" in reused
    assert again.startswith("您好，孙应急科长") and "/help" in chat
    assert {c["command"] for c in stub.commands} >= {"tasks", "ack", "bind", "summary"}
    ack, progress, recorded, extend, requested, stray = buttons
    assert ack[1] == "已签收" and ack[0].startswith("已签收")
    assert "请直接回复" in progress[0] and "已完成辖区 20 家场所排查" in recorded
    assert "新时限和理由" in extend[0] and "申请号" in requested and "/help" in stray
    assert status_of(engine, code) == "in_progress"
    with Session(engine) as s:
        assert s.get(Person, city.emerg_contact.id).telegram_chat_id == 4242  # type: ignore[union-attr]
        ext = s.exec(select(ExtensionRequest)).one()
        assert ext.reason == "需协调整改资金" and ext.requested_due_text == "4月30日前"


def test_every_command_runs_the_engine_services(session: Session, engine: Engine,
                                                stub: BotApiStub) -> None:
    _, task = _city_with_task(session)
    code = task.code

    async def scenario() -> dict[str, str]:
        async with BotSession(stub, engine, lambda: NOW) as bot:
            out = {"tasks": await bot.ask(1001, "/tasks"), "task": await bot.ask(1001, f"/task {code}"),
                   "ack": await bot.ask(1001, f"/ack {code}"),
                   "progress": await bot.ask(1001, f"/progress {code} 已排查 30 家，整改 12 处"),
                   "extend": await bot.ask(1001, f"/extend {code} 4月30日前 需协调整改资金")}
            ext = _pending_extension(engine)
            out["approve"] = await bot.ask(OFFICE_CHAT, f"/approve {ext}")
            await bot.ask(1001, f"/extend {code} 5月31日前 再延一个月")
            out["reject"] = await bot.ask(OFFICE_CHAT, f"/reject {_pending_extension(engine)} 理由不充分")
            out["done"] = await bot.ask(1002, f"/done {code} 排查台账及整改照片")
            out["return"] = await bot.ask(OFFICE_CHAT, f"/return {code} 缺少复查记录")
            out["done2"] = await bot.ask(1001, f"/done {code} 已补充复查记录")
            out["summary"] = await bot.ask(9002, "/summary")
            out["verify"] = await bot.ask(OFFICE_CHAT, f"/verify {code} 优秀")
            return out

    out = asyncio.run(scenario())
    assert code in out["tasks"] and "🟢" in out["tasks"] and "开展九小场所隐患排查" in out["tasks"]
    assert "市消防救援支队：未签收" in out["task"] and "3月31日前" in out["task"]
    assert out["ack"].startswith(f"已签收：{code}") and "已排查 30 家" in out["progress"]
    assert "申请号" in out["extend"] and out["approve"].startswith("已批准延期申请")
    assert out["reject"].startswith("已驳回延期申请")
    assert "办结申请" in out["done"] and out["return"].startswith(f"已退回 {code}")
    assert "督办事项每日调度（李占明副市长分管范围）" in out["summary"]
    assert out["verify"].startswith(f"已审核销号：{code}")
    assert status_of(engine, code) == "closed"
    with Session(engine) as s:
        row = s.exec(select(Task).where(Task.code == code)).one()
        assert row.due_text == "4月30日前" and row.rating == "excellent"
        texts = [r.text for r in s.exec(select(ProgressReport)).all()]
        assert "已排查 30 家，整改 12 处" in texts and "已补充复查记录" in texts
    task_buttons = [m for m in stub.messages_to(1001) if m.reply_markup][0].reply_markup
    assert [b["callback_data"] for b in task_buttons["inline_keyboard"][0]] == [  # type: ignore[index]
        f"ack:{code}", f"progress:{code}", f"extend:{code}"]


def _pending_extension(engine: Engine) -> int:
    with Session(engine) as s:
        row = s.exec(select(ExtensionRequest).where(ExtensionRequest.status == "pending")).one()
        assert row.id is not None
        return row.id


def test_refusals_and_errors_change_nothing(session: Session, engine: Engine, stub: BotApiStub,
                                           caplog: pytest.LogCaptureFixture,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _, task = _city_with_task(session)
    code = task.code
    before = snapshot(engine)
    caplog.set_level(logging.WARNING, logger="notifiers.bot")

    async def scenario() -> list[str]:
        async with BotSession(stub, engine, lambda: NOW) as bot:
            replies = [await bot.ask(STRANGER, text) for text in (
                f"/ack {code}", f"/progress {code} 假冒进展", "/tasks", "/summary", "/approve 1")]
            replies.append((await bot.press(STRANGER, f"ack:{code}"))[0])
            replies += [await bot.ask(3001, text) for text in (
                f"/ack {code}", f"/task {code}", f"/done {code} 冒领", f"/verify {code}",
                "/summary")]
            replies.append((await bot.press(3001, f"progress:{code}"))[0])
            replies.append(await bot.ask(2001, f"/extend {code} 4月30日前 配合单位不能申请"))
            replies.append(await bot.ask(1001, "/ack DB-2099-9999"))
            monkeypatch.setattr("bot.handlers.acknowledge", broken)
            replies.append(await bot.ask(1001, f"/ack {code}"))
            return replies

    replies = asyncio.run(scenario())
    assert replies.pop() == APOLOGY  # an unexpected error: an apology, never a traceback
    assert any(r.exc_info for r in caplog.records if r.name == "notifiers.bot")
    assert all(r == UNBOUND for r in replies[:6])
    assert all(r.startswith("未办理：") for r in replies[6:])
    # Another unit's task is "not found", word for word as a missing one (no leak).
    assert replies[6] == f"未办理：未找到督办事项“{code}”" == replies[7] == replies[9]
    assert replies[13] == "未办理：未找到督办事项“DB-2099-9999”"
    assert "只有领导和督查室" in replies[10] and "配合单位不能申请" in replies[12]
    assert "未找到督办事项" in replies[13]
    assert snapshot(engine) == before
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == len(replies)


@pytest.mark.parametrize("number", ["²", "①"])
def test_an_odd_request_number_is_refused_in_words(session: Session, engine: Engine,
                                                   stub: BotApiStub, number: str) -> None:
    """"²".isdigit() holds but int("²") raises (once an apology, as for a crash)."""
    _city_with_task(session)
    before = snapshot(engine)

    async def scenario() -> list[str]:
        async with BotSession(stub, engine, lambda: NOW) as bot:
            return [await bot.ask(OFFICE_CHAT, f"/approve {number}"),
                    await bot.ask(OFFICE_CHAT, f"/reject {number} 理由不充分")]

    for reply in asyncio.run(scenario()):
        assert reply != APOLOGY and "申请号应为数字" in reply, reply
    assert snapshot(engine) == before


def broken(**kwargs: object) -> None:
    raise RuntimeError("数据库炸了 secret-detail")


# ---------------------------------------------------------------- the CLI


def test_cli_invite_and_bot_without_token(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import run
    from config.settings import reset_settings

    db = str(tmp_path / "duban.db")
    monkeypatch.delenv("DUBAN_TELEGRAM_TOKEN", raising=False)
    reset_settings()
    assert run(["--db", db, "init", "--simulation"]) == 0
    assert run(["--db", db, "person", "add", "孙应急", "--title", "科长",
                "--role", "leader"]) == 0
    capsys.readouterr()
    assert run(["--db", db, "person", "invite", "孙应急", "--json"]) == 0
    invite = json.loads(capsys.readouterr().out)
    assert invite["person"] == "孙应急" and len(invite["code"]) == 9
    assert invite["expires_at"].endswith("+08:00")
    assert run(["--db", db, "bot"]) == 1
    assert "未设置 DUBAN_TELEGRAM_TOKEN" in capsys.readouterr().err
