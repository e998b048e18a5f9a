"""Prefect flow: the 15:00 scheduling summary, then delivery of what it queued.

Deployed, the report goes to the shared ``DUBAN_REPORTS_DIR`` (absolute), never to the folder
the worker runs in; a run without one ends Failed with the reason.

The summary is built for ``now``; what it queued is delivered on the real clock, as every other
dispatcher delivers. A dispatcher's claims are judged by the clocks of the others (a claim older
than the 5-minute lease is taken over): delivering at a moved ``now`` beside real-clock
dispatchers made them take over, and send again, the rows it was sending (seen in
tests/flows/test_prefect_server.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from flows.dispatch import check_channels, deliver
from flows.jobs import summary_job
from flows.preflight import check_job_database, deployed_reports_dir, flow_outcome


def summary_pass(now: datetime | None, database_url: str | None, send: bool) -> dict[str, Any]:
    url = check_job_database(database_url)
    reports_dir = deployed_reports_dir()
    if send:
        check_channels()
    built = summary_job(now=now, database_url=url, send=send, reports_dir=reports_dir)
    if send and "skipped" not in built:
        built["delivery"] = deliver(None, url)
    return built


@flow(name="duban-daily-summary", log_prints=False)
def daily_summary_flow(now: datetime | None = None, database_url: str | None = None,
                       send: bool = True) -> dict[str, Any]:
    return flow_outcome(summary_pass, now=now, database_url=database_url, send=send)
