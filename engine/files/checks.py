"""Is the file whole, and is it what it claims? Structure checks per type, after the first pass.

Each check reads only the few bytes it needs (segment and chunk headers, the head and tail kept
by the scan) from the seekable copy. A file cut short anywhere — a dropped connection, a
download stopped half-way — fails them: its segments run past the end, or its end marker is
missing. Refusals name the file and say what is wrong, in Chinese.
"""

from __future__ import annotations

import struct

from engine.errors import FileRejected
from engine.files import ooxml, sniff
from engine.files.names import extension
from engine.files.scan import Scan

MAX_STEPS = 1_000_000
"""Structure elements walked at most (a hostile file cannot make a walk endless)."""


def broken(name: str, detail: str) -> FileRejected:
    return FileRejected(f"文件“{name}”不完整或已损坏（{detail}），未接收；请重新发送原文件")


def _at(scan: Scan, offset: int, size: int) -> bytes:
    stream = scan.local
    assert stream is not None
    stream.seek(scan.start + offset)
    return stream.read(size)


def resolve(scan: Scan) -> sniff.FileType:
    """The accepted type of the scanned file, after its structure checks; raises
    :class:`FileRejected` for a broken, truncated, executable-bearing or unrecognised file."""
    found = scan.found
    if found == sniff.ZIP_FAMILY:
        assert scan.local is not None
        return ooxml.inspect(scan.local, scan.start, scan.size, scan.name)
    if found == sniff.OLE_FAMILY:
        return _ole(scan)
    if found is None:
        return _text(scan)
    assert isinstance(found, sniff.FileType)
    check = _CHECKS.get(found.mime)
    try:
        if check is not None:
            check(scan)
    except struct.error:  # a header field cut short
        raise broken(scan.name, "文件结构错误") from None
    return found


def _jpeg(scan: Scan) -> None:
    pos = 2
    for _ in range(MAX_STEPS):
        head = _at(scan, pos, 4)
        if len(head) < 2 or head[0] != 0xFF:
            raise broken(scan.name, "JPEG 段结构错误")
        marker = head[1]
        if marker == 0xFF:
            pos += 1
        elif marker == 0xDA:
            break
        elif marker == 0xD9:
            raise broken(scan.name, "JPEG 图像数据缺失")
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
        else:
            if len(head) < 4:
                raise broken(scan.name, "JPEG 文件被截断")
            pos += 2 + struct.unpack(">H", head[2:4])[0]
        if pos >= scan.size:
            raise broken(scan.name, "JPEG 文件被截断")
    if scan.last_eoi_end <= pos + 2:
        raise broken(scan.name, "JPEG 文件缺少结束标记，可能被截断")


def _png(scan: Scan) -> None:
    pos = 8
    for _ in range(MAX_STEPS):
        header = _at(scan, pos, 8)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I4s", header)
        pos += 12 + length
        if pos > scan.size:
            break
        if kind == b"IEND":
            return
    raise broken(scan.name, "PNG 文件被截断")


def _gif(scan: Scan) -> None:
    if not scan.tail.rstrip(b"\x00").endswith(b";"):
        raise broken(scan.name, "GIF 文件缺少结束标记")


def _webp(scan: Scan) -> None:
    declared = struct.unpack("<I", scan.head[4:8])[0] + 8
    if declared > scan.size or scan.size > declared + 1:
        raise broken(scan.name, f"WebP 声明长度 {declared} 字节，实际 {scan.size} 字节")


def _bmp(scan: Scan) -> None:
    declared, = struct.unpack("<I", scan.head[2:6])
    data_at, = struct.unpack("<I", scan.head[10:14])
    if declared > scan.size or data_at >= scan.size:
        raise broken(scan.name, "BMP 文件被截断")


def _iso_boxes(scan: Scan) -> None:
    """HEIC/HEIF/AVIF: the top-level boxes must tile the file exactly."""
    pos = 0
    for _ in range(MAX_STEPS):
        if pos == scan.size:
            return
        header = _at(scan, pos, 16)
        if len(header) < 8:
            break
        size = struct.unpack(">I", header[:4])[0]
        if size == 1 and len(header) == 16:
            size = struct.unpack(">Q", header[8:16])[0]
        elif size == 0:
            size = scan.size - pos
        if size < 8:
            break
        pos += size
        if pos > scan.size:
            break
    raise broken(scan.name, "图片文件的数据块不完整")


