"""Prefect flow: one escalation pass (the engine does the work; no retries: it is idempotent and
the next run catches up). A run with no usable database ends Failed with the reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from flows.jobs import escalate_job
from flows.preflight import flow_outcome


@flow(name="duban-escalate", log_prints=False)
def escalate_flow(now: datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    return flow_outcome(escalate_job, now=now, database_url=database_url)
