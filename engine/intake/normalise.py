"""Punctuation as Chinese documents write it, whatever the copy did to it.

Text pasted from web pages often carries ASCII ``, ; : ( ) !`` and full-width digits and letters
where the document had ``，；：（）！`` and ASCII digits. The analysis reads the normalised text;
:func:`normalise` maps one character to one character, so every span found in the normalised
text is the same span in the original.

Kept as written: a comma or colon between two digits ("1,000", "15:00"), a colon in a web
address or e-mail, and every character that has no Chinese counterpart.
"""

from __future__ import annotations

import re

_TO_CHINESE = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！"}
_FULL_WIDTH_ASCII = {chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)}  # ０-９ → 0-9
_FULL_WIDTH_ASCII |= {chr(c): chr(c - 0xFEE0) for c in range(0xFF21, 0xFF3B)}  # Ａ-Ｚ
_FULL_WIDTH_ASCII |= {chr(c): chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)}  # ａ-ｚ
_KEEP = re.compile(r"\d[,:]\d|[A-Za-z]+:/{0,2}[\w.]|[\w.]@")


def normalise(text: str) -> str:
    """``text`` with Chinese punctuation and ASCII digits; always the same length."""
    kept = {m.start() + k for m in _KEEP.finditer(text) for k in range(len(m.group()))
            if m.group()[k] in ",:"}
    out = []
    for i, ch in enumerate(text):
        if ch in _TO_CHINESE and i not in kept:
            out.append(_TO_CHINESE[ch])
        else:
            out.append(_FULL_WIDTH_ASCII.get(ch, ch))
    return "".join(out)
