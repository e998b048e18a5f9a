"""What a file is, judged from its first bytes — never from its name.

Accepted: images (JPEG, PNG, GIF, WebP, BMP, TIFF, HEIC/HEIF/AVIF), PDF, Word and Excel (the
OOXML ``.docx``/``.xlsx`` zips and the older ``.doc``/``.xls`` compound files, told apart by their
contents in :mod:`engine.files.checks`) and plain text (UTF-8 or GB18030). Refused with a message
that says what the file is: executables (Windows, Linux, macOS, Java), scripts, archives
(zip, RAR, 7z, gzip …) and anything unrecognised.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import FileRejected

KINDS = {"image": "图片", "pdf": "PDF 文件", "word": "Word 文档", "excel": "Excel 表格",
         "text": "文本文件"}
"""The kinds of file accepted as evidence, with their Chinese names."""

ACCEPTED_TEXT = "图片（JPEG、PNG、GIF、WebP、BMP、TIFF、HEIC）、PDF、Word、Excel 或纯文本文件"


@dataclass(frozen=True)
class FileType:
    """A recognised type: its kind, MIME type, Chinese label and allowed extensions (the first
    is used when the given name has none of them)."""

    kind: str
    mime: str
    label: str
    extensions: tuple[str, ...]


JPEG = FileType("image", "image/jpeg", "JPEG 图片", (".jpg", ".jpeg", ".jpe", ".jfif"))
PNG = FileType("image", "image/png", "PNG 图片", (".png",))
GIF = FileType("image", "image/gif", "GIF 图片", (".gif",))
WEBP = FileType("image", "image/webp", "WebP 图片", (".webp",))
BMP = FileType("image", "image/bmp", "BMP 图片", (".bmp",))
TIFF = FileType("image", "image/tiff", "TIFF 图片", (".tif", ".tiff"))
HEIC = FileType("image", "image/heic", "HEIC 图片", (".heic", ".heif", ".hif"))
AVIF = FileType("image", "image/avif", "AVIF 图片", (".avif",))
PDF = FileType("pdf", "application/pdf", "PDF 文件", (".pdf",))
DOCX = FileType("word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "Word 文档", (".docx",))
XLSX = FileType("excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "Excel 表格", (".xlsx",))
DOC = FileType("word", "application/msword", "Word 文档（97-2003）", (".doc", ".wps"))
XLS = FileType("excel", "application/vnd.ms-excel", "Excel 表格（97-2003）", (".xls", ".et"))
TEXT = FileType("text", "text/plain; charset=utf-8", "文本文件", (".txt", ".csv", ".md", ".log"))

ZIP_FAMILY = "zip"
"""Placeholder returned for a zip container: Word, Excel or a refused archive (see ooxml)."""
OLE_FAMILY = "ole"
"""Placeholder returned for an OLE2 compound file: .doc, .xls or a refused one (e.g. .msi)."""

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}

# (magic at offset 0, what it is) for files refused outright.
_REFUSED: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "Windows 可执行程序"),
    (b"\x7fELF", "Linux 可执行程序"),
    (b"\xcf\xfa\xed\xfe", "macOS 可执行程序"),
    (b"\xce\xfa\xed\xfe", "macOS 可执行程序"),
    (b"\xfe\xed\xfa\xcf", "macOS 可执行程序"),
    (b"\xfe\xed\xfa\xce", "macOS 可执行程序"),
    (b"\xca\xfe\xba\xbe", "Java 或 macOS 可执行程序"),
    (b"#!", "脚本程序"),
    (b"dex\n", "Android 可执行程序"),
    (b"\x00asm", "WebAssembly 程序"),
    (b"Rar!\x1a\x07", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"BZh", "bzip2 压缩包"),
    (b"\xfd7zXZ\x00", "xz 压缩包"),
    (b"\x28\xb5\x2f\xfd", "zstd 压缩包"),
    (b"MSCF", "CAB 压缩包"),
    (b"ITSF", "CHM 帮助程序"),
    (b"L\x00\x00\x00\x01\x14\x02\x00", "Windows 快捷方式"),
)
EXECUTABLE_MAGIC = tuple(entry for entry in _REFUSED if "可执行" in entry[1] or "脚本" in entry[1])
"""The executables among :data:`_REFUSED` (an archive inside an Office file is normal)."""
EXECUTABLE_EXTENSIONS = frozenset({
    ".exe", ".dll", ".scr", ".com", ".pif", ".msi", ".bat", ".cmd", ".vbs", ".vbe", ".js",
    ".jse", ".wsf", ".wsh", ".ps1", ".hta", ".jar", ".apk", ".lnk", ".sh", ".elf", ".so",
    ".dylib", ".cpl", ".sys", ".reg",
})
"""Names of programs, refused inside an archive or an Office file."""
SCRIPT_EXTENSIONS = frozenset({
    ".bat", ".cmd", ".com", ".exe", ".scr", ".pif", ".vbs", ".vbe", ".js", ".jse", ".wsf",
    ".wsh", ".ps1", ".psm1", ".sh", ".bash", ".zsh", ".py", ".pl", ".rb", ".php", ".hta",
    ".html", ".htm", ".svg", ".xhtml", ".reg", ".lnk", ".msi", ".jar", ".apk", ".dll",
})
"""Names that a text file may not carry: it would be run or rendered, not read."""


def refuse(name: str, what: str) -> FileRejected:
    return FileRejected(f"文件“{name}”实为{what}，不予接收；只接收{ACCEPTED_TEXT}")


def detect(head: bytes, name: str) -> FileType | str | None:
    """The type ``head`` (the first bytes, at least 512 when the file has them) announces.

    Returns a :class:`FileType`, :data:`ZIP_FAMILY` / :data:`OLE_FAMILY` for containers decided
    later, or ``None`` when no binary format matches (the caller then tries plain text).
    Raises :class:`FileRejected` for executables and archives.
    """
    for magic, what in _REFUSED:
        if head.startswith(magic):
            raise refuse(name, what)
    found = _image(head) or _document(head)
    if found is not None:
        return found
    if head[257:262] == b"ustar":
        raise refuse(name, "tar 压缩包")
    return None


def _image(head: bytes) -> FileType | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:2] == b"BM" and len(head) >= 26:
        return BMP
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head[4:8] == b"ftyp":
        brands = {head[8:12]} | {head[i:i + 4] for i in range(16, min(len(head), 64), 4)}
        if head[8:12] in _AVIF_BRANDS:
            return AVIF
        if brands & _HEIF_BRANDS:
            return HEIC
    return None


def _document(head: bytes) -> FileType | str | None:
    if b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return ZIP_FAMILY
    if head.startswith((b"PK\x05\x06", b"PK\x07\x08")):
        return ZIP_FAMILY
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE_FAMILY
    return None
