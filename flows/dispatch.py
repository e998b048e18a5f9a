"""Prefect flow: deliver the outbox. The I/O step retries (channels fail transiently); the
database and the channels are checked first, so a misconfigured run fails at once, not after
its retries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from flows.jobs import dispatch_job
from flows.preflight import check_job_database, flow_outcome


@task(retries=3, retry_delay_seconds=[10, 30, 60])
def deliver(now: datetime | None, database_url: str) -> dict[str, Any]:
    return dispatch_job(now=now, database_url=database_url)


def check_channels() -> None:
    """Refuse unknown channel names and a channel missing its settings, before any claim."""
    from config.settings import get_settings
    from notifiers.registry import build_notifiers

    build_notifiers(get_settings())


def dispatch_pass(now: datetime | None, database_url: str | None) -> dict[str, Any]:
    url = check_job_database(database_url)
    check_channels()
    return deliver(now, url)


@flow(name="duban-dispatch", log_prints=False)
def dispatch_flow(now: datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    return flow_outcome(dispatch_pass, now=now, database_url=database_url)
