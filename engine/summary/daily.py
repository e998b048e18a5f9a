"""Running the daily summary: build it for the whole and each leader, save the Markdown report,
queue it to leaders and the office through the outbox, and remember when it was built."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from engine.outbox import queue as outbox
from engine.outbox.recipients import office_people, top_leaders
from engine.store.policy import calendar_for, get_policy, zone_for
from engine.summary.build import SummaryData, build_summary, leaders_with_scope
from engine.summary.render import render_html, render_markdown, render_text
from models import Person, SummaryRun


@dataclass
class DailyResult:
    local_date: str
    whole: SummaryData
    scoped: dict[str, SummaryData] = field(default_factory=dict)
    path: str | None = None
    queued: int = 0
    skipped_reason: str | None = None


def is_summary_day(now: datetime, session: Session) -> bool:
    """Every day, or — with ``days: working_days`` — official working days only (调休 included)."""
    policy = get_policy(session)
    if policy.summary.days == "every_day":
        return True
    return calendar_for(policy).is_workday(now.astimezone(zone_for(policy)).date())


def run_daily_summary(*, session: Session, now: datetime, reports_dir: Path,
                      send: bool) -> DailyResult:
    """Build, save and (with ``send``) queue the summary of ``now``'s local day.

    Queueing is idempotent per day and recipient; a second run the same day rebuilds the report
    and queues nothing twice. All or nothing: when the database refuses the run (read-only, a
    lost connection) no report file is written either.
    """
    local_date = now.astimezone(zone_for(get_policy(session))).date().isoformat()
    result = DailyResult(local_date=local_date, whole=build_summary(session, now=now))
    for leader in leaders_with_scope(session):
        result.scoped[leader.name] = build_summary(session, now=now, leader=leader)
    path = reports_dir / f"summary-{local_date}.md"
    result.path = str(path)
    if send:
        result.queued = _queue(session, result, now)
    _remember(session, local_date, now, result.path)
    # The database first (a read-only one refuses here, before any file exists), then the file
    # through a temporary one that becomes the report only once the rows are committed.
    session.flush()
    text = render_markdown(result.whole) + "".join(
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


def _queue(session: Session, result: DailyResult, now: datetime) -> int:
    count = 0
    whole_people = {p.id: p for p in [*top_leaders(session), *office_people(session)]}
    targets: list[tuple[Person, SummaryData]] = [(p, result.whole) for p in whole_people.values()]
    for leader in leaders_with_scope(session):
        if leader.id not in whole_people:
            targets.append((leader, result.scoped[leader.name]))
    for person, data in targets:
        count += outbox.enqueue(
            session, dedupe_key=f"summary:{result.local_date}:p{person.id}", kind="summary",
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
