"""Evidence files through the engine services, on both databases: stored once per hash, in the
audit trail, limited by policy, all-or-nothing, read back only by those allowed."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.policy import CompletionEvidence, EvidencePolicy
from engine.errors import (
    EvidenceRequired,
    FileCorrupted,
    FileRejected,
    FileTooLarge,
    NotFound,
    PermissionDenied,
)
from engine.files.access import export_file, readable_file, task_files
from engine.files.ingest import MIB, Upload
from engine.files.scan import CHUNK
from engine.read.detail import task_detail
from engine.store.policy import get_policy, save_policy
from engine.tasks.actions import acknowledge, report_progress, request_completion
from engine.tasks.directives import create_directive
from engine.tasks.extensions import request_extension
from models import (
    Attachment,
    AuditEvent,
    DirectiveCreate,
    FileBlob,
    FileChunk,
    OutboxMessage,
    ProgressReport,
)
from tests.factories import ISSUED, City, act, make_city, make_task, operator
from tests.support import samples

NOW = ISSUED + timedelta(days=1)


def _city(session: Session, **evidence: Any) -> tuple[City, str]:
    city = make_city(session)
    city.office.telegram_chat_id = 9100
    session.add(city.office)
    if evidence:
        save_policy(session, policy=get_policy(session).model_copy(
            update={"evidence": EvidencePolicy(**evidence)}), now=ISSUED)
    session.commit()
    task = make_task(session, city)
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=ISSUED)
    return city, task.code


def up(name: str, data: bytes, declared: int | None = None) -> Upload:
    return Upload(name=name, stream=io.BytesIO(data), declared_size=declared)


def counts(session: Session) -> dict[str, int]:
    return {t.__name__: session.exec(select(func.count()).select_from(t)).one()
            for t in (FileBlob, FileChunk, Attachment, ProgressReport, AuditEvent, OutboxMessage)}


def test_same_file_twice_is_stored_once_and_audited(session: Session) -> None:
    city, code = _city(session)
    photo = samples.jpeg(3 * CHUNK + 1000, seed=2)  # four chunks
    report_progress(session=session, task=code, actor=act(city.fire_contact), text="东区",
                    now=NOW, files=[up("东区.jpg", photo)])
    report_progress(session=session, task=code, actor=act(city.fire_contact), text="又发一次",
                    now=NOW, files=[up("IMG_0001.JPG", photo), up("说明.txt", "情况说明".encode())])
    blobs = session.exec(select(FileBlob)).all()
    assert len(blobs) == 2 and session.exec(select(func.count()).select_from(FileChunk)).one() == 5
    sha = hashlib.sha256(photo).hexdigest()
    (jpeg,) = [b for b in blobs if b.sha256 == sha]
    assert (jpeg.size, jpeg.chunks, jpeg.mime, jpeg.kind) == (len(photo), 4, "image/jpeg", "image")
    files = task_files(session, session.exec(select(Attachment.task_id)).first() or 0)
    assert [f.name for f in files] == ["东区.jpg", "IMG_0001.JPG", "说明.txt"]
    assert files[0].sha256 == files[1].sha256 == sha and files[0].size == len(photo)
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "report_progress")
                          .order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
    assert events[0].after["files"] == [  # type: ignore[index]
        {"sha256": sha, "size": len(photo), "type": "image/jpeg", "name": "东区.jpg"}]
    assert [f["name"] for f in events[1].after["files"]] == ["IMG_0001.JPG", "说明.txt"]  # type: ignore[index]
    detail = task_detail(session=session, actor=operator(), code=code, now=NOW).to_json()
    assert [r["id"] for r in detail["reports"]] == [f["report_id"] for f in detail["files"][:2]]
    twice = samples.jpeg(5000, seed=31)  # the same new photo twice in one album
    report_progress(session=session, task=code, actor=act(city.fire_contact), text="", now=NOW,
                    files=[up("甲.jpg", twice), up("乙.jpg", twice)])
    assert session.exec(select(func.count()).select_from(FileBlob)).one() == 3
    assert session.exec(select(func.count()).select_from(Attachment)).one() == 5


def test_limits_are_policy_and_stated_in_chinese(session: Session) -> None:
    city, code = _city(session, max_file_mb=1, max_report_mb=2, max_files_per_report=3)
    before = counts(session)
    big = samples.jpeg(MIB + 10, seed=3)
    with pytest.raises(FileTooLarge, match="超过单个文件 1 MB 的上限（督办规则 evidence.max_file_mb）"):
        report_progress(session=session, task=code, actor=act(city.fire_contact), text="x", now=NOW,
                        files=[up("大.jpg", big)])  # no declared size: found while reading
    with pytest.raises(FileTooLarge, match="大小为 1.0 MB"):
        report_progress(session=session, task=code, actor=act(city.fire_contact), text="x", now=NOW,
                        files=[up("大.jpg", big, declared=len(big))])
    three = [up(f"{i}.jpg", samples.jpeg(900_000, seed=i)) for i in range(3)]
    with pytest.raises(FileTooLarge, match="合计超过每次 2 MB 的上限"):
        report_progress(session=session, task=code, actor=act(city.fire_contact), text="x", now=NOW,
                        files=three)
    with pytest.raises(FileTooLarge, match="一次最多提交 3 个文件"):
        report_progress(session=session, task=code, actor=act(city.fire_contact), text="x", now=NOW,
                        files=[up(f"{i}.txt", b"ok") for i in range(4)])
    assert counts(session) == before


def test_a_bad_file_among_good_ones_stores_nothing(session: Session) -> None:
    city, code = _city(session)
    before = counts(session)
    cut = samples.jpeg(50_000, seed=4)
    with pytest.raises(FileRejected, match="应为 50000 字节，只收到 30000 字节"):
        report_progress(session=session, task=code, actor=act(city.fire_contact), text="x", now=NOW,
                        files=[up("好.jpg", samples.jpeg(9000)), up("断.jpg", cut[:30_000], 50_000)])
    with pytest.raises(FileRejected, match="可执行程序"):
        request_completion(session=session, task=code, actor=act(city.fire_head), evidence="照片",
                           now=NOW, files=[up("好.jpg", samples.jpeg(9000)),
                                           up("整改.jpg", samples.windows_program())])
    assert counts(session) == before


class _OneWay(io.RawIOBase):
    """A stream that cannot seek (like a socket)."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self.inner.readinto(buffer)


