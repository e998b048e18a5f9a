"""``duban deploy``: the flows onto a Prefect server, carrying their configuration
(:mod:`flows.deploy` does the work; docs/deploy.md is the operator's guide)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from cli.commands_tasks import JsonOpt
from cli.main import app
from cli.runtime import console, done, emit_json

HomeOpt = Annotated[Path | None, typer.Option(
    "--home", help="worker 主机上督办程序的目录（DUBAN_HOME；默认本程序所在目录）")]


@app.command()
def deploy(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """部署到 Prefect 服务器：创建工作池 duban，按 prefect.yaml 部署定时任务，并把数据库、通知渠道和报告目录写入部署。"""
    import os

    from engine.errors import DubanError
    from flows import deploy as deployment

    settings = _settings()
    folder = (home or Path(os.environ.get(deployment.HOME_VARIABLE) or deployment.PROJECT_HOME))
    folder = folder.expanduser().resolve()
    deployment.check_deployable(settings, folder)
    deployment.prefect_api_url()
    created = deployment.ensure_work_pool()
    outcome = deployment.run_prefect_deploy(folder, deployment.deployment_environment(settings, folder))
    if not outcome.ok:
        raise DubanError(f"prefect deploy 失败：{outcome.last_line}（完整输出见 {outcome.log}）")
    outcome.log.unlink(missing_ok=True)
    deployments = deployment.read_deployments()
    if json_out:
        emit_json({"pool": deployment.POOL, "pool_created": created, "home": str(folder),
                   "deployments": deployments})
        return
    done(f"工作池 {deployment.POOL}（process）" + ("已创建" if created else "已存在"))
    console.print(_table(deployments))
    env = deployment.deployment_env_names()
    console.print(f"每个部署携带 {len(env)} 个环境变量（{escape('、'.join(env))}），"
                  "worker 自身的环境不再决定这些设置。")
    console.print(f"下一步：在每台 worker 主机上运行 prefect worker start --pool {deployment.POOL} "
                  "（程序须位于同一 DUBAN_HOME），见 docs/deploy.md")


def _settings() -> Any:
    """The settings the deployments will carry; ``--db`` overrides ``DUBAN_DATABASE_URL``."""
    from cli.runtime import database_option
    from config.settings import get_settings

    settings = get_settings()
    override = database_option()
    return settings.model_copy(update={"database_url": override}) if override else settings


def _table(deployments: list[dict[str, Any]]) -> Table:
    table = Table("部署", "计划", "状态", title=f"已部署 {len(deployments)} 个定时任务")
    for item in deployments:
        plans = [f"cron {s['cron']}（{s['timezone']}）" if "cron" in s else
                 f"每 {s.get('interval_seconds', '?')} 秒" for s in item["schedules"]]
        table.add_row(item["name"], "；".join(plans) or "无", "已暂停" if item["paused"] else "生效")
    return table
