"""Prefect flow: one escalation pass (the engine does the work; no retries: it is idempotent and
the next run catches up)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from flows.jobs import escalate_job


@flow(name="duban-escalate", log_prints=False)
def escalate_flow(now: datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    return escalate_job(now=now, database_url=database_url)
