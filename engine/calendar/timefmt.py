"""Showing times to people: local zone, Chinese-friendly formats."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_text(value: datetime | None, tz: ZoneInfo) -> str:
    """``2024-03-31 23:59`` in the local zone (empty for ``None``)."""
    if value is None:
        return ""
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def local_date_text(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    local = value.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日"


def iso_local(value: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the local offset, e.g. ``2024-03-31T23:59:59+08:00``."""
    return value.astimezone(tz).isoformat() if value is not None else None
