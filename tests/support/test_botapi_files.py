"""The Bot API stub's files, driven by python-telegram-bot: incoming photos, documents and
albums, ``getFile`` and downloads, ``sendPhoto`` / ``sendDocument`` / ``sendMediaGroup``."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import httpx
import pytest
from telegram import Bot, InputMediaDocument, InputMediaPhoto, Update
from telegram.error import BadRequest

from tests.support.botapi_stub import BotApiStub, RateLimits

TOKEN = "123:ABC"


@pytest.fixture
def stub() -> Iterator[BotApiStub]:
    with BotApiStub(token=TOKEN, rate_limits=RateLimits.off()) as s:
        yield s


def bot_for(stub: BotApiStub) -> Bot:
    return Bot(TOKEN, base_url=stub.base_url, base_file_url=stub.base_file_url)


def test_incoming_media_getfile_and_download(stub: BotApiStub) -> None:
    first = stub.push_photo(42, b"\xff\xd8 photo bytes", caption="/done DB-2024-0001 好")
    album = stub.push_album(42, [("photo", b"p1", None), ("document", b"%PDF-1.4 d", "报告.pdf")],
                            caption="两张")
    replied = stub.push_photo(42, b"p3", reply_to=first["message"]["message_id"])

    async def main() -> None:
        async with bot_for(stub) as bot:
            updates = [Update.de_json(u, bot) for u in (first, *album, replied)]
            message = updates[0].message
            assert message is not None and message.caption == "/done DB-2024-0001 好"
            assert len(message.photo) == 2 and message.photo[-1].file_size == 14
            group = {u.message.media_group_id for u in updates[1:3] if u.message}
            assert len(group) == 1 and None not in group
            assert updates[1].message and updates[1].message.caption == "两张"
            assert updates[2].message and updates[2].message.caption is None
            document = updates[2].message.document
            assert document is not None and document.file_name == "报告.pdf"
            assert updates[3].message and updates[3].message.reply_to_message is not None
            remote = await bot.get_file(message.photo[-1].file_id)
            assert remote.file_size == 14
            assert bytes(await remote.download_as_bytearray()) == b"\xff\xd8 photo bytes"

    asyncio.run(main())
    assert len(stub.downloads) == 1


def test_truncated_download_and_big_files(stub: BotApiStub) -> None:
    update = stub.push_document(42, b"x" * 1000, "a.txt")
    big = stub.push_document(42, b"y" * (20 * 1024 * 1024 + 1), "big.txt")
    file_id = update["message"]["document"]["file_id"]
    stub.truncate_download(file_id, 100)

    async def main() -> None:
        async with bot_for(stub) as bot:
            remote = await bot.get_file(file_id)
            with pytest.raises(httpx.RemoteProtocolError):
                async with httpx.AsyncClient() as client:
                    await client.get(remote._get_encoded_url())
            with pytest.raises(BadRequest, match="(?i)file is too big"):
                await bot.get_file(big["message"]["document"]["file_id"])

    asyncio.run(main())


def test_sending_photos_documents_and_albums(stub: BotApiStub) -> None:
    incoming = stub.push_photo(42, b"photo-from-user")["message"]["photo"][-1]["file_id"]
    doc_id = stub.push_document(42, b"%PDF", "a.pdf")["message"]["document"]["file_id"]

    async def main() -> None:
        async with bot_for(stub) as bot:
            sent = await bot.send_photo(9100, incoming, caption="<b>证明材料</b>", parse_mode="HTML")
            assert sent.photo and sent.photo[-1].file_id == incoming
            await bot.send_photo(9100, io.BytesIO(b"uploaded"), caption="上传")
            await bot.send_document(9100, doc_id)
            with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
                await bot.send_photo(9100, "NO-SUCH-ID")
            with pytest.raises(BadRequest, match="(?i)type of file mismatch"):
                await bot.send_photo(9100, doc_id)
            with pytest.raises(BadRequest, match="(?i)file is too big"):
                await bot.send_photo(9100, io.BytesIO(b"z" * (10 * 1024 * 1024 + 1)))
            group = await bot.send_media_group(9100, [
                InputMediaPhoto(io.BytesIO(b"g1"), caption="相册"),
                InputMediaDocument(io.BytesIO(b"g2"), filename="g2.txt")])
            assert len(group) == 2 and group[0].media_group_id == group[1].media_group_id

    asyncio.run(main())
    photos = stub.photos
    assert [p.uploaded for p in photos] == [False, True, True]
    assert stub.file_content(photos[1].file_id) == b"uploaded"
    assert photos[0].caption == "<b>证明材料</b>" and photos[2].media_group_id is not None
    docs = stub.documents
    assert docs[0].file_ref == doc_id and docs[0].content is None
    assert docs[1].content == b"g2" and docs[1].filename == "g2.txt"
