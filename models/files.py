"""Evidence files (销号材料): stored content, once per SHA-256, and where each file is attached.

- ``file_blob``: one row per distinct content (its hash, size, sniffed type);
- ``file_chunk``: the content itself, in order, a bounded number of bytes per row, so that no
  reader or writer ever holds a whole file;
- ``attachment``: a file as given with a progress report, a completion or extension request,
  or a directive (the scanned 批示), under the name it was given.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, BigInteger, Index, LargeBinary, String, event
from sqlmodel import Field

from models.base import Model
from models.types import UTCDateTime


class FileBlob(Model, table=True):
    """A stored content, addressed by its SHA-256 (hex): the same file sent twice is kept once."""

    __tablename__ = "file_blob"
    sha256: str = Field(sa_type=String(64), primary_key=True)
    size: int = Field(sa_type=BigInteger)
    mime: str = Field(sa_type=String(100))
    # image, pdf, word, excel or text (engine.files.sniff.KINDS)
    kind: str = Field(sa_type=String(16))
    chunk_size: int
    chunks: int
    created_at: datetime = Field(sa_type=UTCDateTime)


class FileChunk(Model, table=True):
    """Part ``seq`` (from 0) of a blob's content: bytes ``seq * chunk_size`` onwards."""

    __tablename__ = "file_chunk"
    sha256: str = Field(sa_type=String(64), foreign_key="file_blob.sha256", primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)


# Photos and PDFs do not compress: PostgreSQL's TOAST would try (and fail) on every chunk.
# EXTERNAL keeps chunks out of line and uncompressed (also set by migration 0005).
event.listen(FileChunk.__table__, "after_create",  # type: ignore[attr-defined]
             DDL("ALTER TABLE file_chunk ALTER COLUMN data SET STORAGE EXTERNAL")
             .execute_if(dialect="postgresql"))


class Attachment(Model, table=True):
    """One file given with one report, request or directive."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_task", "task_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(sa_type=String(64), foreign_key="file_blob.sha256", index=True)
    # The name as given, cleaned (no path, no control characters, the sniffed type's extension).
    name: str = Field(sa_type=String(255))
    # progress, completion, extension or directive
    purpose: str = Field(sa_type=String(16))
    task_id: int | None = Field(default=None, foreign_key="task.id")
    directive_id: int | None = Field(default=None, foreign_key="directive.id", index=True)
    report_id: int | None = Field(default=None, foreign_key="progress_report.id", index=True)
    extension_id: int | None = Field(default=None, foreign_key="extension_request.id", index=True)
    uploaded_by_id: int | None = Field(default=None, foreign_key="person.id")
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    # Where the file came from when a channel can send it again without an upload
    # ("telegram-photo:<file_id>", "telegram-document:<file_id>").
    source: str | None = Field(default=None, sa_type=String(300))
    created_at: datetime = Field(sa_type=UTCDateTime)