class _Shifty(io.BytesIO):
    """Gives other bytes once it is read again from the start (after the checks)."""

    reads = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self.reads += 1
            if self.reads == 1:
                data = bytearray(self.getvalue())
                data[5000] ^= 1
                super().seek(0)
                super().write(bytes(data))
        return super().seek(offset, whence)


def test_streams_that_cannot_seek_or_that_change(session: Session) -> None:
    city, code = _city(session)
    photo = samples.jpeg(2 * CHUNK + 7, seed=5)
    report_progress(session=session, task=code, actor=act(city.fire_contact), text="x", now=NOW,
                    files=[Upload("流.jpg", _OneWay(photo))])  # type: ignore[arg-type]
    assert session.exec(select(FileBlob.sha256)).one() == hashlib.sha256(photo).hexdigest()
    before = counts(session)
    shifty = _Shifty(samples.jpeg(20_000, seed=6))
    with pytest.raises(FileRejected, match="在接收过程中发生了变化"):
        report_progress(session=session, task=code, actor=act(city.fire_contact), text="x", now=NOW,
                        files=[Upload("变.jpg", shifty)])
    assert counts(session) == before


def test_a_unit_cannot_attach_to_another_units_task(session: Session) -> None:
    city, code = _city(session)
    before = counts(session)
    with pytest.raises(NotFound, match="未找到督办事项"):  # outside its scope: as if missing
        report_progress(session=session, task=code, actor=act(city.emerg_contact), text="x", now=NOW,
                        files=[up("a.jpg", samples.jpeg(5000))])
    with pytest.raises(PermissionDenied, match="配合单位不能申请办结"):
        request_completion(session=session, task=code, actor=act(city.housing_contact), evidence="x",
                           now=NOW, files=[up("a.jpg", samples.jpeg(5000))])
    assert counts(session) == before


def test_completion_evidence_policy_per_priority(session: Session) -> None:
    city, code = _city(session, completion_requires_file=CompletionEvidence(normal=True))
    urgent = make_task(session, city, due="1小时内", priority="urgent", title="报送火情")
    acknowledge(session=session, task=urgent.code, actor=act(city.fire_contact), now=ISSUED)
    with pytest.raises(EvidenceRequired, match="“普通”事项，按督办规则至少附 1 个文件"):
        request_completion(session=session, task=code, actor=act(city.fire_head), evidence="已整改",
                           now=NOW)
    request_completion(session=session, task=urgent.code, actor=act(city.fire_head),
                       evidence="火情已扑灭", now=ISSUED + timedelta(minutes=30))
    task = request_completion(session=session, task=code, actor=act(city.fire_head), evidence="",
                              now=NOW, files=[up("整改后.jpg", samples.jpeg(7000)),
                                              up("验收单.pdf", samples.pdf())])
    assert task.status == "pending_review"
    evidence = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "evidence")).all()
    # The office (on Telegram) gets each file; the leaders and units get none of them.
    assert len(evidence) == 2 and {m.recipient_id for m in evidence} == {city.office.id}
    review = session.exec(select(OutboxMessage).where(
        OutboxMessage.kind == "review", OutboxMessage.task_id == task.id)).one()
    assert "附 2 个文件：整改后.jpg、验收单.pdf" in review.body
    assert min(m.id or 0 for m in evidence) < (review.id or 0)


