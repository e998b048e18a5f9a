"""Reading evidence files back: who may, the listings views show, and the content itself.

Who may read a file: whoever may see the task it is attached to (:mod:`engine.org.visibility`:
the office, the task's units, leaders in scope, its responsible person). A directive's original
(the scanned 批示) is readable by the office, its issuer, leaders who see every task, and whoever
may see a task made from it. A file attached in several places is readable by whoever may read
one of them; to anyone else it does not exist (the same refusal as a missing file).

Guarantees of :func:`export_file`: the permission is checked before any byte is read; the
content streams chunk by chunk and is re-hashed on the way, so a damaged store is reported
(:class:`FileCorrupted`) instead of handing out wrong evidence; a file written to a path
appears there whole or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlmodel import Session, col, select

from engine.errors import (
    AmbiguousReference,
    FileCorrupted,
    InvalidInput,
    NotFound,
)
from engine.files.attach import PURPOSES
from engine.files.sniff import KINDS
from engine.files.store import blob_store
from engine.org.actors import Actor
from engine.org.directory import person_names
from engine.org.visibility import can_see_task, sees_all_tasks
from engine.read.schemas import FileView
from engine.store.policy import get_policy, zone_for
from models import Attachment, Directive, FileBlob, Task

MIN_PREFIX = 8
"""Hex digits of a hash a user must give at least (``task show`` prints 12)."""


def _can_read_directive(session: Session, actor: Actor, directive_id: int) -> bool:
    if actor.sees_everything:
        return True
    directive = session.get(Directive, directive_id)
    if directive is None:
        return False
    if sees_all_tasks(session, actor) or directive.issued_by_id == actor.person_id:
        return True
    tasks = session.exec(select(Task).where(Task.directive_id == directive_id)).all()
    return any(can_see_task(session, actor, task) for task in tasks)


def can_read_attachment(session: Session, actor: Actor, attachment: Attachment) -> bool:
    """The task's visibility rule (:mod:`engine.org.visibility`) decides for a task's files."""
    if attachment.task_id is not None:
        task = session.get(Task, attachment.task_id)
        return task is not None and can_see_task(session, actor, task)
    if attachment.directive_id is not None:
        return _can_read_directive(session, actor, attachment.directive_id)
    return actor.sees_everything


@dataclass(frozen=True)
class FileMeta:
    sha256: str
    name: str
    size: int
    mime: str
    kind: str
    chunks: int


def _not_found(ref: str) -> NotFound:
    return NotFound(f"未找到哈希为 {ref.strip().lower()} 的文件（或您无权查看）")


def find_blob(session: Session, ref: str) -> FileBlob:
    """The stored file whose SHA-256 is ``ref`` or starts with it (at least 8 hex digits)."""
    text = ref.strip().lower()
    if len(text) < MIN_PREFIX or any(ch not in "0123456789abcdef" for ch in text):
        raise InvalidInput(f"文件哈希“{ref}”无效：应为 SHA-256 十六进制值（至少前 {MIN_PREFIX} 位）")
    if len(text) == 64:
        found = session.get(FileBlob, text)
        rows = [found] if found is not None else []
    else:  # a prefix: a range of the primary key (LIKE would not use the index on SQLite)
        rows = list(session.exec(select(FileBlob).where(
            col(FileBlob.sha256) >= text, col(FileBlob.sha256) < text + "g").limit(2)).all())
    if not rows:
        raise _not_found(ref)
    if len(rows) > 1:
        raise AmbiguousReference(f"哈希前缀 {text} 对应多个文件，请多写几位")
    return rows[0]


def readable_file(session: Session, *, ref: str, actor: Actor) -> FileMeta:
    """The file ``ref`` names, if ``actor`` may read it (its newest readable name); a file
    outside the actor's scope is reported exactly as a missing one (no leak of its existence)."""
    blob = find_blob(session, ref)
    newest = select(Attachment).where(Attachment.sha256 == blob.sha256).order_by(
        col(Attachment.id).desc())
    if actor.sees_everything:  # readable wherever it is attached: only its newest name is needed
        attachment = session.exec(newest.limit(1)).first()
        if attachment is not None:
            return FileMeta(blob.sha256, attachment.name, blob.size, blob.mime, blob.kind,
                            blob.chunks)
    for attachment in session.exec(newest).all():
        if can_read_attachment(session, actor, attachment):
            return FileMeta(blob.sha256, attachment.name, blob.size, blob.mime, blob.kind,
                            blob.chunks)
    raise _not_found(ref)


