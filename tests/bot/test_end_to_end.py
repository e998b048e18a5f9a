"""From assignment to the leader's 15:00 summary, through the outbox, the Telegram channel, the
Bot API stub and the bot — the whole loop a unit and a leader see."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.handlers import UNBOUND
from engine.escalation.run import run_pass
from engine.outbox.dispatch import dispatch_once
from engine.summary.daily import run_daily_summary
from models import ProgressReport, Task
from notifiers.telegram import TelegramNotifier
from notifiers.throttle import PaceLimits, Throttle
from tests.bot.test_bot import snapshot
from tests.factories import ISSUED, City, at, make_city, make_task, system
from tests.notifiers.fakes import BotSession
from tests.support.botapi_stub import BotApiStub, RateLimits

LEADER_CHAT, STRANGER = 9002, 5555


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _task(engine: Engine, code: str) -> Task:
    with Session(engine) as s:
        return s.exec(select(Task).where(Task.code == code)).one()


class Loop:
    """The office's side: the outbox dispatched through Telegram, as ``duban serve`` does."""

    def __init__(self, session: Session, stub: BotApiStub) -> None:
        self.session, self.stub = session, stub
        self.notifier = TelegramNotifier(token=stub.token, base_url=stub.base_url,
                                         throttle=Throttle(PaceLimits.off()))

    async def dispatch(self, now: datetime) -> None:
        self.session.expire_all()  # the bot changed rows through its own sessions
        await dispatch_once(session=self.session, notifiers=[self.notifier], now=now)
        self.session.commit()


async def assign_and_answer(loop: Loop, bot: BotSession, engine: Engine, city: City,
                            clock: Clock) -> str:
    """Steps 1–4: assignment pushed, 签收 pressed, progress reported, a stranger refused."""
    code = make_task(loop.session, city, now=ISSUED).code
    await loop.dispatch(ISSUED + timedelta(minutes=2))
    (pushed,) = loop.stub.messages_to(1001)
    assert "【督办交办】" in pushed.text and code in pushed.text
    assert "3月31日前" in pushed.text and pushed.parse_mode == "HTML"
    assert pushed.reply_markup is not None
    clock.now = ISSUED + timedelta(hours=1)
    _, toast = await bot.press(1001, f"ack:{code}")
    assert toast == "已签收" and _task(engine, code).status == "acknowledged"
    reply = await bot.ask(1001, f"/progress {code} 已排查 40 家，发现隐患 9 处")
    assert reply.startswith("已记录") and _task(engine, code).status == "in_progress"
    before = snapshot(engine)
    assert await bot.ask(STRANGER, f"/ack {code}") == UNBOUND
    assert snapshot(engine) == before
    return code


async def escalate_and_summarise(loop: Loop, code: str, reports: Path) -> None:
    """Steps 5–6: the deadline passes, the ladder and then the 15:00 summary reach the leader."""
    late = at("2024-04-03", "10:00")
    loop.session.expire_all()
    planned = run_pass(session=loop.session, actor=system(), now=late)
    assert any(p.level == 2 and p.recipient == "李占明" for p in planned)
    await loop.dispatch(late)
    escalation = loop.stub.messages_to(LEADER_CHAT)[-1]
    assert code in escalation.text and "说明逾期原因" in escalation.text
    moment = at("2024-04-03", "15:00")
    run_daily_summary(session=loop.session, actor=system(), now=moment, reports_dir=reports, send=True)
    await loop.dispatch(moment)
    summary = loop.stub.messages_to(LEADER_CHAT)[-1]
    assert "督办事项每日调度（李占明副市长分管范围）" in summary.text
    assert code in summary.text and "逾期" in summary.text


def test_assignment_acknowledgement_escalation_and_summary(session: Session, engine: Engine,
                                                           tmp_path: Path) -> None:
    city, clock = make_city(session), Clock(ISSUED)
    with BotApiStub(token="123:ABC", rate_limits=RateLimits.off()) as stub:
        loop = Loop(session, stub)

        async def scenario() -> None:
            async with BotSession(stub, engine, clock) as bot:
                code = await assign_and_answer(loop, bot, engine, city, clock)
                await escalate_and_summarise(loop, code, tmp_path)
            await loop.notifier.shutdown()

        asyncio.run(scenario())
        assert stub.duplicates() == []
    with Session(engine) as s:
        (report,) = s.exec(select(ProgressReport)).all()
        assert report.text == "已排查 40 家，发现隐患 9 处"
