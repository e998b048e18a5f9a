"""Past 15:00 summaries (每日调度): which were built, and what a reader may read of them.

A built summary leaves two records (:mod:`engine.summary.daily`): a ``summary_run`` row (the
local date, when it was built, the Markdown report's path) and, when it was sent, one outbox
message per recipient (``summary:DATE:pPERSON``) holding exactly the text that person received —
the whole for the office and top leaders, a leader's own 分管范围 for the others.

Guarantees:

- the readers are those of :func:`engine.summary.build.summary_for`: the office, the operator,
  the system and leaders; units are refused;
- a reader who sees every task (:func:`engine.org.visibility.sees_all_tasks`) lists every built
  summary and reads the saved report (the whole and every leader's scope), or — when the report
  file is not readable from this process — the message they were sent;
- a leader with a scope lists only the days a summary was sent to them and reads only that
  message: never the whole, never another leader's scope;
- a day without a summary, or one the reader may not read, is :class:`NotFound`; a malformed
  date is :class:`InvalidInput`. Nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from engine.errors import InvalidInput, NotFound
from engine.inputs import printable
from engine.org.actors import Actor
from engine.read.schemas import Schema
from engine.store.policy import get_policy, zone_for
from engine.summary.scopes import summary_reader
from engine.values import OutboxKind
from models import OutboxMessage, SummaryRun

HISTORY_LIMIT = 60
"""Past summaries listed at most (newest first): about two months of working days."""
REPORT_MAX_BYTES = 2 * 1024 * 1024
"""Largest saved report read back, in bytes (a summary caps each list, so real ones are far
smaller); a larger file is treated as unreadable."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(slots=True)
class PastSummary(Schema):
    """One built summary as a reader finds it in the list."""

    local_date: str
    built_at: datetime
    """When it was built, in the policy's zone."""
    sent: bool
    """Whether it was sent to the reader (a message exists for them)."""


@dataclass(slots=True)
class PastSummaryText(Schema):
    """The text of one past summary for its reader."""

    local_date: str
    built_at: datetime
    source: str
    """``report`` (the saved Markdown report: the whole and every scope) or ``message`` (the
    plain text sent to the reader)."""
    text: str


def _message_key(local_date: str, person_id: int | None) -> str:
    return f"summary:{local_date}:p{person_id}"


def summary_history(*, session: Session, actor: Actor, now: datetime,
                    limit: int = HISTORY_LIMIT) -> list[PastSummary]:
    """The summaries built by ``now`` that ``actor`` may read, newest first (at most
    ``limit``)."""
    whole = summary_reader(session, actor)
    tz = zone_for(get_policy(session))
    runs = session.exec(select(SummaryRun).where(col(SummaryRun.built_at) <= now)
                        .order_by(col(SummaryRun.local_date).desc())
                        .limit(max(1, min(limit, 1000)))).all()
    sent: set[str] = set()
    if actor.person_id is not None:
        keys = session.exec(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.kind == OutboxKind.SUMMARY.value,
            OutboxMessage.recipient_id == actor.person_id)).all()
        sent = {key.split(":")[1] for key in keys if key.count(":") == 2}
    return [PastSummary(local_date=r.local_date, built_at=r.built_at.astimezone(tz),
                        sent=r.local_date in sent)
            for r in runs if whole or r.local_date in sent]


def past_summary(*, session: Session, actor: Actor, local_date: str,
                 now: datetime) -> PastSummaryText:
    """The summary of ``local_date`` (``2024-03-05``) as ``actor`` may read it (see the module
    docstring for which text that is); one built after ``now`` does not exist yet (a
    simulation database's clock may be moved back)."""
    whole = summary_reader(session, actor)
    if not _real_date(local_date):
        raise InvalidInput("日期不正确，应为 年-月-日，如 2024-03-05")
    missing = NotFound(f"没有{local_date}的每日调度")
    run = session.exec(select(SummaryRun).where(SummaryRun.local_date == local_date)).first()
    if run is None or run.built_at > now:
        raise missing
    built = run.built_at.astimezone(zone_for(get_policy(session)))
    report = _report_text(run) if whole else None
    if report is not None:
        return PastSummaryText(local_date, built, "report", report)
    message = session.exec(select(OutboxMessage).where(
        OutboxMessage.dedupe_key == _message_key(local_date, actor.person_id))).first()
    if message is None or actor.person_id is None:
        raise missing
    return PastSummaryText(local_date, built, "message", printable(message.body))


def _real_date(text: str) -> bool:
    if not _DATE.match(text or ""):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _report_text(run: SummaryRun) -> str | None:
    """The saved report of ``run``, when this process can read it. Only a file named as the
    daily run names it is read: the stored path alone never decides what is opened."""
    if not run.path:
        return None
    path = Path(run.path)
    if path.name != f"summary-{run.local_date}.md":
        return None
    try:
        if not path.is_file() or path.stat().st_size > REPORT_MAX_BYTES:
            return None
        return printable(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
