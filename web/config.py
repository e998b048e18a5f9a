"""How a web console process is configured: database, session secret, public address, clock."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

MAX_UPLOAD_BYTES = 60 * 1024 * 1024
"""Largest request body accepted, in bytes: a progress report's files (the policy allows 50 MB
per report) plus the form around them. The engine still checks each file against the policy."""

SESSION_MAX_AGE = 12 * 3600
"""Seconds a login lasts without activity being needed: one working day."""


def real_clock() -> datetime:
    return datetime.now(UTC)


def moved_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at ``start`` and runs at real speed (simulation databases only: the
    engine refuses a moved clock on any other database)."""
    origin = real_clock()

    def clock() -> datetime:
        return start + (real_clock() - origin)

    return clock


@dataclass(frozen=True)
class WebConfig:
    """Everything a console process needs; built from the environment by :func:`from_env`."""

    database_url: str
    secret_key: str
    """Signs the session cookie; never stored in the database."""
    public_url: str | None = None
    """The console's address as users reach it (links in reminders; https → Secure cookies)."""
    clock: Callable[[], datetime] = real_clock
    """The engine's ``now`` for every request (moved only on a simulation database)."""
    wall_clock: Callable[[], datetime] = real_clock
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def secure_cookies(self) -> bool:
        return bool(self.public_url and self.public_url.lower().startswith("https://"))


def session_secret() -> str:
    """``DUBAN_WEB_SECRET``, or a key derived from the audit key (which lives outside the
    database, on the host): a stolen database copy cannot forge a login either way."""
    configured = os.environ.get("DUBAN_WEB_SECRET")
    if configured:
        return configured
    from engine.tasks.audit_key import audit_key

    return hmac.new(audit_key(), b"duban web session v1", hashlib.sha256).hexdigest()


def from_env(*, database_url: str | None = None,
             clock: Callable[[], datetime] | None = None) -> WebConfig:
    """The configuration from ``DUBAN_*`` settings (the same ones the CLI reads)."""
    from config.settings import get_settings

    settings = get_settings()
    return WebConfig(database_url=database_url or settings.database_url,
                     secret_key=session_secret(),
                     public_url=settings.public_url,
                     clock=clock or real_clock)
