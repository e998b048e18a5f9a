"""Sample evidence files for the demo, made on the spot: photos (real PNG images of a scene's
"before" and "after" colours), a PDF report, a spreadsheet of points, a Word document."""

from __future__ import annotations

import io
import struct
import zlib

_COLOURS = {"前": (150, 70, 60), "后": (70, 150, 90)}


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    red, green, blue = colour
    rows = b"".join(b"\x00" + b"".join(bytes(((red + x) % 256, (green + y) % 256, blue))
                                         for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def _pdf(title: str) -> bytes:
    text = title.encode("utf-16-be").hex().upper()
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"3 0 obj<</Title<FEFF" + text.encode() + b">>>endobj\n"
            b"trailer<</Root 1 0 R/Info 3 0 R>>\n%%EOF\n")


def _xlsx(title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([title])
    sheet.append(["序号", "点位", "状态"])
    for number in range(1, 21):
        sheet.append([number, f"点位{number}", "已整改"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _docx(title: str) -> bytes:
    from docx import Document

    document = Document()
    document.add_heading(title, level=1)
    document.add_paragraph("整改情况已逐项落实，现将有关材料报送督查室审核。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def sample_file(name: str) -> bytes:
    """The content of the demo file ``name``, by its extension."""
    stem, _, ext = name.rpartition(".")
    if ext == "png":
        colour = next((c for mark, c in _COLOURS.items() if mark in stem), (90, 110, 160))
        return _png(64, 48, colour)
    if ext == "xlsx":
        return _xlsx(stem)
    if ext == "docx":
        return _docx(stem)
    return _pdf(stem)
