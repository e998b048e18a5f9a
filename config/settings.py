"""Process settings from the environment (``DUBAN_*``) — one ``Settings`` and a module singleton."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import ENVIRONMENT, ConfigError


class Settings(BaseSettings):
    """Where things are; behaviour (policy) lives in the org/policy file and the database.

    An empty variable counts as unset (``DUBAN_SMTP_URL=`` means no email): a Prefect deployment
    writes every setting into its flow runs' environment, the unused ones empty.
    """

    model_config = SettingsConfigDict(env_prefix="DUBAN_", extra="ignore", env_ignore_empty=True)

    # Scheduled jobs (Prefect flows) never fall back to this default: they refuse to run unless
    # a database was configured (flows/preflight.py).
    database_url: str = "sqlite:///duban.db"
    # Where the daily summary's Markdown reports go. Relative to the current folder for the CLI
    # and `duban serve`; a Prefect deployment must give an absolute, shared folder.
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
    # The web console's address as people reach it (e.g. "https://duban.example.gov.cn"): every
    # Telegram/email message about a task then links to its page, web invites use it, and an
    # https address makes the session cookie Secure. Unset = no links in messages, and invite
    # links printed for http://127.0.0.1:8000 (the default of `duban web`).
    public_url: str | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment.

    Raises ``ConfigError`` naming the variable when a value cannot be read (a JSON list whose
    quotes a shell ate, a word where a number belongs).
    """
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        return Settings()
    except SettingsError as exc:
        found = re.search(r'field "(\w+)"', str(exc))
        raise _invalid(found.group(1) if found else "", "无法解析（列表应写成 JSON，如 "
                       '\'["telegram","apprise"]\'，注意保留引号）') from None
    except ValidationError as exc:
        first = exc.errors()[0]
        reason = _REASONS.get(first["type"], "格式不正确")
        raise _invalid(str(first["loc"][0]) if first["loc"] else "", reason) from None


_REASONS = {"float_parsing": "应为数字", "int_parsing": "应为整数", "bool_parsing": "应为 true 或 false",
            "list_type": "应为 JSON 列表", "path_type": "应为路径"}


def _invalid(field: str, reason: str) -> ConfigError:
    name = env_name(field) if field else "DUBAN_*"
    return ConfigError(ENVIRONMENT, name, os.environ.get(name, ""), reason)


def env_name(field: str) -> str:
    """The environment variable that sets ``field`` (``database_url`` → ``DUBAN_DATABASE_URL``)."""
    return f"DUBAN_{field.upper()}"


def is_configured(field: str) -> bool:
    """Whether ``field`` was given (non-empty) in the environment rather than defaulted."""
    return field in get_settings().model_fields_set


def reset_settings() -> None:
    """Forget the cached settings (tests and ``--db`` overrides change the environment)."""
    get_settings.cache_clear()
