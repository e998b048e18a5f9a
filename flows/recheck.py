"""Prefect flow: tell the office about 回头看 re-checks that fell due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from flows.jobs import recheck_job
from flows.preflight import flow_outcome


@flow(name="duban-recheck", log_prints=False)
def recheck_flow(now: datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    return flow_outcome(recheck_job, now=now, database_url=database_url)