def verified_chunks(session: Session, meta: FileMeta) -> Iterator[bytes]:
    """The content in order; raises :class:`FileCorrupted` at the end if it does not hash to
    its address (the caller must discard what it wrote)."""
    digest, size = hashlib.sha256(), 0
    for chunk in blob_store(session).read(meta.sha256, meta.chunks):
        digest.update(chunk)
        size += len(chunk)
        yield chunk
    if size != meta.size or digest.hexdigest() != meta.sha256:
        raise FileCorrupted(f"存储的文件 {meta.sha256[:12]}（{meta.name}）已损坏：内容与哈希不符，"
                            "请从备份恢复")


def export_file(session: Session, *, ref: str, actor: Actor,
                out: Path | BinaryIO) -> tuple[FileMeta, Path | None]:
    """Write the file ``ref`` to ``out`` — a stream, a directory (under its stored name) or a
    file path — after the permission check; return it and the path written (if any)."""
    meta = readable_file(session, ref=ref, actor=actor)
    if not isinstance(out, Path):
        for chunk in verified_chunks(session, meta):
            out.write(chunk)
        return meta, None
    target = out / meta.name if out.is_dir() else out
    if not target.parent.is_dir():
        raise InvalidInput(f"目录 {target.parent} 不存在")
    handle, temp = tempfile.mkstemp(prefix=".duban-file-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as sink:
            for chunk in verified_chunks(session, meta):
                sink.write(chunk)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return meta, target


def _rows(session: Session, where: Any) -> list[tuple[Attachment, FileBlob]]:
    return list(session.exec(select(Attachment, FileBlob).join(
        FileBlob, col(FileBlob.sha256) == col(Attachment.sha256)).where(where)
        .order_by(col(Attachment.id))).all())


def describe(session: Session, rows: Iterable[tuple[Attachment, FileBlob]]) -> list[FileView]:
    """Attachments as read schemas (what ``task show`` and the web console list)."""
    tz = zone_for(get_policy(session))
    rows = list(rows)
    # Only the uploaders' names: a city's directory is large, a task's files are few.
    people = person_names(session, (a.uploaded_by_id for a, _ in rows))
    return [FileView(id=a.id or 0, sha256=b.sha256, name=a.name, size=b.size, mime=b.mime,
                     kind=b.kind, kind_label=KINDS.get(b.kind, b.kind), purpose=a.purpose,
                     purpose_label=PURPOSES.get(a.purpose, a.purpose), report_id=a.report_id,
                     extension_id=a.extension_id, by=people.get(a.uploaded_by_id or 0),
                     at=a.created_at.astimezone(tz)) for a, b in rows]


def task_files(session: Session, task_id: int) -> list[FileView]:
    return describe(session, _rows(session, col(Attachment.task_id) == task_id))


def directive_files(session: Session, directive_id: int) -> list[FileView]:
    return describe(session, _rows(session, col(Attachment.directive_id) == directive_id))


def names_by_task(session: Session, task_ids: Iterable[int],
                  purposes: tuple[str, ...] | None = None) -> dict[int, list[str]]:
    """Each task's attached file names, oldest first (one query; for ledgers and bulletins)."""
    ids = list(task_ids)
    found: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        query = select(Attachment.task_id, Attachment.name).where(
            col(Attachment.task_id).in_(ids[start:start + 500]))
        if purposes is not None:
            query = query.where(col(Attachment.purpose).in_(purposes))
        for task_id, name in session.exec(query.order_by(col(Attachment.id))):
            found.setdefault(task_id or 0, []).append(name)
    return found
