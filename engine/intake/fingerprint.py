"""The fingerprint of a document or task list: the same content gives the same fingerprint
whatever a copy did to its punctuation, widths, spaces or line breaks."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from engine.intake.normalise import normalise

_SPACE = re.compile(r"\s+")


def fingerprint(text: str) -> str:
    """SHA-256 (hex) of ``text`` normalised: NFKC, Chinese punctuation, no whitespace."""
    flat = _SPACE.sub("", normalise(unicodedata.normalize("NFKC", text)))
    return hashlib.sha256(flat.encode("utf-8")).hexdigest()


def rows_fingerprint(rows: list[list[str]]) -> str:
    """The fingerprint of a table's rows (cell texts in order)."""
    return fingerprint("\n".join("\x1f".join(row) for row in rows))
