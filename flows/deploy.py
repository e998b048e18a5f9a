"""Deploying the flows on a Prefect server: what ``duban deploy`` does (docs/deploy.md).

1. :func:`check_deployable` — the configuration the deployments will carry must be usable from
   any worker host: a configured database at the current schema revision (never the default
   SQLite file, nor a relative path), an absolute reports folder, known channels, a
   ``DUBAN_HOME`` holding ``prefect.yaml``, and a Prefect server named by ``PREFECT_API_URL``
   (without one, Prefect would deploy into a temporary server of its own);
2. :func:`ensure_work_pool` — the ``process`` work pool named in ``prefect.yaml``;
3. :func:`run_prefect_deploy` — ``prefect --no-prompt deploy --all`` on that file, with every
   ``DUBAN_*`` setting in its environment (:func:`deployment_environment`): the file's
   ``job_variables.env`` templates take them, so each flow run gets its whole configuration from
   its deployment and nothing from the shell of the worker that happens to start it — but the
   audit key (:data:`HOST_SETTINGS`), which each host holds itself;
4. :func:`read_deployments` — what the server now holds, for the report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.settings import Settings, env_name
from engine.errors import DubanError
from flows.preflight import GUIDE, open_job_engine

POOL = "duban"
"""The work pool ``prefect.yaml`` deploys onto."""

HOME_VARIABLE = "DUBAN_HOME"
"""The duban checkout on the worker hosts: each flow run starts there (``prefect.yaml``'s pull
step), so that the entrypoints ``flows/….py`` resolve."""

HOST_SETTINGS = ("audit_key", "audit_key_file")
"""Settings a deployment never carries: the audit chain's secret stays on the hosts (a key file
or the worker's own environment, like ``duban serve`` and ``duban bot``), out of every database,
Prefect's included."""

PROJECT_HOME = Path(__file__).resolve().parents[1]
"""This checkout: the default ``DUBAN_HOME``."""

DEPLOY_TIMEOUT = 300.0
"""Seconds ``prefect deploy --all`` may take (about 3 s on an idle machine)."""


class DeployRefused(DubanError):
    """The deployment cannot be made as configured."""


def deployment_env_names() -> list[str]:
    """The variables every deployment carries: ``DUBAN_HOME`` and one per setting but the
    :data:`HOST_SETTINGS`."""
    return [HOME_VARIABLE, *(env_name(field) for field in Settings.model_fields
                             if field not in HOST_SETTINGS)]


def deployment_environment(settings: Settings, home: Path) -> dict[str, str]:
    """The value of each of :func:`deployment_env_names` as an environment string; a setting
    left unset is written empty, which the flow run reads as unset."""
    env = {HOME_VARIABLE: str(home)}
    for field, value in settings.model_dump(mode="json", exclude=set(HOST_SETTINGS)).items():
        if value is None:
            text = ""
        elif isinstance(value, list | dict):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = str(value)
        env[env_name(field)] = text
    return env


def check_deployable(settings: Settings, home: Path) -> None:
    """Raise :class:`DeployRefused` (Chinese, naming the variable) unless ``settings`` and
    ``home`` make a deployment that works on any worker host."""
    from engine.store.db import sqlite_path
    from notifiers.registry import build_notifiers

    if "database_url" not in settings.model_fields_set:
        raise DeployRefused("未配置督办数据库：部署前请设置 DUBAN_DATABASE_URL（或 --db），"
                            f"各 worker 共用的 PostgreSQL 数据库，{GUIDE}")
    path = sqlite_path(settings.database_url)
    if path is not None and not path.is_absolute():
        raise DeployRefused(f"数据库地址 {settings.database_url} 是相对路径：worker 在 DUBAN_HOME "
                            "中运行，请使用 PostgreSQL（多台主机共用）或 SQLite 文件的绝对路径")
    open_job_engine(settings.database_url).dispose()
    if "reports_dir" not in settings.model_fields_set or not settings.reports_dir.is_absolute():
        raise DeployRefused("未配置调度报告目录：部署前请把 DUBAN_REPORTS_DIR 设为各 worker 主机"
                            f"都能写入的共享文件夹的绝对路径（如 /srv/duban/reports），{GUIDE}")
    build_notifiers(settings)
    if not (home / "prefect.yaml").is_file() or not (home / "flows").is_dir():
        raise DeployRefused(f"DUBAN_HOME（{home}）不是督办程序目录：其中应有 prefect.yaml 和 flows/")


