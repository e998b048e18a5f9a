"""Photos and files through the Bot API stub: a unit's evidence reaches the office, which verifies
from the review buttons; strangers, oversize files, disguised programs and broken downloads are
refused with Chinese messages and store nothing."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.handlers import UNBOUND
from config.policy import CompletionEvidence, EvidencePolicy
from engine.store.policy import get_policy, save_policy
from engine.tasks.actions import acknowledge
from models import Attachment, AuditEvent, FileBlob, FileChunk, OutboxMessage, ProgressReport, Task
from tests.bot.test_bot import snapshot, status_of
from tests.bot.test_end_to_end import Clock, Loop
from tests.factories import ISSUED, City, act, make_city, make_task
from tests.notifiers.fakes import BotSession
from tests.support import samples
from tests.support.botapi_stub import BotApiStub, RateLimits

OFFICE_CHAT, UNIT_CHAT, STRANGER = 9100, 1001, 5555
NOW = ISSUED + timedelta(days=1)
PHOTO = samples.jpeg(150_000, seed=11)


@pytest.fixture
def stub() -> Iterator[BotApiStub]:
    with BotApiStub(token="123:ABC", rate_limits=RateLimits.off()) as s:
        yield s


def _ready(session: Session, **evidence: Any) -> tuple[City, str]:
    """The office reachable on Telegram; a FIRE task acknowledged; the evidence policy set."""
    city = make_city(session)
    city.office.telegram_chat_id = OFFICE_CHAT
    session.add(city.office)
    if evidence:
        policy = get_policy(session)
        save_policy(session, policy=policy.model_copy(
            update={"evidence": EvidencePolicy(**evidence)}), now=ISSUED)
    session.commit()
    task = make_task(session, city)
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=ISSUED)
    return city, task.code


def stored(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        return {table.__name__: s.exec(select(func.count()).select_from(table)).one()
                for table in (FileBlob, FileChunk, Attachment, ProgressReport)}


def run(stub: BotApiStub, engine: Engine, clock: Clock,
        scenario: Callable[[BotSession], Awaitable[None]]) -> None:
    async def main() -> None:
        async with BotSession(stub, engine, clock) as bot:
            await scenario(bot)

    asyncio.run(main())


def test_done_with_photo_reaches_the_office_which_verifies(session: Session, engine: Engine,
                                                           stub: BotApiStub) -> None:
    city, code = _ready(session)
    clock, loop = Clock(NOW), Loop(session, stub)

    async def scenario(bot: BotSession) -> None:
        reply = await bot.send(UNIT_CHAT, lambda: stub.push_photo(
            UNIT_CHAT, PHOTO, caption=f"/done {code} 整改完成，附整改后照片"))
        assert reply == f"已提交 {code} 的办结申请（附 1 个文件），等待督查室审核销号。"
        await loop.dispatch(NOW)
        (photo,) = stub.photos
        assert photo.chat_id == OFFICE_CHAT and not photo.uploaded  # Telegram's own copy
        assert stub.file_content(photo.file_id) == PHOTO
        assert code in (photo.caption or "") and hashlib.sha256(PHOTO).hexdigest() in (photo.caption or "")
        review = stub.messages_to(OFFICE_CHAT)[-1]
        assert "【申请办结待审核】" in review.text and "附 1 个文件" in review.text
        assert review.message_id > photo.message_id  # the office sees the file first
        buttons = [b["callback_data"] for b in review.reply_markup["inline_keyboard"][0]]  # type: ignore[index]
        assert buttons == [f"verify:{code}", f"return:{code}"]
        text, _ = await bot.press(OFFICE_CHAT, f"return:{code}")
        assert "退回事项" in text and "理由" in text
        text = await bot.send(OFFICE_CHAT, lambda: stub.push_photo(OFFICE_CHAT, PHOTO))
        assert "此处需要文字回复" in text  # a reason is asked for, not a file
        text, _ = await bot.press(OFFICE_CHAT, f"verify:{code}")
        assert "请选择" in text and "销号评价" in text
        text, toast = await bot.press(OFFICE_CHAT, f"rate:{code}:good")
        assert text.startswith(f"已审核销号：{code}") and "良好" in text and toast == "已销号"
        await loop.notifier.shutdown()

    run(stub, engine, clock, scenario)
    assert status_of(engine, code) == "closed"
    with Session(engine) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "request_completion")).one()
        (entry,) = event.after["files"]  # type: ignore[index]
        assert entry == {"sha256": hashlib.sha256(PHOTO).hexdigest(), "size": len(PHOTO),
                         "type": "image/jpeg", "name": entry["name"]}
        assert entry["name"].startswith("照片-") and entry["name"].endswith(".jpg")
        report = s.exec(select(ProgressReport).where(ProgressReport.kind == "completion")).one()
        assert report.text == "整改完成，附整改后照片"


def test_refusals_store_nothing(session: Session, engine: Engine, stub: BotApiStub) -> None:
    """A stranger, an oversize file, a program named .jpg, a broken download: each refused in
    Chinese; only the program was downloaded (to find out what it is); nothing stored."""
    _, code = _ready(session, max_file_mb=1, max_report_mb=2)
    before, files_before = snapshot(engine), stored(engine)
    clock = Clock(NOW)

    async def scenario(bot: BotSession) -> None:
        reply = await bot.send(STRANGER, lambda: stub.push_photo(
            STRANGER, PHOTO, caption=f"/progress {code} 我也来交材料"))
        assert reply == UNBOUND
        big = samples.jpeg(1_300_000, seed=12)
        reply = await bot.send(UNIT_CHAT, lambda: stub.push_document(
            UNIT_CHAT, big, "现场全景.jpg", mime_type="image/jpeg", caption=f"/progress {code} 全景"))
        assert reply.startswith("未办理：文件“现场全景.jpg”大小为 1.2 MB，超过单个文件 1 MB 的上限")
        assert stub.downloads == []  # refused from the declared sizes alone
        reply = await bot.send(UNIT_CHAT, lambda: stub.push_document(
            UNIT_CHAT, samples.windows_program(), "整改照片.jpg", mime_type="image/jpeg",
            caption=f"/progress {code} 整改照片"))
        assert reply.startswith("未办理：文件“整改照片.jpg”实为Windows 可执行程序，不予接收")
        stub.truncate_download("*", 5000)
        reply = await bot.send(UNIT_CHAT, lambda: stub.push_photo(
            UNIT_CHAT, PHOTO, caption=f"/progress {code} 现场照片"))
        assert "下载文件时出错" in reply and "未提交" in reply

    run(stub, engine, clock, scenario)
    assert len(stub.downloads) == 2
    assert snapshot(engine) == before and stored(engine) == files_before


def test_album_after_done_is_one_request(session: Session, engine: Engine,
                                         stub: BotApiStub) -> None:
    """``/done 编号`` asks for the files; an album (two photos and a PDF) answers it at once."""
    _, code = _ready(session, completion_requires_file=CompletionEvidence(normal=True))
    clock = Clock(NOW)

    async def scenario(bot: BotSession) -> None:
        reply = await bot.ask(UNIT_CHAT, f"/done {code} 已全部整改")
        assert "申请办结须附证明材料文件" in reply and "请直接发送照片或文件" in reply
        items = [("photo", samples.jpeg(9000, seed=1), None), ("photo", samples.jpeg(9000, seed=2), None),
                 ("document", samples.pdf(), "整改报告.pdf")]
        reply = await bot.send(UNIT_CHAT, lambda: stub.push_album(UNIT_CHAT, items, caption="前后对比"))
        assert reply == f"已提交 {code} 的办结申请（附 3 个文件），等待督查室审核销号。"

    run(stub, engine, clock, scenario)
    assert status_of(engine, code) == "pending_review"
    with Session(engine) as s:
        report = s.exec(select(ProgressReport).where(ProgressReport.kind == "completion")).one()
        assert report.text == "已全部整改 前后对比"
        names = [a.name for a in s.exec(select(Attachment).where(
            Attachment.report_id == report.id).order_by(Attachment.id))]  # type: ignore[arg-type]
        assert len(names) == 3 and names[2] == "整改报告.pdf"
        evidence = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "evidence")).all()
        assert len(evidence) == 3  # one per file for the one office person on Telegram


def test_photo_replying_to_a_task_message_is_progress(session: Session, engine: Engine,
                                                     stub: BotApiStub) -> None:
    _, code = _ready(session)
    clock, loop = Clock(NOW), Loop(session, stub)

    async def scenario(bot: BotSession) -> None:
        await loop.dispatch(NOW)  # the assignment, pushed to the unit
        assignment = stub.messages_to(UNIT_CHAT)[0]
        reply = await bot.send(UNIT_CHAT, lambda: stub.push_photo(
            UNIT_CHAT, PHOTO, caption="东区已清理", reply_to=assignment.message_id))
        assert reply == f"已记录 {code} 的进展（附 1 个文件）：东区已清理"
        reply = await bot.send(UNIT_CHAT, lambda: stub.push_photo(UNIT_CHAT, PHOTO))
        assert "未能确定它属于哪个事项" in reply
        await loop.notifier.shutdown()

    run(stub, engine, clock, scenario)
    with Session(engine) as s:
        task = s.exec(select(Task).where(Task.code == code)).one()
        assert task.status == "in_progress"
        (attachment,) = s.exec(select(Attachment)).all()
        assert attachment.purpose == "progress" and attachment.task_id == task.id
