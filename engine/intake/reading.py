"""A document's text from the bytes of a file: UTF-8 or GB18030 text, or a Word .docx.

Used by every front end that takes a document (``duban ingest FILE``, the console's upload), so
that they read the same text and refuse the same files with the same Chinese messages.
"""

from __future__ import annotations

import io

from engine.errors import InvalidInput

BYTES_PER_CHAR = 4
"""A file longer than the character limit times this cannot fit it in any encoding we read."""

MAX_DOCX_BYTES = 20 * 1024 * 1024
"""A .docx larger than this (pictures included) is refused before it is opened."""

SUFFIXES = (".txt", ".docx")


def too_long(size: int, unit: str) -> InvalidInput:
    from engine.intake import MAX_DOCUMENT_CHARS

    return InvalidInput(f"文档过长：约{size}{unit}，超过{MAX_DOCUMENT_CHARS}字的上限；"
                        "请按章节拆分后分别识别")


def document_text(name: str, data: bytes) -> str:
    """The text of the file ``name`` whose content is ``data``.

    Guarantees: a .docx gives its paragraphs, one per line, and a table's cells one per line
    in document order (as intake reads a pasted table); anything else is read as UTF-8, else GB18030 text; a file
    that cannot be read — a broken or disguised .docx, an unknown encoding, a binary file — is
    refused with :class:`InvalidInput` naming it, as is one beyond the size limits.
    """
    from engine.intake import MAX_DOCUMENT_CHARS

    if not data:
        raise InvalidInput(f"文件 {name} 是空的")
    if name.lower().endswith(".docx"):
        if len(data) > MAX_DOCX_BYTES:
            raise too_long(len(data) // 1024, "KB")
        return _docx_text(name, data)
    if len(data) > MAX_DOCUMENT_CHARS * BYTES_PER_CHAR:
        raise too_long(len(data) // 1024, "KB")
    if b"\x00" in data[:4096]:
        raise InvalidInput(f"无法识别文件 {name} 的内容：请上传 .txt 文本或 .docx Word 文件")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"无法识别文件 {name} 的编码（应为 UTF-8 或 GB18030 文本）")


def _docx_text(name: str, data: bytes) -> str:
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - python-docx raises many kinds: all mean a bad file
        raise InvalidInput(f"无法读取 Word 文件 {name}：文件已损坏或不是 .docx 格式"
                           "（.doc 请先另存为 .docx）") from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, docx.table.Table):
            for row in block.rows:
                lines.extend(cell.text for cell in row.cells)
        else:
            lines.append(block.text)
    return "\n".join(lines)
