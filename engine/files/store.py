"""Where file contents live: the :class:`BlobStore` interface and the database store.

Why the database: every host that runs duban (CLI, bot, workers, web console) already reaches
it, so files need no shared disk and no other service; its backups (``pg_dump``, a copy of the
SQLite file) carry the evidence with the records that cite it; and a file is written in the
same transaction as the report it belongs to, so a refused or broken upload leaves nothing
behind. Contents are split into :data:`engine.files.scan.CHUNK`-byte rows, written and read one
at a time: no reader or writer ever holds a whole file.

The interface is three calls, so that an S3-compatible store can be added later: ``put`` (the
metadata row in ``file_blob`` is still written in the database transaction; an object left by a
rolled-back transaction is unreferenced garbage to sweep, never a dangling reference), ``read``
and ``has``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from engine.store.db import READ_ONLY
from models import FileBlob, FileChunk

BLOB = FileBlob.__table__  # type: ignore[attr-defined]
CHUNKS = FileChunk.__table__  # type: ignore[attr-defined]


class BlobStore(Protocol):
    """Contents by SHA-256. ``put`` runs inside the caller's transaction."""

    def has(self, sha256: str) -> bool: ...

    def put(self, sha256: str, chunks: Iterable[bytes]) -> int:
        """Store the content (its chunks in order); return the number of chunks."""
        ...

    def read(self, sha256: str, chunks: int) -> Iterator[bytes]:
        """The content's chunks in order (``chunks`` as recorded in ``file_blob``)."""
        ...


class DatabaseBlobStore:
    """Chunks as ``file_chunk`` rows on the session's connection (see the module docstring)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def has(self, sha256: str) -> bool:
        found = self.session.connection().execute(
            select(CHUNKS.c.seq).where(CHUNKS.c.sha256 == sha256).limit(1)).first()
        return found is not None

    def put(self, sha256: str, chunks: Iterable[bytes]) -> int:
        connection = self.session.connection()
        statement = CHUNKS.insert()
        count = 0
        for data in chunks:
            connection.execute(statement, {"sha256": sha256, "seq": count, "data": data})
            count += 1
        return count

    def read(self, sha256: str, chunks: int) -> Iterator[bytes]:
        yield from read_chunks(self.session.connection(), sha256, chunks)


def read_chunks(connection: Connection, sha256: str, chunks: int) -> Iterator[bytes]:
    """The content's chunks in order, one query, one chunk in memory at a time.

    PostgreSQL: psycopg's single-row mode (``stream``) in binary, so the bytes arrive as they
    are stored (not as hex text to decode) and never all at once. SQLite steps its cursor row by
    row. ``chunks`` is the number recorded; the caller checks what it receives against the hash.
    A consumer that stops early must end the transaction (on PostgreSQL the abandoned stream
    aborts it): every caller here reads to the end or raises.
    """
    if connection.dialect.name == "postgresql":
        driver: Any = connection.connection.driver_connection
        with driver.cursor(binary=True) as cursor:
            yield from (row[0] for row in cursor.stream(_READ.replace("?", "%s"), (sha256,)))
        return
    for row in connection.exec_driver_sql(_READ, (sha256,)):
        yield row[0]


_READ = "SELECT data FROM file_chunk WHERE sha256 = ? ORDER BY seq"


def claim_blob(session: Session, values: dict[str, Any]) -> bool:
    """Insert the ``file_blob`` row unless the content is stored already; return whether this
    transaction inserted it (and so must store the chunks).

    Two transactions storing the same new content at once: the second waits on the first's
    uncommitted row and then finds it (PostgreSQL), or waits for the write lock (SQLite).
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = session.connection().execute(
        insert(BLOB).values(**values).on_conflict_do_nothing(index_elements=["sha256"])
        .returning(BLOB.c.sha256))
    return result.first() is not None


def blob_store(session: Session) -> BlobStore:
    """The configured store (the database; see the module docstring)."""
    return DatabaseBlobStore(session)


class BlobReader(io.RawIOBase):
    """A stored content as a readable stream, on a connection of its own.

    For channels that want a file object (python-telegram-bot's upload reads one); the
    connection is opened at the first read and closed at the end or on ``close``.
    """

    def __init__(self, bind: Engine | Connection, sha256: str, chunks: int) -> None:
        self.bind, self.sha256, self.chunks = bind, sha256, chunks
        self._connection: Connection | None = None
        self._parts: Iterator[bytes] | None = None
        self._pending, self._offset = b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._offset >= len(self._pending):
            part = next(self._source(), None)
            if part is None:
                self.close()
                return 0
            self._pending, self._offset = part, 0
        size = min(len(buffer), len(self._pending) - self._offset)
        buffer[:size] = memoryview(self._pending)[self._offset:self._offset + size]
        self._offset += size
        return size

    def readall(self) -> bytes:
        out = io.BytesIO()
        while True:
            if self._offset < len(self._pending):
                out.write(memoryview(self._pending)[self._offset:])
            part = next(self._source(), None)
            if part is None:
                self.close()
                return out.getvalue()
            self._pending, self._offset = part, 0

    def _source(self) -> Iterator[bytes]:
        if self._parts is None:
            if isinstance(self.bind, Engine):
                self._connection = self.bind.execution_options(**{READ_ONLY: True}).connect()
                connection = self._connection
            else:
                connection = self.bind
            self._parts = read_chunks(connection, self.sha256, self.chunks)
        return self._parts

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        super().close()