def test_directive_original_and_extension_files(session: Session) -> None:
    city, code = _city(session)
    scan = samples.pdf("scanned instruction")
    directive = create_directive(
        session=session, data=DirectiveCreate(kind="instruction", title="关于电动车充电的批示",
                                              issued_at=NOW, issued_by_id=city.secretary.id),
        actor=act(city.office), now=NOW, files=[up("批示原件.pdf", scan)])
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "directive",
                                                  AuditEvent.entity_id == directive.id)).one()
    assert event.after["files"][0]["name"] == "批示原件.pdf"  # type: ignore[index]
    request = request_extension(session=session, task=code, actor=act(city.fire_head),
                                new_due="4月30日前", reason="需省厅审批", now=NOW,
                                files=[up("请示.docx", samples.docx())])
    attachment = session.exec(select(Attachment).where(Attachment.extension_id == request.id)).one()
    assert attachment.purpose == "extension" and attachment.name == "请示.docx"
    sha = hashlib.sha256(scan).hexdigest()
    # The issuer and top leaders may read the original; a unit without a task under it may not.
    assert readable_file(session, ref=sha, actor=act(city.secretary)).name == "批示原件.pdf"
    with pytest.raises(NotFound):
        readable_file(session, ref=sha, actor=act(city.emerg_contact))


def test_who_may_read_and_export(session: Session, tmp_path: Path) -> None:
    city, code = _city(session)
    photo = samples.jpeg(2 * CHUNK + 5, seed=8)
    report_progress(session=session, task=code, actor=act(city.fire_contact), text="x", now=NOW,
                    files=[up("现场.jpg", photo)])
    sha = hashlib.sha256(photo).hexdigest()
    readers = [operator(), *(act(p) for p in (city.office, city.fire_head, city.housing_contact,
                                              city.vice_mayor, city.secretary))]
    for reader in readers:
        assert readable_file(session, ref=sha[:8], actor=reader).size == len(photo)
    with pytest.raises(NotFound, match="未找到哈希为"):  # as if it did not exist
        export_file(session, ref=sha, actor=act(city.emerg_contact), out=tmp_path)
    meta, path = export_file(session, ref=sha.upper()[:10], actor=act(city.office), out=tmp_path)
    assert path == tmp_path / "现场.jpg" and path.read_bytes() == photo
    sink = io.BytesIO()
    export_file(session, ref=sha, actor=act(city.fire_contact), out=sink)
    assert sink.getvalue() == photo and meta.mime == "image/jpeg"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["现场.jpg"]


def test_a_damaged_store_is_reported_and_nothing_is_written(session: Session, engine: Engine,
                                                            tmp_path: Path) -> None:
    city, code = _city(session)
    photo = samples.jpeg(CHUNK + 100, seed=9)
    report_progress(session=session, task=code, actor=act(city.fire_contact), text="x", now=NOW,
                    files=[up("现场.jpg", photo)])
    with engine.begin() as connection:
        connection.execute(update(FileChunk).where(FileChunk.seq == 1)  # type: ignore[arg-type]
                           .values(data=b"tampered"))
    session.expire_all()
    with pytest.raises(FileCorrupted, match="已损坏"):
        export_file(session, ref=hashlib.sha256(photo).hexdigest(), actor=act(city.office),
                    out=tmp_path / "out.jpg")
    assert list(tmp_path.iterdir()) == []


def test_a_large_file_streams(session: Session) -> None:
    """Storing and reading back 20 MB allocates a few chunks' worth of Python objects, not the
    file (a per-copy allocation would show as 20 MB or more)."""
    city, code = _city(session)
    photo = samples.jpeg(20 * MIB - 1, seed=10)
    source = io.BytesIO(photo)
    tracemalloc.start()
    try:
        report_progress(session=session, task=code, actor=act(city.fire_contact), text="x", now=NOW,
                        files=[Upload("大.jpg", source)])
        _, stored_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        sink = _Counting()
        export_file(session, ref=hashlib.sha256(photo).hexdigest(), actor=act(city.office),
                    out=sink)  # type: ignore[arg-type]
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.size == len(photo)
    assert stored_peak < 4 * MIB and read_peak < 4 * MIB, (stored_peak, read_peak)


class _Counting(io.RawIOBase):
    size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.size += len(data)
        return len(data)


def test_the_same_new_file_from_two_sessions_at_once(pg_engine: Engine) -> None:
    """PostgreSQL: the second upload waits for the first's uncommitted blob row, then finds it
    and stores no chunks of its own (one content, two attachments)."""
    import threading

    from engine.files.ingest import store_uploads

    with Session(pg_engine, expire_on_commit=False) as setup:
        city, code = _city(setup)
    photo = samples.jpeg(CHUNK + 10, seed=30)
    first = Session(pg_engine, expire_on_commit=False)
    stored = store_uploads(first, [up("一.jpg", photo)], now=NOW)  # not committed yet
    done: list[Any] = []

    def second() -> None:
        with Session(pg_engine, expire_on_commit=False) as other:
            done.append(report_progress(session=other, task=code, actor=act(city.fire_contact),
                                        text="同一张", now=NOW, files=[up("二.jpg", photo)]))

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive()  # waiting on the first transaction's row
    first.commit()
    first.close()
    thread.join(timeout=10)
    assert done and stored[0].new
    with Session(pg_engine) as check:
        assert check.exec(select(func.count()).select_from(FileBlob)).one() == 1
        assert check.exec(select(func.count()).select_from(FileChunk)).one() == 2
        assert check.exec(select(func.count()).select_from(Attachment)).one() == 1
