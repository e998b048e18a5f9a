"""催办 by hand: the office urges the units of chosen tasks, beside the automatic ladder.

Guarantees of :func:`urge_tasks`:

- office only (the web console's 批量催办, the operator at the command line); anyone else is
  refused before anything is read beyond the permission check;
- every task is looked up as the actor sees it before anything is written: an unknown code
  refuses the whole request and nothing is queued;
- each urged task gets one audit event (``urge``, with the note and the people reached) and one
  outbox row per contact and head of its lead and cooperating units, in one transaction;
- at most one 催办 per task, deadline version and local day: urging again the same day queues
  nothing and says so (a double-click or a resubmitted form sends nothing twice);
- tasks that are not waiting for their units (drafts, 申请办结, ended ones) are skipped with the
  reason, not refused: a bulk selection may mix them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from engine.errors import InvalidInput
from engine.inputs import check_text
from engine.org.actors import Actor
from engine.org.directory import locked
from engine.org.permissions import require_office
from engine.org.visibility import find_visible_task
from engine.outbox import queue as outbox
from engine.outbox.messages import buttons_for, render_task_message
from engine.outbox.recipients import task_unit_people
from engine.store.ids import pk
from engine.store.policy import get_policy, zone_for
from engine.store.service import service
from engine.tasks import audit
from engine.values import LADDER_STATUSES, TaskStatus
from models import Person, Task

MAX_URGE = 200
"""Most tasks one 批量催办 may name."""
NOTE_MAX = 500
"""Longest note the office may add to a 催办, in characters."""
DEFAULT_ASK = "立即办理并反馈进展（督查室催办）"
"""What the message asks when the office adds no note."""
KIND = "urge"
"""The outbox kind (and audit action) of a 催办 by hand."""


@dataclass(frozen=True)
class UrgeOutcome:
    """What happened to one chosen task: messages queued, or why none were."""

    code: str
    title: str
    queued: int
    skipped: str | None = None


@service
def urge_tasks(*, session: Session, actor: Actor, tasks: Sequence[str | int], now: datetime,
               note: str = "") -> list[UrgeOutcome]:
    """催办 the units of ``tasks`` (codes or ids) at ``now``, with the office's ``note`` as
    what is asked; return one outcome per distinct task, in the order given."""
    require_office(actor, "催办事项")
    refs = list(dict.fromkeys(tasks))
    if not refs:
        raise InvalidInput("请至少选择一项事项")
    if len(refs) > MAX_URGE:
        raise InvalidInput(f"一次最多催办 {MAX_URGE} 项事项，现选了 {len(refs)} 项")
    note = check_text(note, "催办说明", max_length=NOTE_MAX).strip()
    rows = [find_visible_task(session, actor, ref) for ref in refs]
    _lock(session, rows)
    day = now.astimezone(zone_for(get_policy(session))).date().isoformat()
    hold = outbox.quiet_until(now, get_policy(session))
    out = []
    for task in rows:
        skipped = _not_urgeable(task)
        people = task_unit_people(session, task) if skipped is None else []
        if skipped is None and not people:
            skipped = "承办单位没有可接收催办的联络员或负责人"
        queued = _queue(session, task, people, note, now, day, hold) if people else 0
        if people and not queued:
            skipped = "今日已催办过，未重复发送"
        if queued:
            audit.record(session, actor=actor, entity="task", entity_id=task.id, action=KIND,
                         now=now, before={"status": task.status},
                         after={"status": task.status, "note": note,
                                "recipients": [p.name for p in people], "messages": queued})
        out.append(UrgeOutcome(code=task.code, title=task.title, queued=queued, skipped=skipped))
    return out


def _lock(session: Session, tasks: list[Task]) -> None:
    """Lock the chosen tasks, in id order, before anything is written, and re-read them as
    committed. Two 批量催办 of overlapping selections (in any order) then queue behind each
    other instead of deadlocking on each other's messages, and an escalation pass — which skips
    locked tasks — never holds one of them while waiting for the audit chain an urge holds."""
    ids = sorted({pk(task) for task in tasks})
    session.exec(locked(select(Task).where(col(Task.id).in_(ids)).order_by(col(Task.id)))).all()


def _not_urgeable(task: Task) -> str | None:
    """Why ``task`` is not waiting for its units (``None``: it is)."""
    if task.status in LADDER_STATUSES:
        return None
    if task.status == TaskStatus.PENDING_REVIEW:
        return "已申请办结，等待督查室审核"
    return f"状态为“{TaskStatus(task.status).label}”，无需催办"


def _queue(session: Session, task: Task, people: list[Person], note: str, now: datetime,
           day: str, hold: datetime | None) -> int:
    """One row per person, keyed by task, deadline version, local day and person."""
    rendered = render_task_message(session, task=task, headline="督查室催办",
                                   ask=note or DEFAULT_ASK, now=now)
    not_before = None if task.priority == "urgent" else hold
    return sum(outbox.enqueue(
        session, dedupe_key=f"{KIND}:{task.id}:v{task.deadline_version}:{day}:p{person.id}",
        kind=KIND, recipient=person, task_id=task.id, level=1, subject=rendered.subject,
        body=rendered.text, body_html=rendered.html, now=now, not_before=not_before,
        actions=buttons_for(task)) for person in people)