def prefect_api_url() -> str:
    """The Prefect server deployments go to; refused when none is configured."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise DeployRefused("未设置 PREFECT_API_URL：请指向 Prefect 服务器，如 "
                            "http://127.0.0.1:4200/api（否则 Prefect 会部署到一个临时服务器）")
    return str(url)


def ensure_work_pool(name: str = POOL) -> bool:
    """Create the ``process`` work pool ``name`` unless it exists; ``True`` if created."""
    from prefect.utilities.asyncutils import run_coro_as_sync

    return bool(run_coro_as_sync(_ensure_work_pool(name)))


async def _ensure_work_pool(name: str) -> bool:
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    try:
        async with get_client() as client:
            try:
                pool = await client.read_work_pool(name)
            except ObjectNotFound:
                template = ProcessWorker.get_default_base_job_template()
                await client.create_work_pool(WorkPoolCreate(
                    name=name, type="process", base_job_template=template))
                return True
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 401:
            raise DeployRefused("Prefect 服务器要求认证（401）：请设置 PREFECT_API_AUTH_STRING") from None
        raise DeployRefused(f"Prefect 服务器答复错误 {exc.response.status_code}"
                            f"（{prefect_api_url()}）") from None
    except httpx.HTTPError as exc:
        raise DeployRefused(f"无法连接 Prefect 服务器（{prefect_api_url()}）：{type(exc).__name__}，"
                            "请确认 prefect server 已启动") from None
    if pool.type != "process":
        raise DeployRefused(f"工作池 {name} 已存在，但类型是 {pool.type}，应为 process")
    return False


@dataclass
class DeployOutcome:
    ok: bool
    log: Path
    last_line: str


def run_prefect_deploy(home: Path, env: dict[str, str]) -> DeployOutcome:
    """``prefect --no-prompt deploy --all`` on ``home/prefect.yaml`` with ``env`` added to this
    process's environment; the full output is kept in a log file."""
    prefect = str(Path(sys.executable).with_name("prefect"))
    argv = [prefect, "--no-prompt", "deploy", "--all", "--prefect-file", str(home / "prefect.yaml")]
    fd, name = tempfile.mkstemp(prefix="duban-deploy-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as log:
        try:
            done = subprocess.run(argv, cwd=home, env={**os.environ, **env}, stdout=log,
                                  stderr=subprocess.STDOUT, timeout=DEPLOY_TIMEOUT, check=False)
            code = done.returncode
        except subprocess.TimeoutExpired:
            code = -1
    text = Path(name).read_text(encoding="utf-8", errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return DeployOutcome(ok=code == 0, log=Path(name), last_line=lines[-1][:300] if lines else "")


def read_deployments(pool: str = POOL) -> list[dict[str, Any]]:
    """The deployments of ``pool``: name, schedules (cron and zone, or interval), paused, and
    the names of the variables they carry."""
    from prefect.utilities.asyncutils import run_coro_as_sync

    return list(run_coro_as_sync(_read_deployments(pool)) or [])


async def _read_deployments(pool: str) -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import WorkPoolFilter, WorkPoolFilterName

    async with get_client() as client:
        deployments = await client.read_deployments(
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool])))
        flows = {d.flow_id: (await client.read_flow(d.flow_id)).name for d in deployments}
    return [{"name": f"{flows[d.flow_id]}/{d.name}", "paused": d.paused,
             "schedules": [_schedule(s.schedule) for s in d.schedules],
             "env": sorted((d.job_variables or {}).get("env", {}))}
            for d in sorted(deployments, key=lambda d: (flows[d.flow_id], d.name))]


def _schedule(schedule: Any) -> dict[str, Any]:
    if getattr(schedule, "cron", None):
        return {"cron": schedule.cron, "timezone": schedule.timezone}
    interval = getattr(schedule, "interval", None)
    return {"interval_seconds": interval.total_seconds()} if interval else {"other": str(schedule)}
