"""The embedded runner behind ``duban serve``: APScheduler built from the job table, the outbox
dispatcher loop and (when configured) the Telegram bot, on one asyncio event loop.

Guarantees: the scheduler uses a persistent job store in the same database, deterministic job
ids with ``replace_existing=True``, ``coalesce=True`` and an explicit ``misfire_grace_time`` (a
15:00 summary missed during downtime runs once on restart, within the grace). Only one ``serve``
may own the job store: a database lease refuses a second one. SIGTERM and Ctrl-C stop cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from config import defaults
from engine.store.db import make_engine, normalise_url
from engine.store.lease import acquire, release, renew, this_holder
from flows.jobs import dispatch_job, job_session
from flows.schedule import Job, jobs

log = logging.getLogger(__name__)
LEASE_NAME = "serve"
Console = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
JOBSTORE_TABLE = "apscheduler_jobs"


@dataclass
class ServeOptions:
    database_url: str
    dispatch_interval: float = 5.0
    heartbeat_interval: float = 20.0
    with_bot: bool = True
    on_started: Callable[[list[Job]], None] | None = None
    open_console: Callable[[], Console] | None = None
    """Called once the job store is ours: binds the web console's socket (raising if it
    cannot) and returns the coroutine function that serves it until the stop event."""


def build_scheduler(options: ServeOptions, table: list[Job], timezone: str) -> Any:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.cron import CronTrigger

    store = SQLAlchemyJobStore(engine=make_engine(options.database_url), tablename=JOBSTORE_TABLE)
    scheduler = AsyncIOScheduler(
        jobstores={"default": store}, timezone=timezone,
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": defaults.MISFIRE_GRACE_SECONDS},
    )
    for job in table:
        scheduler.add_job(job.run, CronTrigger.from_crontab(job.cron, timezone=job.timezone),
                          id=job.name, name=job.description, replace_existing=True,
                          kwargs={"database_url": options.database_url})
    return scheduler


def _policy_jobs(database_url: str) -> tuple[list[Job], str]:
    from engine.store.policy import get_policy

    with job_session(database_url) as session:
        policy = get_policy(session)
    return list(jobs(policy)), policy.timezone


async def serve(options: ServeOptions, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (or SIGTERM/SIGINT); raises ``AlreadyRunning`` if another
    ``serve`` holds the job store. Whatever fails after the lease is taken (the console's port
    is busy, say) releases it again."""
    stop = stop or asyncio.Event()
    options.database_url = normalise_url(options.database_url)
    holder = this_holder()
    with job_session(options.database_url) as session:
        acquire(session, name=LEASE_NAME, holder=holder, now=datetime.now(UTC),
                what="duban serve")
    loop = asyncio.get_running_loop()
    scheduler: Any = None
    workers: list[asyncio.Task[None]] = []
    try:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        console = options.open_console() if options.open_console else None
        table, timezone = _policy_jobs(options.database_url)
        # The dispatcher runs as its own loop here (every few seconds), not as the minutely job.
        table = [job for job in table if job.name != "dispatch"]
        scheduler = build_scheduler(options, table, timezone)
        scheduler.start()
        workers = _start_workers(options, holder, stop, console)
        if options.on_started:
            options.on_started(table)
        await stop.wait()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        for worker in workers:
            worker.cancel()  # the console finishes the requests in flight first (web.server)
        await asyncio.gather(*workers, return_exceptions=True)
        with job_session(options.database_url) as session:
            release(session, name=LEASE_NAME, holder=holder)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def _start_workers(options: ServeOptions, holder: str, stop: asyncio.Event,
                   console: Console | None) -> list[asyncio.Task[None]]:
    workers = [asyncio.create_task(_dispatch_loop(options, stop)),
               asyncio.create_task(_heartbeat_loop(options, holder, stop))]
    if options.with_bot:
        workers.append(asyncio.create_task(_bot(options, stop)))
    if console is not None:
        workers.append(asyncio.create_task(console(stop)))
    return workers


async def _dispatch_loop(options: ServeOptions, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.to_thread(dispatch_job, None, options.database_url)
        except Exception:  # noqa: BLE001 - keep serving; the outbox keeps the messages
            log.exception("dispatch pass failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=options.dispatch_interval)
        except TimeoutError:
            continue


async def _heartbeat_loop(options: ServeOptions, holder: str, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=options.heartbeat_interval)
        except TimeoutError:
            with job_session(options.database_url) as session:
                if not renew(session, name=LEASE_NAME, holder=holder, now=datetime.now(UTC)):
                    log.error("serve lease lost to another process; stopping")
                    stop.set()


async def _bot(options: ServeOptions, stop: asyncio.Event) -> None:
    from config.settings import get_settings

    settings = get_settings()
    if not settings.telegram_token:
        return
    from bot.app import run_bot

    await run_bot(engine=make_engine(options.database_url), token=settings.telegram_token,
                  base_url=settings.telegram_base_url, stop=stop,
                  base_file_url=settings.telegram_base_file_url)
