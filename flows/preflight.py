"""What a scheduled job checks before it touches anything, and how a Prefect flow refuses.

A flow run started by a Prefect worker holds only what its deployment gave it (the deployment's
``job_variables.env``, written by ``duban deploy``; see docs/deploy.md), in whatever folder the
worker happens to run. Guarantees:

- a job never creates a database: with no database passed and no ``DUBAN_DATABASE_URL``
  configured it refuses, instead of opening an empty ``sqlite:///duban.db`` in the worker's
  folder and failing later with "no such table"; a missing SQLite file, an unreachable server
  and a schema at another revision are refused too, before anything is written;
- a deployed summary writes its report only to an absolute ``DUBAN_REPORTS_DIR``;
- a flow that refuses ends ``Failed`` with the Chinese reason as its state message, logged on
  one line, without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from config.settings import get_settings, is_configured
from engine.errors import DubanError

GUIDE = "见 docs/deploy.md"

NOT_CONFIGURED = (
    "未配置督办数据库：定时任务不会使用默认的 sqlite:///duban.db，也不会新建数据库。"
    f"请在部署中设置 DUBAN_DATABASE_URL（duban deploy 会写入部署的环境变量），{GUIDE}"
)


class JobRefused(DubanError):
    """A scheduled job cannot run with the configuration it was given."""


def job_database_url(database_url: str | None) -> str:
    """The database a job works on: ``database_url`` if given, else ``DUBAN_DATABASE_URL``.

    Raises :class:`JobRefused` when neither is set (never the built-in default).
    """
    if database_url:
        return database_url
    if is_configured("database_url"):
        return get_settings().database_url
    raise JobRefused(NOT_CONFIGURED)


def open_job_engine(url: str) -> Engine:
    """An engine on ``url``, once its database is known to exist at the current schema revision.

    Nothing is created: a SQLite file is checked before the first connection would make it.
    """
    from sqlalchemy.exc import ArgumentError, OperationalError

    from engine.store.db import make_engine, sqlite_path
    from engine.store.schema import SCHEMA_REVISION, current_revision

    try:
        path = sqlite_path(url)
        engine = make_engine(url)
    except (ArgumentError, ValueError):
        raise JobRefused("数据库地址无效，应如 postgresql://主机:5432/库名（请检查 DUBAN_DATABASE_URL）") from None
    if path is not None and not path.is_file():
        engine.dispose()
        raise JobRefused(f"数据库文件 {path} 不存在：定时任务不会新建数据库，"
                         "请先运行 duban init，或检查 DUBAN_DATABASE_URL")
    try:
        revision = current_revision(engine)
    except OperationalError:
        engine.dispose()
        raise JobRefused("无法连接督办数据库，请检查 DUBAN_DATABASE_URL 和数据库服务") from None
    if revision != SCHEMA_REVISION:
        engine.dispose()
        if revision is None:
            raise JobRefused("督办数据库尚未初始化：请先运行 duban init")
        raise JobRefused(f"督办数据库结构版本 {revision} 与程序（{SCHEMA_REVISION}）不一致："
                         "请先运行 duban init 升级，再启动 worker")
    return engine


def check_job_database(database_url: str | None) -> str:
    """:func:`job_database_url` plus :func:`open_job_engine`'s checks; returns the URL."""
    url = job_database_url(database_url)
    open_job_engine(url).dispose()
    return url


def deployed_reports_dir() -> Path:
    """The shared folder a deployed daily summary writes to: ``DUBAN_REPORTS_DIR``, absolute."""
    folder = get_settings().reports_dir
    if not is_configured("reports_dir") or not folder.is_absolute():
        raise JobRefused("未配置调度报告目录：部署须以 DUBAN_REPORTS_DIR 指定共享文件夹的绝对路径"
                         f"（如 /srv/duban/reports），报告不写入 worker 的工作目录，{GUIDE}")
    return folder


def flow_outcome(job: Callable[..., dict[str, Any]], /, **kwargs: Any) -> Any:
    """Run ``job`` inside a Prefect flow: its result, or a ``Failed`` state whose message is
    the refusal (one error line in the run's log, no traceback)."""
    from prefect import get_run_logger
    from prefect.states import Failed

    from config.errors import ConfigError

    logger = get_run_logger()
    try:
        result = job(**kwargs)
    except (DubanError, ConfigError) as refusal:
        logger.error("%s refused: %s", job.__name__, refusal)
        return Failed(message=str(refusal))
    logger.info("%s: %s", job.__name__, result)
    return result
