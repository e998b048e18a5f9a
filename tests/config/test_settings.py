"""Process settings from ``DUBAN_*``: unreadable values are refused by name, in Chinese, and an
empty variable counts as unset (a deployment writes the unused ones empty)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from config.errors import ConfigError
from config.settings import get_settings, is_configured, reset_settings


@pytest.fixture(autouse=True)
def bare_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [k for k in os.environ if k.startswith("DUBAN_")]:
        monkeypatch.delenv(name)
    reset_settings()
    yield
    reset_settings()


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("DUBAN_NOTIFIERS", "[console]", "无法解析"),      # a shell ate the JSON quotes
    ("DUBAN_NOTIFIERS", '"console"', "应为 JSON 列表"),
    ("DUBAN_DELIVERY_TIMEOUT", "thirty", "应为数字"),
])
def test_an_unreadable_value_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, name: str,
                                                value: str, reason: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"环境变量 {name} 的值 '.*' 无效：{reason}"):
        get_settings()


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_DATABASE_URL", "")
    monkeypatch.setenv("DUBAN_SMTP_URL", "")
    monkeypatch.setenv("DUBAN_NOTIFIERS", '["console"]')
    settings = get_settings()
    assert settings.database_url == "sqlite:///duban.db" and settings.smtp_url is None
    assert not is_configured("database_url") and is_configured("notifiers")
