"""Running the daily summary: build it for the whole and each leader, save the Markdown report,
queue it to leaders and the office through the outbox, and remember when it was built — on
demand (:func:`run_daily_summary`) or as the scheduled job, at most once per local day whoever
fires it (:func:`scheduled_summary`)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from engine.org.actors import Actor
from engine.org.permissions import require_office_or_system
from engine.outbox import queue as outbox
from engine.outbox.recipients import office_people, top_leaders
from engine.read.schemas import SummaryView
from engine.store.lease import claim_fire, release_fire
from engine.store.policy import calendar_for, get_policy, zone_for
from engine.summary.build import build_summary, leaders_with_scope
from engine.summary.render import render_html, render_markdown, render_text
from engine.values import OutboxKind
from models import Person, SummaryRun


@dataclass
class DailyResult:
    local_date: str
    whole: SummaryView | None = None
    scoped: dict[str, SummaryView] = field(default_factory=dict)
    path: str | None = None
    queued: int = 0
    skipped: str | None = None
    """Why the scheduled run built nothing (a Chinese sentence), else ``None``."""


def is_summary_day(now: datetime, session: Session) -> bool:
    """Every day, or — with ``days: working_days`` — official working days only (调休 included)."""
    policy = get_policy(session)
    if policy.summary.days == "every_day":
        return True
    return calendar_for(policy).is_workday(now.astimezone(zone_for(policy)).date())


def local_date_of(session: Session, now: datetime) -> str:
    return now.astimezone(zone_for(get_policy(session))).date().isoformat()


def run_daily_summary(*, session: Session, actor: Actor, now: datetime, reports_dir: Path,
                      send: bool, record: bool = True) -> DailyResult:
    """Build, save and (with ``send``) queue the summary of ``now``'s local day.

    Queueing is idempotent per day and recipient; a second run the same day rebuilds the report
    and queues nothing twice. ``record=False`` builds a preview that is not remembered as the
    day's summary (so it does not move "since the last summary"). The office, the operator or
    the system's job may run it. All or nothing: when the database refuses the run (read-only,
    a lost connection) no report file is written either.
    """
    require_office_or_system(actor, "生成每日调度")
    whole = build_summary(session, now=now)
    result = DailyResult(local_date=local_date_of(session, now), whole=whole)
    for leader in leaders_with_scope(session):
        result.scoped[leader.name] = build_summary(session, now=now, leader=leader)
    path = reports_dir / f"summary-{result.local_date}.md"
    result.path = str(path)
    if send:
        result.queued = _queue(session, result, now)
    if record:
        _remember(session, result.local_date, now, result.path)
    # The database first (a read-only one refuses here, before any file exists), then the file
    # through a temporary one that becomes the report only once the rows are committed.
    session.flush()
    text = render_markdown(whole) + "".join(
        "\n\n" + render_markdown(d) for d in result.scoped.values())
    reports_dir.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(suffix=".md", prefix=".summary-", dir=reports_dir)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        session.commit()
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return result


def scheduled_summary(*, session: Session, actor: Actor, now: datetime, reports_dir: Path,
                      send: bool = True) -> DailyResult:
    """The scheduled 15:00 run: skipped on a day without summary, and built at most once per
    local day by any scheduler (a database fire key); a failed build frees the day for a retry."""
    local_date = local_date_of(session, now)
    if not is_summary_day(now, session):
        return DailyResult(local_date=local_date, skipped="非工作日")
    key = f"daily-summary:{local_date}"
    if not claim_fire(session, key=key, now=now):
        return DailyResult(local_date=local_date, skipped="今日调度已生成")
    try:
        return run_daily_summary(session=session, actor=actor, now=now, reports_dir=reports_dir,
                                 send=send)
    except BaseException:
        session.rollback()
        release_fire(session, key=key)
        raise


def _queue(session: Session, result: DailyResult, now: datetime) -> int:
    assert result.whole is not None
    count = 0
    whole_people = {p.id: p for p in [*top_leaders(session), *office_people(session)]}
    targets: list[tuple[Person, SummaryView]] = [(p, result.whole) for p in whole_people.values()]
    for leader in leaders_with_scope(session):
        if leader.id not in whole_people:
            targets.append((leader, result.scoped[leader.name]))
    for person, data in targets:
        count += outbox.enqueue(
            session, dedupe_key=f"summary:{result.local_date}:p{person.id}", kind=OutboxKind.SUMMARY,
            recipient=person, subject=f"督办事项每日调度 {result.local_date}",
            body=render_text(data), body_html=render_html(data), now=now,
        )
    return count


def _remember(session: Session, local_date: str, now: datetime, path: str | None) -> None:
    run = session.exec(select(SummaryRun).where(SummaryRun.local_date == local_date)).first()
    if run is None:
        session.add(SummaryRun(local_date=local_date, built_at=now, path=path))
    else:
        run.built_at, run.path = now, path
        session.add(run)
