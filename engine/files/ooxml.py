"""Zip containers: a real Word (.docx) or Excel (.xlsx) file is accepted, nothing else is.

``.docx`` and ``.xlsx`` are zip archives, so "is it a zip" says nothing. A file is accepted as
Word or Excel when its ``[Content_Types].xml`` and main part are there and it carries no macros
and no program; every entry is decompressed once, in bounded pieces, so that a damaged or
truncated file (wrong CRC, missing end of archive) is refused, and a "zip bomb" is stopped by
the :data:`MAX_UNPACKED` bound before it is expanded. Any other zip — a plain archive, a
PowerPoint, an OFD — is refused with a message that says what it is.
"""

from __future__ import annotations

import io
import zipfile
from typing import BinaryIO

from engine.errors import FileRejected
from engine.files import sniff
from engine.files.names import extension

MAX_UNPACKED = 512 * 1024 * 1024
"""Bytes an Office file may expand to (a 20 MB .xlsx of text expands to some 200 MB)."""
_PIECE = 64 * 1024


class _Slice(io.RawIOBase):
    """``size`` bytes of ``stream`` from ``start``, as a file of their own (for zipfile)."""

    def __init__(self, stream: BinaryIO, start: int, size: int) -> None:
        self.stream, self.start, self.size, self.pos = stream, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), self.size - self.pos)
        if wanted <= 0:
            return 0
        self.stream.seek(self.start + self.pos)
        data = self.stream.read(wanted)
        buffer[:len(data)] = data
        self.pos += len(data)
        return len(data)


def inspect(stream: BinaryIO, start: int, size: int, name: str) -> sniff.FileType:
    """The Office type of the zip at ``start`` in ``stream``; raises :class:`FileRejected`."""
    try:
        with zipfile.ZipFile(_Slice(stream, start, size)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            found = _office_type(archive, names, name)
            _check_entries(archive, entries, name)
            return found
    except zipfile.BadZipFile as exc:
        raise FileRejected(f"文件“{name}”不完整或已损坏（压缩结构错误：{exc}），未接收；"
                           "请重新发送原文件") from None
    except FileRejected:
        raise
    except Exception:  # noqa: BLE001 - any failure to decode an untrusted archive: it is broken
        raise FileRejected(f"文件“{name}”不完整或已损坏（无法读取其中的内容），未接收；"
                           "请重新发送原文件") from None


def _office_type(archive: zipfile.ZipFile, names: set[str], name: str) -> sniff.FileType:
    lowered = {n.lower() for n in names}
    programs = sorted(n for n in names if extension(n) in sniff.EXECUTABLE_EXTENSIONS)
    if "[content_types].xml" not in lowered:
        if programs:
            raise sniff.refuse(name, f"内含可执行程序（{programs[0]}）的压缩包")
        if "ofd.xml" in lowered:
            raise sniff.refuse(name, "OFD 版式文件（请另存为 PDF 后上传）")
        raise sniff.refuse(name, "zip 压缩包")
    if any(n.endswith("vbaproject.bin") for n in lowered):
        raise FileRejected(f"文件“{name}”含有宏（可执行代码），不予接收；请另存为不含宏的文档后上传")
    if programs:
        raise FileRejected(f"文件“{name}”中嵌入了可执行程序（{programs[0]}），不予接收")
    if "word/document.xml" in lowered:
        return sniff.DOCX
    if "xl/workbook.xml" in lowered:
        return sniff.XLSX
    if "ppt/presentation.xml" in lowered:
        raise sniff.refuse(name, "PowerPoint 演示文稿（请另存为 PDF 后上传）")
    raise sniff.refuse(name, "无法识别的 Office 文件")


def _check_entries(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], name: str) -> None:
    """Decompress every entry once (CRC checked by zipfile at its end), looking at the start of
    each for a program's signature and inside embedded objects for packaged files."""
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED:
        raise FileRejected(f"文件“{name}”解压后体积异常（超过 {MAX_UNPACKED // 2**20} MB），"
                           "疑似恶意文件，不予接收")
    packaged = "Ole10Native".encode("utf-16-le")
    for entry in entries:
        embedded = "embeddings/" in entry.filename.lower()
        with archive.open(entry) as member:
            first, previous = True, b""
            while piece := member.read(_PIECE):
                if first and any(piece.startswith(magic) for magic, _ in sniff.EXECUTABLE_MAGIC):
                    raise FileRejected(f"文件“{name}”中嵌入了可执行程序（{entry.filename}），不予接收")
                if embedded and packaged in previous[-32:] + piece:
                    raise FileRejected(f"文件“{name}”中嵌入了程序包，不予接收")
                first, previous = False, piece
