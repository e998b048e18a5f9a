"""Sample files for the evidence tests and the benchmark, made here (no binary fixtures).

Each is a real file of its type as far as duban's checks look: a JPEG with its segments, scan
data and end marker; a PNG with valid chunks (it decodes); a PDF with an end marker; Word and
Excel files written by python-docx and openpyxl; an old-style Word compound file; and the bad
ones — a Windows program, a zip holding one, a macro-enabled Word file, a truncated photo.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

# A 1×1 baseline JPEG's tables (DQT, SOF0, DHT) up to and including its SOS header.
_JPEG_HEAD = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000"
    "ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720"
    "222c231c1c2837292c30313434341f27393d38323c2e333432"
    "ffc0000b080001000101011100"
    "ffc4001f0000010501010101010100000000000000000102030405060708090a0b"
    "ffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1"
    "082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a5354"
    "55565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6"
    "a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3"
    "f4f5f6f7f8f9fa"
    "ffda0008010100003f00")


def jpeg(size: int = 4096, seed: int = 1) -> bytes:
    """A JPEG of exactly ``size`` bytes whose scan data is random (as incompressible as a
    photo's), 0xFF bytes stuffed as the format requires, ending with the end-of-image marker."""
    body = size - len(_JPEG_HEAD) - 2
    # No marker inside the scan: every FF is followed by 00 (byte stuffing).
    data = random.Random(seed).randbytes(body).replace(b"\xff", b"\xff\x00")[:body]
    if data.endswith(b"\xff"):
        data = data[:-1] + b"\xfe"
    return _JPEG_HEAD + data + b"\xff\xd9"


def png(width: int = 8, height: int = 8, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real, decodable RGB PNG of one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def pdf(text: str = "rectification report") -> bytes:
    body = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% " + text.encode() + b"\n")
    return body + b"trailer<</Root 1 0 R>>\n%%EOF\n"


def docx(text: str = "整改报告") -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["点位", "状态"])  # type: ignore[union-attr]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ole_doc(stream_name: str = "WordDocument") -> bytes:
    """A minimal compound file (header, FAT, directory, one data sector) naming one stream."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[24:34] = struct.pack("<HHH", 0x3E, 3, 0xFFFE) + struct.pack("<H", 9)
    header[44:52] = struct.pack("<II", 1, 1)  # one FAT sector; directory starts at sector 1
    header[76:512] = struct.pack("<I", 0) + b"\xff" * 432  # FAT at sector 0, no others
    fat = struct.pack("<4I", 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE, 0xFFFFFFFE).ljust(512, b"\xff")
    def entry(name: str, kind: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1)).ljust(128, b"\0")
    directory = (entry("Root Entry", 5) + entry(stream_name, 2)).ljust(512, b"\0")
    return bytes(header) + fat + directory + b"\0" * 512


def windows_program() -> bytes:
    return b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + random.Random(7).randbytes(2000)


def zip_with_program() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("说明.txt", "请运行安装程序")
        archive.writestr("setup.exe", windows_program())
    return out.getvalue()


def docx_with_macros() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item))
        archive.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    return out.getvalue()
