"""Evidence files as outbox messages: one row per (file, recipient), carrying the file.

The Telegram channel sends such a row as a photo or a document with the text as its caption;
channels that cannot carry files send the text, which names the file, its size and its hash.
Only people reachable on Telegram get them (elsewhere the message that follows lists the files).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from html import escape

from sqlmodel import Session, col, select

from engine.files.ingest import megabytes
from engine.files.sniff import KINDS
from engine.files.store import BlobReader
from engine.outbox import queue as outbox
from engine.outbox.channel import OutgoingFile
from models import Attachment, FileBlob, Person, Task

NAMES_SHOWN = 5
"""File names listed in a message before "等"."""


def file_list(attachments: Sequence[Attachment]) -> str:
    """"（附 2 个文件：整改前.jpg、整改后.jpg）", or "" without files."""
    if not attachments:
        return ""
    names = "、".join(a.name for a in attachments[:NAMES_SHOWN])
    more = "等" if len(attachments) > NAMES_SHOWN else ""
    return f"（附 {len(attachments)} 个文件：{names}{more}）"


def _caption(task: Task, attachment: Attachment, blob: FileBlob, headline: str,
             position: str) -> tuple[str, str]:
    kind = KINDS.get(blob.kind, blob.kind)
    lines = [(f"【{headline}{position}】", f"{task.code} {task.title}"),
             ("文件", f"{attachment.name}（{kind}，{megabytes(blob.size)}）"),
             ("SHA-256", blob.sha256)]
    text = "\n".join([lines[0][0] + lines[0][1], *(f"{k}：{v}" for k, v in lines[1:])])
    html = "\n".join([f"<b>{escape(lines[0][0])}</b>{escape(lines[0][1])}",
                      *(f"<b>{k}</b>：<code>{escape(v)}</code>" if k == "SHA-256"
                        else f"<b>{k}</b>：{escape(v)}" for k, v in lines[1:])])
    return text, html


def send_files(session: Session, *, task: Task, people: Sequence[Person],
               attachments: Sequence[Attachment], headline: str, now: datetime,
               hold: datetime | None) -> int:
    """Queue each attachment for each person reachable on Telegram; return rows added."""
    reachable = [p for p in people if p.telegram_chat_id is not None]
    if not attachments or not reachable:
        return 0
    blobs = {b.sha256: b for b in session.exec(select(FileBlob).where(
        col(FileBlob.sha256).in_({a.sha256 for a in attachments})))}
    count = 0
    for index, attachment in enumerate(attachments, start=1):
        position = f" {index}/{len(attachments)}" if len(attachments) > 1 else ""
        text, html = _caption(task, attachment, blobs[attachment.sha256], headline, position)
        for person in reachable:
            count += outbox.enqueue(
                session, dedupe_key=f"evidence:{task.id}:{person.id}:{attachment.id}",
                kind="evidence", recipient=person, task_id=task.id,
                subject=f"{headline}：{task.code} {attachment.name}", body=text, body_html=html,
                now=now, not_before=hold, attachment_id=attachment.id)
    return count


def outgoing_files(session: Session, attachment_ids: set[int]) -> dict[int, OutgoingFile]:
    """The files of a dispatch batch, by attachment id, in one query; each opens a stream of
    its content on a connection of its own when a channel reads it."""
    if not attachment_ids:
        return {}
    bind = session.get_bind()
    rows = session.exec(select(Attachment, FileBlob).join(
        FileBlob, col(FileBlob.sha256) == col(Attachment.sha256)).where(
        col(Attachment.id).in_(attachment_ids))).all()
    return {attachment.id or 0: OutgoingFile(
        name=attachment.name, mime=blob.mime, kind=blob.kind, size=blob.size, sha256=blob.sha256,
        open=partial(BlobReader, bind, blob.sha256, blob.chunks),  # type: ignore[arg-type]
        source=attachment.source) for attachment, blob in rows}
