"""Prefect flow: the 15:00 scheduling summary, then delivery of what it queued."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from flows.jobs import dispatch_job, summary_job


@task(retries=3, retry_delay_seconds=[10, 30, 60])
def deliver(now: datetime | None, database_url: str | None) -> dict[str, Any]:
    return dispatch_job(now=now, database_url=database_url)


@flow(name="duban-daily-summary", log_prints=False)
def daily_summary_flow(now: datetime | None = None, database_url: str | None = None,
                       send: bool = True) -> dict[str, Any]:
    built = summary_job(now=now, database_url=database_url, send=send)
    if send and "skipped" not in built:
        built["delivery"] = deliver(now, database_url)
    return built
