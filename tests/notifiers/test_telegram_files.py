"""Evidence files leave the outbox as Telegram photos and documents (through the Bot API stub)."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from engine.files.ingest import Upload
from engine.outbox.dispatch import dispatch_once
from engine.tasks.actions import acknowledge, request_completion
from models import Attachment, OutboxMessage
from notifiers.memory import MemoryNotifier
from notifiers.telegram import TelegramNotifier
from notifiers.throttle import PaceLimits, Throttle
from tests.factories import ISSUED, act, make_city, make_task
from tests.support import samples
from tests.support.botapi_stub import BotApiStub, RateLimits

OFFICE_CHAT = 9100
NOW = ISSUED + timedelta(days=1)


def _request(session: Session, source: str | None = None) -> tuple[bytes, bytes]:
    city = make_city(session)
    city.office.telegram_chat_id = OFFICE_CHAT
    session.add(city.office)
    session.commit()
    task = make_task(session, city)
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=ISSUED)
    photo, report = samples.jpeg(40_000, seed=21), samples.pdf("report")
    request_completion(session=session, task=task.code, actor=act(city.fire_head), evidence="见附件",
                       now=NOW, files=[Upload("整改后.jpg", io.BytesIO(photo), source=source),
                                       Upload("整改报告.pdf", io.BytesIO(report))])
    return photo, report


def _dispatch(session: Session, stub: BotApiStub) -> None:
    notifier = TelegramNotifier(token=stub.token, base_url=stub.base_url,
                                throttle=Throttle(PaceLimits.off()))

    async def main() -> None:
        await dispatch_once(session=session, notifiers=[notifier], now=NOW)
        await notifier.shutdown()

    asyncio.run(main())


def test_files_are_uploaded_as_photo_and_document_before_the_review(session: Session) -> None:
    photo, report = _request(session)
    with BotApiStub(token="123:ABC", rate_limits=RateLimits.off()) as stub:
        _dispatch(session, stub)
        (sent_photo,) = stub.photos
        (sent_doc,) = stub.documents
        assert sent_photo.uploaded and stub.file_content(sent_photo.file_id) == photo
        assert sent_doc.content == report and sent_doc.filename == "整改报告.pdf"
        assert sent_photo.chat_id == sent_doc.chat_id == OFFICE_CHAT
        assert "【办结证明材料 1/2】" in (sent_photo.caption or "")
        assert "【办结证明材料 2/2】" in (sent_doc.caption or "")
        (review,) = stub.messages_to(OFFICE_CHAT)
        assert review.message_id > sent_doc.message_id > sent_photo.message_id
        assert review.reply_markup is not None
    sent = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "evidence")).all()
    assert {m.status for m in sent} == {"sent"}


def test_a_stale_telegram_copy_is_uploaded_instead(session: Session) -> None:
    photo, _ = _request(session, source="telegram-photo:GONE-file-id")
    with BotApiStub(token="123:ABC", rate_limits=RateLimits.off()) as stub:
        _dispatch(session, stub)
        (sent_photo,) = stub.photos
        assert sent_photo.uploaded and stub.file_content(sent_photo.file_id) == photo
        refused = [c for c in stub.calls if c.method == "sendPhoto" and c.status == 400]
        assert len(refused) == 1  # the stale file id, then the upload


def test_channels_without_files_send_the_text(session: Session) -> None:
    _request(session)
    session.execute(update(Attachment).values(source=None))
    session.commit()
    memory = MemoryNotifier()
    asyncio.run(dispatch_once(session=session, notifiers=[memory], now=NOW))
    evidence = [m for m in memory.sent if m.kind == "evidence"]
    assert len(evidence) == 2 and all(m.file is not None for m in evidence)
    assert "文件：整改后.jpg（图片" in evidence[0].text and "SHA-256" in evidence[0].text
