"""``duban deploy`` and ``prefect.yaml``: every deployment carries every setting, and a
configuration that would not work from a worker host is refused before anything is deployed.
(The deployment itself, on a real server, is tests/flows/test_prefect_server.py.)"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.main import run
from config.settings import Settings, reset_settings
from engine.errors import DubanError
from flows.deploy import (
    HOME_VARIABLE,
    POOL,
    PROJECT_HOME,
    check_deployable,
    deployment_env_names,
    deployment_environment,
)

ROOT = Path(__file__).resolve().parents[2]


def _prefect_yaml() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8")))


def test_every_deployment_carries_every_setting_on_the_duban_pool() -> None:
    data = _prefect_yaml()
    names = deployment_env_names()
    assert HOME_VARIABLE in names and "DUBAN_DATABASE_URL" in names and "DUBAN_NOTIFIERS" in names
    assert "DUBAN_AUDIT_KEY" not in names and "DUBAN_AUDIT_KEY_FILE" not in names  # host secrets
    for deployment in data["deployments"]:
        pool = deployment["work_pool"]
        assert pool["name"] == POOL
        env = pool["job_variables"]["env"]
        assert list(env) == names
        assert all(value == f"{{{{ ${name} }}}}" for name, value in env.items())
    (step,) = data["pull"]
    assert step == {"prefect.deployments.steps.set_working_directory":
                    {"directory": "{{ $DUBAN_HOME }}"}}


def test_the_deployment_environment_reads_back_as_the_same_settings(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [k for k in os.environ if k.startswith("DUBAN_")]:
        monkeypatch.delenv(name)
    settings = Settings(database_url="postgresql://db.example/duban", notifiers=["telegram"],
                        reports_dir=tmp_path / "reports", telegram_token="123:abc")
    env = deployment_environment(settings.model_copy(update={"audit_key": "k" * 40}), tmp_path)
    assert set(env) == set(deployment_env_names())  # the audit key is not written out
    assert env[HOME_VARIABLE] == str(tmp_path)
    assert env["DUBAN_NOTIFIERS"] == '["telegram"]' and env["DUBAN_SMTP_URL"] == ""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings() == settings  # an empty variable reads as unset (smtp_url None)


def _refusal(settings: Settings, home: Path = PROJECT_HOME) -> str:
    with pytest.raises(DubanError) as refused:
        check_deployable(settings, home)
    return str(refused.value)


def test_a_configuration_a_worker_could_not_use_is_refused(migrated_db: str, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    assert "未配置督办数据库" in _refusal(Settings(reports_dir=reports))
    assert "相对路径" in _refusal(Settings(database_url="sqlite:///duban.db", reports_dir=reports))
    missing = f"sqlite:///{tmp_path}/missing.db"
    assert "不存在" in _refusal(Settings(database_url=missing, reports_dir=reports))
    assert not Path(missing.removeprefix("sqlite:///")).exists()
    assert "DUBAN_REPORTS_DIR" in _refusal(Settings(database_url=migrated_db))
    assert "DUBAN_REPORTS_DIR" in _refusal(Settings(database_url=migrated_db,
                                                    reports_dir=Path("reports")))
    assert "未知的通知渠道" in _refusal(Settings(database_url=migrated_db, reports_dir=reports,
                                          notifiers=["pigeon"]))
    assert "不是督办程序目录" in _refusal(Settings(database_url=migrated_db, reports_dir=reports),
                                   home=tmp_path)
    check_deployable(Settings(database_url=migrated_db, reports_dir=reports), PROJECT_HOME)


@pytest.fixture
def operator_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in [k for k in os.environ if k.startswith(("DUBAN_", "PREFECT_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))  # no profile's API URL
    monkeypatch.chdir(tmp_path)
    reset_settings()
    yield
    reset_settings()


def test_duban_deploy_refuses_in_chinese_before_touching_prefect(
        operator_env: None, migrated_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["deploy"]) == 1
    assert "未配置督办数据库" in capsys.readouterr().err
    monkeypatch.setenv("DUBAN_REPORTS_DIR", str(tmp_path / "reports"))
    reset_settings()
    # Without PREFECT_API_URL, Prefect would deploy into a temporary server of its own.
    assert run(["--db", migrated_db, "deploy"]) == 1
    assert "未设置 PREFECT_API_URL" in capsys.readouterr().err
    assert {p.name for p in tmp_path.iterdir()} <= {"migrated.db", "prefect-home"}
