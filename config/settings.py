"""Process settings from the environment (``DUBAN_*``) — one ``Settings`` and a module singleton."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where things are; behaviour (policy) lives in the org/policy file and the database."""

    model_config = SettingsConfigDict(env_prefix="DUBAN_", extra="ignore")

    database_url: str = "sqlite:///duban.db"
    reports_dir: Path = Path("reports")
    telegram_token: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    # Where the bot downloads the photos and files units send (default: derived from the base
    # URL, ".../bot" → ".../file/bot"); a local Bot API server hands out local paths instead.
    telegram_base_file_url: str | None = None
    # Seconds a delivery may take before the dispatcher treats its outcome as unknown.
    delivery_timeout: float = 30.0
    log_level: str = "WARNING"
    # Channels the dispatcher uses, tried in this order per message: telegram, apprise (email and
    # work-chat robots), and for development "console" (prints; counts as delivered) or "file".
    # Production leaves console out, so a person with no reachable channel becomes a dead letter.
    notifiers: list[str] = ["telegram", "apprise"]
    # Outgoing mail server as an Apprise URL without recipient, e.g.
    # "mailtos://user:pass@smtp.example.org:465?from=duban@example.org"; unset = no email.
    smtp_url: str | None = None
    # Seconds an Apprise channel (email, DingTalk, WeCom, Feishu …) may take per attempt.
    apprise_timeout: float = 15.0
    # The "file" channel (tests, diagnostics): appends each delivered message id to this file.
    file_channel_path: Path | None = None
    # Seconds the "file" channel waits before each send (stands in for a slow channel).
    file_channel_delay: float = 0.0
    # The secret that keys the audit chain (HMAC-SHA256). Never stored in the database: given
    # here, or read from the key file that `duban init` creates (owner-only permissions).
    audit_key: str | None = None
    # The key file; default ~/.config/duban/audit.key ($XDG_CONFIG_HOME respected).
    audit_key_file: Path | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and ``--db`` overrides change the environment)."""
    get_settings.cache_clear()
