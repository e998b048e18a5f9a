"""Receiving files: what a front end hands over (:class:`Upload`) becomes stored content.

Guarantees of :func:`store_uploads`, which runs inside the caller's service transaction:

- every file is refused, with a Chinese message naming it, unless it is whole and of an
  accepted type judged from its content (:mod:`engine.files.sniff`, :mod:`engine.files.checks`);
- the policy's limits hold: files per report, bytes per file, bytes per report — enforced while
  reading, whatever size was declared; a declared size that the stream does not deliver is a
  truncated upload and is refused;
- contents are stored once per SHA-256; the bytes stored are re-hashed as they are written, so
  a stream that changes between the check and the write is refused too;
- memory stays bounded by a few chunks per file, whatever its size.

Nothing is committed here: a refusal raised by this or anything later in the service rolls the
whole transaction back, and nothing of the upload remains.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sqlmodel import Session

from config.policy import EvidencePolicy
from engine.errors import FileRejected, FileTooLarge
from engine.files import checks
from engine.files.names import clean_name, with_extension
from engine.files.scan import CHUNK, Scan, read_full, scan
from engine.files.sniff import FileType
from engine.files.store import blob_store, claim_blob
from engine.store.policy import get_policy

MIB = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """One file as a front end received it.

    ``stream`` is read from its current position to its end (a local file, a spooled web
    upload, a downloaded Telegram file: it should not be a slow network stream, because the
    service's transaction is open while it is read). ``declared_size`` is what the sender said
    (a Content-Length, Telegram's ``file_size``): when given, a stream that ends early is
    refused as truncated. ``source`` lets a channel send the file again without uploading it
    (``"telegram-photo:<file_id>"``).
    """

    name: str
    stream: BinaryIO
    declared_size: int | None = None
    source: str | None = None


@dataclass(frozen=True)
class StoredFile:
    """A received file: its address, size, type and cleaned name."""

    sha256: str
    size: int
    mime: str
    kind: str
    label: str
    name: str
    source: str | None
    new: bool
    """Whether this upload stored the content (``False``: the same content was there)."""

    def audit_entry(self) -> dict[str, Any]:
        """What the audit event records of the file, so the hash chain vouches for it."""
        return {"sha256": self.sha256, "size": self.size, "type": self.mime, "name": self.name}


def megabytes(size: int) -> str:
    return f"{size / MIB:.1f} MB"


def store_uploads(session: Session, uploads: Sequence[Upload], *, now: datetime) -> list[StoredFile]:
    """Check and store ``uploads`` (see the module docstring); return them in order.

    Every file is checked before any is stored, and contents are claimed in hash order, so two
    requests carrying the same new files can only wait for each other, never deadlock.
    """
    policy = get_policy(session).evidence
    check_declared(uploads, policy)
    checked: list[tuple[Upload, Scan, FileType, str]] = []
    try:
        used = 0
        for upload in uploads:
            checked.append(_check_one(upload, policy, used))
            used += checked[-1][1].size
        new = {result.sha256: _put(session, result, found, now)
               for _, result, found, _ in sorted(checked, key=lambda c: c[1].sha256)}
    finally:
        for upload, result, _, _ in checked:
            if result.local is not None and result.local is not upload.stream:
                result.local.close()
    return [StoredFile(sha256=r.sha256, size=r.size, mime=f.mime, kind=f.kind, label=f.label,
                       name=name, source=u.source, new=new[r.sha256] and first)
            for (u, r, f, name), first in zip(checked, _firsts(checked), strict=True)]


def _firsts(checked: list[tuple[Upload, Scan, FileType, str]]) -> list[bool]:
    """Whether each file is the first of its content in the list (a duplicate stores nothing)."""
    seen: set[str] = set()
    out = []
    for _, result, _, _ in checked:
        out.append(result.sha256 not in seen)
        seen.add(result.sha256)
    return out


def check_declared(uploads: Sequence[Upload], policy: EvidencePolicy) -> None:
    """Refuse at once what the declared sizes and the count already exceed (before reading)."""
    check_sizes([(u.name, u.declared_size) for u in uploads], policy)


def check_sizes(files: Sequence[tuple[str, int | None]], policy: EvidencePolicy) -> None:
    """:func:`check_declared` for files not received yet (name, declared size): a front end
    asks before it downloads them."""
    if len(files) > policy.max_files_per_report:
        raise FileTooLarge(f"一次最多提交 {policy.max_files_per_report} 个文件（督办规则 "
                           f"evidence.max_files_per_report），本次有 {len(files)} 个，均未接收")
    total = 0
    for name, declared in files:
        size = declared or 0
        if size > policy.max_file_mb * MIB:
            raise _file_too_large(clean_name(name), policy, size)
        total += size
    if total > policy.max_report_mb * MIB:
        raise _report_too_large(policy, total)


def _file_too_large(name: str, policy: EvidencePolicy, size: int | None) -> FileTooLarge:
    told = f"大小为 {megabytes(size)}，" if size else ""
    return FileTooLarge(f"文件“{name}”{told}超过单个文件 {policy.max_file_mb} MB 的上限"
                        "（督办规则 evidence.max_file_mb），未接收；请压缩或分拆后重新发送")


def _report_too_large(policy: EvidencePolicy, size: int | None) -> FileTooLarge:
    told = f"（{megabytes(size)}）" if size else ""
    return FileTooLarge(f"本次提交的文件合计{told}超过每次 {policy.max_report_mb} MB 的上限"
                        "（督办规则 evidence.max_report_mb），均未接收；请分次提交")


def _check_one(upload: Upload, policy: EvidencePolicy,
               used: int) -> tuple[Upload, Scan, FileType, str]:
    """Scan and check one upload: (upload, scan, its type, its cleaned name); raises the refusal.
    The caller closes the scan's spooled copy, if any."""
    name = clean_name(upload.name)
    per_file, remaining = policy.max_file_mb * MIB, policy.max_report_mb * MIB - used

    def too_large(size: int) -> FileTooLarge:
        if size > per_file:
            return _file_too_large(name, policy, upload.declared_size)
        return _report_too_large(policy, None)

    result = scan(upload.stream, name=name, limit=min(per_file, remaining), too_large=too_large)
    try:
        if upload.declared_size is not None and upload.declared_size != result.size:
            raise checks.broken(name, f"应为 {upload.declared_size} 字节，只收到 {result.size} 字节")
        found = checks.resolve(result)
    except BaseException:
        if result.local is not None and result.local is not upload.stream:
            result.local.close()
        raise
    return upload, result, found, with_extension(name, found.extensions)


def _put(session: Session, result: Scan, found: FileType, now: datetime) -> bool:
    chunks = -(-result.size // CHUNK)
    claimed = claim_blob(session, {
        "sha256": result.sha256, "size": result.size, "mime": found.mime, "kind": found.kind,
        "chunk_size": CHUNK, "chunks": chunks, "created_at": now})
    if claimed:
        blob_store(session).put(result.sha256, _verified_chunks(result))
    return claimed


def _verified_chunks(result: Scan) -> Iterator[bytes]:
    """The content again, from the start, checked against the hash of the first pass."""
    stream = result.local
    assert stream is not None
    stream.seek(result.start)
    digest, size = hashlib.sha256(), 0
    while chunk := read_full(stream, CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if size > result.size:
            break
        yield chunk
    if size != result.size or digest.hexdigest() != result.sha256:
        raise FileRejected(f"文件“{result.name}”在接收过程中发生了变化，未接收；请重新发送")
