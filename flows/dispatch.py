"""Prefect flow: deliver the outbox. The I/O step retries (channels fail transiently)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from flows.jobs import dispatch_job


@task(retries=3, retry_delay_seconds=[10, 30, 60])
def deliver(now: datetime | None, database_url: str | None) -> dict[str, Any]:
    return dispatch_job(now=now, database_url=database_url)


@flow(name="duban-dispatch", log_prints=False)
def dispatch_flow(now: datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    return deliver(now, database_url)
