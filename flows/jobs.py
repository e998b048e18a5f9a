"""The scheduled jobs as plain functions of ``now``: what both runners (the embedded
APScheduler and Prefect flows) execute. Each opens its own session on the database it is given,
or the configured one; it never creates a database and refuses one that is not initialised
(:mod:`flows.preflight`).

Every job acts as the system (``engine.org.actors.SYSTEM``) with the real clock as its wall
clock; ``now`` defaults to that clock (tests and the demo pass a simulated one, which only a
simulation database accepts). The daily summary is built at most once per local day
(``engine.summary.daily.scheduled_summary``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from config.settings import get_settings
from engine.store.db import session_scope
from flows.preflight import job_database_url, open_job_engine


@contextmanager
def job_session(database_url: str | None = None) -> Iterator[Session]:
    """A session on ``database_url`` (else ``DUBAN_DATABASE_URL``), which must exist at the
    current schema revision; raises ``JobRefused`` otherwise."""
    engine = open_job_engine(job_database_url(database_url))
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _system() -> Any:
    from engine.org.actors import SYSTEM

    return SYSTEM.at(datetime.now(UTC))


def escalate_job(now: datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """One escalation pass (reminders, levels, stale nudges, milestones, occurrences)."""
    from engine.escalation.run import run_pass

    with job_session(database_url) as session:
        created = run_pass(session=session, actor=_system(), now=_now(now))
    return {"created": len(created)}


def dispatch_job(now: datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Deliver due outbox rows through the configured channels until none is due."""
    from engine.outbox.dispatch import dispatch_once, release_orphans
    from engine.store.lease import this_holder
    from notifiers.registry import build_notifiers

    settings = get_settings()
    notifiers = build_notifiers(settings, compact_console=True)
    total: dict[str, Any] = {"sent": 0, "retried": 0, "dead": 0}
    with job_session(database_url) as session:
        release_orphans(session)
        while True:
            clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
            report = asyncio.run(dispatch_once(session=session, notifiers=notifiers,
                                               now=clock, worker=this_holder(),
                                               public_url=settings.public_url))
            for key in total:
                total[key] += getattr(report, key)
            if report.claimed == 0:
                return total


def summary_job(now: datetime | None = None, database_url: str | None = None,
                send: bool = True, reports_dir: Path | None = None) -> dict[str, Any]:
    """The daily summary of ``now``'s local day, once per day whoever fires it; the report is
    saved in ``reports_dir`` (default: the configured ``DUBAN_REPORTS_DIR``)."""
    from engine.summary.daily import scheduled_summary

    with job_session(database_url) as session:
        result = scheduled_summary(session=session, actor=_system(), now=_now(now), send=send,
                                   reports_dir=reports_dir or get_settings().reports_dir)
    if result.skipped is not None:
        return {"skipped": result.skipped}
    return {"date": result.local_date, "path": result.path, "queued": result.queued}


def recheck_job(now: datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Tell the office about 回头看 re-checks that fell due."""
    from engine.escalation.scheduled_work import notify_due_rechecks

    with job_session(database_url) as session:
        created = notify_due_rechecks(session=session, actor=_system(), now=_now(now))
    return {"created": len(created)}
