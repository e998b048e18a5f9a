"""Checking what people type, and making stored text safe to show.

Two sides of one rule:

- **At the boundary** (every engine service that takes text or numbers from a person): one-line
  fields (titles, names, deadlines as written, document numbers …) refuse control characters,
  line breaks and bidirectional overrides (which can make a title read differently from what it
  is); long text (requirements, progress, reasons) keeps its line breaks and tabs but refuses
  the rest; lengths are checked against the column so SQLite and PostgreSQL refuse the same
  things; quantities must be finite numbers within :data:`MAX_QUANTITY`; integers typed as ids
  fit in 64 bits. Every refusal is an :class:`~engine.errors.InvalidInput` in Chinese naming
  the field and the offending character's position.
- **On the way out** (terminal, Markdown, HTML, Telegram, Excel, Word): :func:`printable`
  replaces whatever unsafe character older rows or other sources may still hold with a visible
  stand-in, so no writer fails and no escape sequence reaches a terminal raw.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from config.text import UNSAFE_LINE, UNSAFE_TEXT, describe_char
from engine.errors import InvalidInput

MAX_TEXT = 20_000
"""Characters allowed in a long-text field (a requirement, a progress report, a reason)."""

MAX_QUANTITY = 1e12
"""Largest target or achieved quantity accepted (a typing slip beyond it is refused)."""

DB_INT_MAX = 2**63 - 1
"""Largest integer a database id or chat id can hold (64-bit signed)."""

def _refuse(value: str, what: str, found: re.Match[str]) -> InvalidInput:
    return InvalidInput(f"{what}中第 {found.start() + 1} 个字符是{describe_char(found.group())}，"
                        "不能保存；请删除后重试")


def check_line(value: str, what: str, *, max_length: int | None = None,
               required: bool = False) -> str:
    """A one-line field, stripped; refuses control and bidi characters and over-long values."""
    found = UNSAFE_LINE.search(value)
    if found is not None:
        raise _refuse(value, what, found)
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{what}不能为空")
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(f"{what}过长：最多 {max_length} 个字，现为 {len(value)} 个字")
    return value


def check_text(value: str, what: str, *, max_length: int = MAX_TEXT,
               required: bool = False) -> str:
    """Long text: line breaks (``\\r\\n`` made ``\\n``) and tabs kept, other controls refused."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    found = UNSAFE_TEXT.search(value)
    if found is not None:
        raise _refuse(value, what, found)
    if required and not value.strip():
        raise InvalidInput(f"{what}不能为空")
    if len(value) > max_length:
        raise InvalidInput(f"{what}过长：最多 {max_length} 个字，现为 {len(value)} 个字")
    return value


def check_quantity(value: float | None, what: str, *, positive: bool = False) -> float | None:
    """A target or achieved amount: finite, not negative (or > 0), at most :data:`MAX_QUANTITY`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{what}“{value}”不是有效的数字")
    if positive and value <= 0:
        raise InvalidInput(f"{what}必须大于 0")
    if value < 0:
        raise InvalidInput(f"{what}不能为负数")
    if value > MAX_QUANTITY:
        raise InvalidInput(f"{what}过大（不超过 {MAX_QUANTITY:.0e}），请核对")
    return float(value)


def fits_db_int(value: int) -> bool:
    """Whether ``value`` can be stored in, or compared with, a 64-bit id column."""
    return -DB_INT_MAX - 1 <= value <= DB_INT_MAX


def whole_number(text: str) -> int | None:
    """``text`` (stripped) as an id: ASCII digits only, small enough for a 64-bit column; else
    None. Not ``str.isdigit``: it accepts "²" and "①", which ``int`` then refuses, and other
    scripts' digits, which no id is written in."""
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 19):  # 19 digits hold 2**63 - 1
        return None
    value = int(text)
    return value if fits_db_int(value) else None


def _stand_in(found: re.Match[str]) -> str:
    code = ord(found.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␀ for NUL …: visible, harmless
    if code == 0x7F:
        return "\u2421"
    return "\ufffd"


def printable(value: str) -> str:
    """``value`` with every character that is unsafe to show replaced by a visible stand-in;
    line feeds and tabs are kept (a one-line writer flattens them itself)."""
    return UNSAFE_TEXT.sub(_stand_in, value) if value else value


def one_line(value: str) -> str:
    """:func:`printable`, with line breaks and tabs as spaces (table cells, subjects)."""
    return re.sub(r"[\t\n]+", " ", printable(value.replace("\r", "\n")))


def check_input_file(path: Path, what: str = "文件") -> None:
    """A file to read exists, is a file (not a folder) and may be read; else a Chinese refusal."""
    if path.is_dir():
        raise InvalidInput(f"{path} 是一个目录，不是{what}，请指定文件名")
    if not path.exists():
        raise InvalidInput(f"{what} {path} 不存在")
    if not os.access(path, os.R_OK):
        raise InvalidInput(f"没有读取{what} {path} 的权限")
