"""What a file is, judged from its content; whole or broken; names made safe (no database)."""

from __future__ import annotations

import io
import struct

import pytest

from engine.errors import DubanError, FileRejected
from engine.files import checks
from engine.files.names import MAX_NAME, clean_name, with_extension
from engine.files.scan import scan
from tests.support import samples


def resolve(name: str, data: bytes) -> str:
    result = scan(io.BytesIO(data), name=name, limit=len(data) + 1,
                  too_large=lambda n: DubanError("too large"))
    return checks.resolve(result).mime


def _tiff(cut: int = 0) -> bytes:
    pixels = b"\x80" * 64
    entries = [(256, 3, 1, 8), (257, 3, 1, 8), (273, 4, 1, 8 + 2 + 12 * 4 + 4), (279, 4, 1, 64)]
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", *e) for e in entries) + b"\0\0\0\0"
    data = b"II*\x00" + struct.pack("<I", 8) + ifd + pixels
    return data[:len(data) - cut]


def _heic(cut: int = 0) -> bytes:
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"heic", 0, b"mif1", b"heic")
    mdat = struct.pack(">I4s", 8 + 100, b"mdat") + b"\x01" * 100
    data = ftyp + mdat
    return data[:len(data) - cut]


ACCEPTED = [
    ("photo.jpg", samples.jpeg(20_000), "image/jpeg"),
    ("图.png", samples.png(), "image/png"),
    ("a.gif", b"GIF89a" + b"\x01\x00\x01\x00\x00\x00\x00" + b"\x3b", "image/gif"),
    ("a.webp", b"RIFF" + struct.pack("<I", 12) + b"WEBPVP8 " + b"\0" * 4, "image/webp"),
    ("a.bmp", b"BM" + struct.pack("<I", 60) + b"\0\0\0\0" + struct.pack("<I", 54) + b"\0" * 46,
     "image/bmp"),
    ("scan.tif", _tiff(), "image/tiff"),
    ("iphone.heic", _heic(), "image/heic"),
    ("报告.pdf", samples.pdf(), "application/pdf"),
    ("报告.docx", samples.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("台账.xlsx", samples.xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("旧.doc", samples.ole_doc(), "application/msword"),
    ("旧.xls", samples.ole_doc("Workbook"), "application/vnd.ms-excel"),
    ("说明.txt", "整改情况：已完成。\n".encode(), "text/plain; charset=utf-8"),
    ("说明.txt", "整改情况：已完成。\n".encode("gbk"), "text/plain; charset=gb18030"),
]


@pytest.mark.parametrize(("name", "data", "mime"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted_types(name: str, data: bytes, mime: str) -> None:
    assert resolve(name, data) == mime


REFUSED = [
    ("整改照片.jpg", samples.windows_program(), "Windows 可执行程序"),
    ("a.jpg", b"\x7fELF\x02\x01\x01" + b"\0" * 100, "Linux 可执行程序"),
    ("run.txt", b"#!/bin/sh\nrm -rf /\n", "脚本程序"),
    ("材料.zip", samples.zip_with_program(), "内含可执行程序（setup.exe）"),
    ("plain.zip", samples.zip_with_program().replace(b"setup.exe", b"setup.dat"), "zip 压缩包"),
    ("a.rar", b"Rar!\x1a\x07\x00" + b"\0" * 50, "RAR 压缩包"),
    ("a.7z", b"7z\xbc\xaf\x27\x1c" + b"\0" * 50, "7z 压缩包"),
    ("宏.docx", samples.docx_with_macros(), "含有宏"),
    ("安装.msi", samples.ole_doc("SummaryInformation"), "复合文档"),
    ("宏.doc", samples.ole_doc("_VBA_PROJECT"), "含有宏"),
    ("launch.pdf", samples.pdf("/Launch /Win"), "启动外部程序"),
    ("nested.pdf", samples.pdf("/EmbeddedFile"), "夹带了其他文件"),
    ("page.html", b"<html><script>alert(1)</script></html>", "脚本或网页"),
    ("data.bin", bytes(range(256)), "无法识别"),
    ("empty.jpg", b"", "空文件"),
    ("cut.jpg", samples.jpeg(20_000)[:12_000], "JPEG 文件缺少结束标记"),
    ("cut.png", samples.png()[:-6], "PNG 文件被截断"),
    ("cut.pdf", samples.pdf()[:-10], "PDF 文件缺少结束标记"),
    ("cut.docx", samples.docx()[:-500], "压缩结构错误"),
    ("cut.doc", samples.ole_doc()[:-100], "复合文档被截断"),
    ("cut.tif", _tiff(cut=10), "TIFF 图像数据被截断"),
    ("cut.heic", _heic(cut=10), "数据块不完整"),
]


@pytest.mark.parametrize(("name", "data", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_types(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(FileRejected, match=reason) as refused:
        resolve(name, data)
    assert f"“{name}”" in str(refused.value)


def test_corrupted_office_entry_is_refused() -> None:
    data = bytearray(samples.docx())
    at = data.index(b"word/document.xml") + 40  # inside that entry's compressed data
    data[at:at + 8] = b"\x00" * 8
    with pytest.raises(FileRejected, match="不完整或已损坏"):
        resolve("坏.docx", bytes(data))


def test_marker_spanning_two_chunks_is_found() -> None:
    from engine.files.scan import CHUNK

    head = samples.pdf()[:-6]
    filler = b"%" + b"x" * (CHUNK - len(head) - 4) + b"\n"
    data = head + filler + b"/Launch" + b"\n%%EOF\n"
    assert data.index(b"/Launch") < CHUNK < data.index(b"/Launch") + 7
    with pytest.raises(FileRejected, match="启动外部程序"):
        resolve("split.pdf", data)


@pytest.mark.parametrize(("raw", "clean"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\a\\整改 照片.JPG", "整改 照片.JPG"),
    ("gpj.exe\u202e.jpg", "gpj.exe.jpg"),
    ("a\x00b\x1fc.txt", "abc.txt"),
    ("  .hidden. ", "hidden"),
    ("CON.txt", "_CON.txt"),
    ('a<b>:c"|?*.pdf', "a_b__c____.pdf"),
    ("", "文件"),
    ("/", "文件"),
    ("x" * 300 + ".jpeg", "x" * (MAX_NAME - 5) + ".jpeg"),
])
def test_clean_name(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


def test_extension_follows_the_content() -> None:
    assert with_extension("整改报告.jpg", (".pdf",)) == "整改报告.pdf"
    assert with_extension("照片", (".jpg", ".jpeg")) == "照片.jpg"
    assert with_extension("照片.JPEG", (".jpg", ".jpeg")) == "照片.JPEG"
