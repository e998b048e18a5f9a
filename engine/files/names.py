"""File names as users give them, made safe to store, show and write to a disk.

Guarantees of :func:`clean_name`: the result is a single path component (no directory part,
neither ``/`` nor ``\\``), holds no control or format characters (so no right-to-left override
can disguise ``gpj.exe`` as ``exe.jpg``), none of the characters Windows forbids, is not a
Windows device name, is at most :data:`MAX_NAME` characters, and is never empty.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 120
"""Characters kept of a file name (the extension is kept whole)."""

DEFAULT_STEM = "文件"
_FORBIDDEN = re.compile(r'[<>:"|?*]')
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
            *(f"LPT{i}" for i in range(10))}


def _visible(text: str) -> str:
    # Cc: control characters; Cf: format characters (bidi overrides, zero-width joiners …).
    return "".join(" " if ch in "\t\r\n" else ch for ch in text
                   if ch in "\t\r\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))


def clean_name(raw: str | None) -> str:
    """``raw`` as a safe file name (see the module docstring)."""
    text = unicodedata.normalize("NFC", raw or "")
    text = re.split(r"[/\\]", text)[-1]
    text = _FORBIDDEN.sub("_", _visible(text))
    text = re.sub(r"\s+", " ", text).strip(" .")
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    if stem.split(".")[0].upper() in _DEVICES:
        stem = f"_{stem}"
    ext = ext[:16]
    room = MAX_NAME - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(" .") or DEFAULT_STEM
    return f"{stem}.{ext}" if ext else stem


def extension(name: str) -> str:
    """The lower-case extension with its dot (``".jpg"``), or ``""``."""
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


def with_extension(name: str, allowed: tuple[str, ...]) -> str:
    """``name`` with an extension from ``allowed`` (the first one replaces a wrong or missing
    one): a PDF named ``报告.jpg`` is stored as ``报告.pdf``."""
    if extension(name) in allowed:
        return name
    stem = name[: -len(extension(name))] if extension(name) else name
    return clean_name(f"{stem}{allowed[0]}")