def _tiff(scan: Scan) -> None:
    """The first image's strips (or tiles) must lie inside the file."""
    order = "<" if scan.head[:2] == b"II" else ">"
    ifd = struct.unpack(order + "I", _at(scan, 4, 4).ljust(4, b"\0"))[0]
    count_raw = _at(scan, ifd, 2)
    if ifd < 8 or len(count_raw) < 2:
        raise broken(scan.name, "TIFF 目录超出文件范围")
    count = struct.unpack(order + "H", count_raw)[0]
    entries = _at(scan, ifd + 2, 12 * count)
    if len(entries) < 12 * count:
        raise broken(scan.name, "TIFF 目录被截断")
    tags: dict[int, list[int]] = {}
    for i in range(count):
        tag, kind, n, value = struct.unpack(order + "HHI4s", entries[12 * i:12 * i + 12])
        if tag in (273, 279, 324, 325):
            tags[tag] = _tiff_values(scan, order, kind, n, value)
    offsets = tags.get(273) or tags.get(324) or []
    counts = tags.get(279) or tags.get(325) or []
    ends = [o + c for o, c in zip(offsets, counts, strict=False)]
    if not ends or max(ends) > scan.size:
        raise broken(scan.name, "TIFF 图像数据被截断")


def _tiff_values(scan: Scan, order: str, kind: int, n: int, value: bytes) -> list[int]:
    width = {3: 2, 4: 4, 16: 8}.get(kind)
    if width is None or n > MAX_STEPS:
        raise broken(scan.name, "TIFF 目录项类型错误")
    fmt = {2: "H", 4: "I", 8: "Q"}[width]
    raw = value if n * width <= 4 else _at(scan, struct.unpack(order + "I", value)[0], n * width)
    if len(raw) < n * width:
        raise broken(scan.name, "TIFF 目录被截断")
    return list(struct.unpack(order + fmt * n, raw[:n * width]))


def _pdf(scan: Scan) -> None:
    if b"%%EOF" not in scan.tail[-2048:]:
        raise broken(scan.name, "PDF 文件缺少结束标记，可能被截断")
    if b"/Launch" in scan.markers:
        raise FileRejected(f"文件“{scan.name}”中含有启动外部程序的动作，存在安全风险，不予接收")
    if b"/EmbeddedFile" in scan.markers:
        raise FileRejected(f"文件“{scan.name}”中夹带了其他文件，不予接收；请将各文件分别上传")


_CHECKS = {t.mime: check for t, check in (
    (sniff.JPEG, _jpeg), (sniff.PNG, _png), (sniff.GIF, _gif), (sniff.WEBP, _webp),
    (sniff.BMP, _bmp), (sniff.HEIC, _iso_boxes), (sniff.AVIF, _iso_boxes),
    (sniff.TIFF, _tiff), (sniff.PDF, _pdf))}


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _ole(scan: Scan) -> sniff.FileType:
    """.doc / .xls (compound files): whole sectors, no macros, no packaged programs."""
    shift = struct.unpack("<H", scan.head[30:32])[0] if len(scan.head) >= 512 else 0
    if shift not in (9, 12):
        raise broken(scan.name, "Office 复合文档头部错误")
    sector = 1 << shift
    header = max(512, sector)
    sectors = (scan.size - header) // sector
    fat = [s for s in struct.unpack("<109I", scan.head[76:512]) if s < 0xFFFFFFFA]
    first_dir = struct.unpack("<I", scan.head[48:52])[0]
    if (scan.size - header) % sector or not fat or max([*fat, first_dir]) >= sectors:
        raise broken(scan.name, "Office 复合文档被截断")
    if _utf16("_VBA_PROJECT") in scan.markers:
        raise FileRejected(f"文件“{scan.name}”含有宏（可执行代码），不予接收；请另存为不含宏的文档后上传")
    if _utf16("Ole10Native") in scan.markers:
        raise FileRejected(f"文件“{scan.name}”中嵌入了程序包，不予接收")
    if _utf16("WordDocument") in scan.markers:
        return sniff.DOC
    if scan.markers & {_utf16("Workbook"), _utf16("Book")}:
        return sniff.XLS
    raise sniff.refuse(scan.name, "无法识别的复合文档（可能是安装程序或其他格式）")


def _text(scan: Scan) -> sniff.FileType:
    if scan.text_encoding is None:
        raise FileRejected(f"无法识别文件“{scan.name}”的类型，未接收；只接收{sniff.ACCEPTED_TEXT}")
    if extension(scan.name) in sniff.SCRIPT_EXTENSIONS:
        raise sniff.refuse(scan.name, "脚本或网页（可被执行）")
    if scan.text_encoding == "gb18030":
        return sniff.FileType("text", "text/plain; charset=gb18030", sniff.TEXT.label,
                              sniff.TEXT.extensions)
    return sniff.TEXT

