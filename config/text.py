"""Which characters text may hold: the one rule for what people type (engine/inputs.py) and for
the org/policy file (config/orgfile.py). Imports nothing of the project."""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
UNSAFE_TEXT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ufeff"
                          "\ufffe\uffff\ud800-\udfff]")
"""Refused in long text: controls (but tab, line feed, carriage return), bidi controls,
line/paragraph separators, BOM, non-characters, lone surrogates."""
UNSAFE_LINE = re.compile(f"[\t\n\r{UNSAFE_TEXT.pattern[1:-1]}]")
"""Refused in one-line fields: the above plus tab and line breaks."""


def describe_char(ch: str) -> str:
    """The character as a refusal message names it ("换行符", "文字方向控制符 U+202E" …)."""
    if ch in "\n\r\u2028\u2029":
        return "换行符"
    if ch == "\t":
        return "制表符"
    if "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069" or ch in "\u061c\u200e\u200f":
        return f"文字方向控制符 U+{ord(ch):04X}"
    return f"不可见的控制字符 U+{ord(ch):04X}"
