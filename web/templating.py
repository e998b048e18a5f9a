"""The Jinja2 environment: autoescaped everywhere, with filters for time, lights and statuses."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

TEMPLATES = Path(__file__).parent / "templates"
ZONE = ZoneInfo("Asia/Shanghai")


def _local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZONE).strftime(fmt)


def _day(value: datetime | None) -> str:
    return _local(value, "%Y-%m-%d")


def _label(value: Any) -> str:
    """The Chinese label of a coded value (engine.values enums carry theirs)."""
    if value is None:
        return "—"
    label = getattr(value, "label", None)
    if isinstance(label, str):
        return label
    return value.value if isinstance(value, Enum) else str(value)


CHANNEL_LABELS = {"telegram": "Telegram", "apprise": "Apprise 推送", "console": "服务器控制台",
                  "file": "投递记录文件", "memory": "内存"}
"""What a clerk reads for each notification channel's name (notifiers.registry.KNOWN, and the
in-memory one of the demo and the tests)."""


def _channel(name: str | None) -> str:
    """The label of a notification channel's name: ``telegram`` → Telegram, a ``-demo`` variant
    (the demo's simulated channel) marked 演示; a name we do not know shown as it is."""
    if not name:
        return "—"
    base, _dash, variant = name.partition("-")
    if base not in CHANNEL_LABELS:
        return name
    label = CHANNEL_LABELS[base]
    if not variant:
        return label
    return f"{label} 演示" if variant == "demo" else f"{label} {variant}"


def _code(value: Any) -> str:
    """The stored code of an enum (used for CSS classes), or ''."""
    if value is None:
        return ""
    return str(value.value if isinstance(value, Enum) else value)


def _light_badge(value: Any) -> Markup:
    """A light as a coloured badge ("—" without one). A filter, not a macro: a ledger page
    draws one per row, and a Jinja macro call costs several times a function call."""
    if not value:
        return Markup('<span class="light light-none">—</span>')
    return Markup(f'<span class="light light-{escape(_code(value))}">{escape(_label(value))}</span>')


def _status_badge(value: Any) -> Markup:
    """A status as a badge (see :func:`_light_badge`)."""
    return Markup(
        f'<span class="status status-{escape(_code(value))}">{escape(_label(value))}</span>')


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html", "svg"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the package: no stat() of three files on every page.
        auto_reload=False,
    )
    env.filters.update(local=_local, day=_day, label=_label, code=_code, channel=_channel,
                       light_badge=_light_badge, status_badge=_status_badge)
    return env
