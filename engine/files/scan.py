"""The first pass over an upload: hash, size, type, and what the structure checks need.

One sequential read, :data:`CHUNK` bytes at a time, so memory stays bounded whatever the file's
size. The type is decided from the first chunk, so an executable is refused before the rest is
read; the size limit is enforced while reading, so an oversize upload is refused as soon as it
passes the limit (a declared size is never trusted). A stream that cannot seek is copied to an
anonymous temporary file on the way, so that the checks and the store can read it again.
"""

from __future__ import annotations

import codecs
import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, BinaryIO

from engine.errors import DubanError, FileRejected
from engine.files import sniff

CHUNK = 256 * 1024
"""Bytes read (and stored per row) at a time."""

HEAD = 64 * 1024
TAIL = 64 * 1024
"""Bytes kept of the start and the end of a file for the structure checks."""

NEEDLES: dict[str, tuple[bytes, ...]] = {
    # PDF actions that start programs, and files hidden inside the PDF.
    "pdf": (b"/Launch", b"/EmbeddedFile"),
    # Stream names of compound files (UTF-16LE in the directory entries).
    "ole": tuple(n.encode("utf-16-le") for n in (
        "WordDocument", "Workbook", "Book", "_VBA_PROJECT", "Ole10Native")),
}
_JPEG_EOI = b"\xff\xd9"
_BAD_TEXT = {chr(c) for c in range(32) if chr(c) not in "\t\n\r\f"} | {"\x7f"}


@dataclass
class Scan:
    """What the first pass learnt about one file."""

    name: str
    found: sniff.FileType | str | None = None
    size: int = 0
    sha256: str = ""
    head: bytes = b""
    tail: bytes = b""
    markers: set[bytes] = field(default_factory=set)
    last_eoi_end: int = 0
    """JPEG: the offset just after the last ``FF D9`` (end-of-image) seen."""
    text_encoding: str | None = None
    """For a file no binary type claimed: the text encoding it decodes in, else ``None``."""
    local: BinaryIO | None = None
    """The content to read again: the original stream, or its spooled copy."""
    start: int = 0
    """Offset of the content in :attr:`local`."""


def read_full(stream: IO[bytes], size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream (short reads are retried)."""
    parts, wanted = [], size
    while wanted > 0:
        data = stream.read(wanted)
        if not data:
            break
        parts.append(data)
        wanted -= len(data)
    return b"".join(parts)


class _Texts:
    """Incremental UTF-8 and GB18030 decoders: which still accept the bytes seen so far."""

    def __init__(self) -> None:
        self.decoders = {name: codecs.getincrementaldecoder(name)("strict")
                         for name in ("utf-8", "gb18030")}

    def feed(self, data: bytes, final: bool = False) -> None:
        for name, decoder in list(self.decoders.items()):
            try:
                text = decoder.decode(data, final)
            except UnicodeDecodeError:
                del self.decoders[name]
                continue
            if _BAD_TEXT.intersection(text):
                del self.decoders[name]

    @property
    def encoding(self) -> str | None:
        return next(iter(self.decoders), None)


def scan(stream: BinaryIO, *, name: str, limit: int,
         too_large: Callable[[int], DubanError]) -> Scan:
    """Read ``stream`` once (see the module docstring). ``too_large(size)`` builds the refusal
    when more than ``limit`` bytes arrive. Raises :class:`FileRejected` for an empty file and
    for types refused by :func:`engine.files.sniff.detect`."""
    local, start = _local(stream)
    try:
        return _read(stream, Scan(name=name, local=local, start=start), limit, too_large)
    except BaseException:
        if local is not stream:
            local.close()
        raise


def _read(stream: BinaryIO, result: Scan, limit: int,
          too_large: Callable[[int], DubanError]) -> Scan:
    local, name = result.local, result.name
    assert local is not None
    digest = hashlib.sha256()
    first = read_full(stream, CHUNK)
    if not first:
        raise FileRejected(f"文件“{name}”是空文件，未接收")
    result.found = sniff.detect(first, name)
    family = result.found if isinstance(result.found, str) else (
        result.found.kind if result.found is not None else None)
    needles = NEEDLES.get(family or "", ())
    texts = _Texts() if result.found is None else None
    chunk, overlap = first, b""
    while chunk:
        result.size += len(chunk)
        if result.size > limit:
            raise too_large(result.size)
        digest.update(chunk)
        if local is not stream:
            local.write(chunk)
        _inspect(result, chunk, overlap, needles, texts)
        overlap = chunk[-32:]
        chunk = read_full(stream, CHUNK)
    if texts is not None:
        texts.feed(b"", final=True)
        result.text_encoding = texts.encoding
    result.head, result.sha256 = first[:HEAD], digest.hexdigest()
    return result


def _inspect(result: Scan, chunk: bytes, overlap: bytes, needles: tuple[bytes, ...],
             texts: _Texts | None) -> None:
    """Look at the chunk that ends at ``result.size``; searches see the end of the previous
    chunk (``overlap``) in front of it, so that nothing spanning two chunks is missed."""
    result.tail = (result.tail + chunk)[-TAIL:]
    window = overlap + chunk
    for needle in needles:
        if needle in window:
            result.markers.add(needle)
    if result.found is sniff.JPEG:
        at = window.rfind(_JPEG_EOI)
        if at >= 0:
            result.last_eoi_end = max(result.last_eoi_end, result.size - len(window) + at + 2)
    if texts is not None and texts.decoders:
        texts.feed(chunk)


def _local(stream: BinaryIO) -> tuple[BinaryIO, int]:
    """A seekable copy to read the content again: the stream itself when it can seek."""
    try:
        if stream.seekable():
            return stream, stream.tell()
    except (AttributeError, OSError, ValueError):
        pass
    return tempfile.TemporaryFile(), 0  # noqa: SIM115 - closed by the ingest when done
