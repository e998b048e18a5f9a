"""The escalation pass: reminders, the 催办 → 督办 → 通报 ladder, stale-progress nudges and
milestone reminders, queued in the outbox.

Guarantees:
- idempotent: a second pass at the same ``now`` creates nothing (outbox keys are unique and a
  level is raised only once per deadline version);
- catch-up safe: after downtime each missed level fires once and superseded reminders are
  skipped (:mod:`engine.escalation.ladder`);
- atomic per task batch: a level change, its audit event and its messages commit together;
- concurrent passes never do the same work twice: each batch locks its tasks (PostgreSQL
  ``FOR UPDATE SKIP LOCKED``; SQLite's write lock), so a level's audit event is written once;
- streaming: only tasks whose ``next_check_at`` has come are read, ``batch_size`` at a time.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select

from config.policy import Policy, parse_hhmm
from engine.calendar.lights import due_of, yellow_cutoff
from engine.escalation.ladder import Step, ladder, next_step_at, steps_to_fire
from engine.escalation.planned import Planned
from engine.escalation.scheduled_work import (
    awaiting_occurrence,
    awaiting_recheck,
    create_due_occurrences,
    notify_due_rechecks,
)
from engine.org.actors import Actor
from engine.org.permissions import require_office_or_system
from engine.outbox import queue as outbox
from engine.outbox.messages import buttons_for, render_task_message
from engine.outbox.recipients import RecipientCache
from engine.store.policy import get_policy, zone_for
from engine.store.tally import compact
from engine.tasks import lifecycle
from models import Milestone, Person, Recheck, Task, Unit

ASKS = {
    0: "按时限办结；如确有困难，先与分管领导沟通后申请延期",
    1: "立即办理并反馈进展（催办）",
    2: "说明逾期原因，明确完成时间（督办）",
    3: "事项已列入通报，请主要负责同志督促办结",
}

_NINE = parse_hhmm("09:00")

_TASK = Task.__table__  # type: ignore[attr-defined]
_SET_NEXT_CHECK = update(_TASK).where(_TASK.c.id == bindparam("task_id")).values(
    next_check_at=bindparam("next_check_at"))


class _Pass:
    """What one pass shares between its tasks: the policy, the quiet-hours hold, ladders per
    deadline, recipients per unit, milestones per batch, and the messages to queue per batch."""

    def __init__(self, session: Session, now: datetime, policy: Policy, actor: Actor) -> None:
        self.session, self.now, self.policy, self.actor = session, now, policy, actor
        self.hold = outbox.quiet_until(now, policy)
        self.cutoff = yellow_cutoff(now, policy)
        self.tz = zone_for(policy)
        self.people = RecipientCache(session)
        self.ladders: dict[tuple[datetime, str], list[Step]] = {}
        self.stones: dict[int, list[Milestone]] = {}
        self.queued: list[tuple[Planned, dict[str, Any]]] = []
        self.next_checks: list[dict[str, Any]] = []
        self.units: list[Unit] = []  # keeps the batch's units in the identity map for rendering

    def ladder(self, task: Task) -> list[Step]:
        key = (due_of(task), task.priority)
        steps = self.ladders.get(key)
        if steps is None:
            steps = self.ladders[key] = ladder(key[0], task.priority, self.policy)
        return steps

    def prefetch(self, tasks: list[Task]) -> None:
        """Links, unit people, units and open milestones of a batch: a few queries in all."""
        ids = [t.id for t in tasks if t.id is not None]
        self.people.forget_links()
        self.people.prefetch(ids)
        self.units = list(self.session.exec(
            select(Unit).where(col(Unit.id).in_({t.lead_unit_id for t in tasks}))).all())
        self.stones = {}
        for stone in self.session.exec(
            select(Milestone).where(col(Milestone.task_id).in_(ids), col(Milestone.done_at).is_(None))
            .order_by(col(Milestone.id))
        ).all():
            self.stones.setdefault(stone.task_id, []).append(stone)

    def schedule(self, task: Task, moment: datetime | None) -> None:
        """Set the task's ``next_check_at``, written for the whole batch by :meth:`flush`.

        Every task of the batch gets one: written as one executemany of a single statement rather
        than by the unit of work, which splits the batch's task UPDATEs into as many statements as
        there are runs of tasks with the same changed columns (a thousand per 10k tasks).
        """
        set_committed_value(task, "next_check_at", moment)
        self.next_checks.append({"task_id": task.id, "next_check_at": moment})

    def flush(self) -> list[Planned]:
        """Write the batch's ``next_check_at`` values and queue its messages in one statement
        each; return the messages that were new."""
        if self.next_checks:
            self.session.connection().execute(_SET_NEXT_CHECK, self.next_checks)
            self.next_checks = []
        added = outbox.enqueue_many(self.session, [values for _, values in self.queued])
        out = [planned for planned, values in self.queued if values["dedupe_key"] in added]
        self.queued = []
        return out


def run_pass(*, session: Session, actor: Actor, now: datetime,
             batch_size: int = 500) -> list[Planned]:
    """Run one escalation pass at ``now`` and return the messages it queued.

    The system's scheduled job runs it, or the office / operator on demand (``duban tick``); the
    level changes are audited as that actor's.
    """
    require_office_or_system(actor, "执行提醒与升级督办")
    policy = get_policy(session)
    created = create_due_occurrences(session=session, actor=actor, now=now)
    created += notify_due_rechecks(session=session, actor=actor, now=now)
    ctx = _Pass(session, now, policy, actor)
    # The pass commits per batch; people, units and policy it caches do not change meanwhile,
    # so keep them loaded instead of re-reading each one after every commit.
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        created += _batches(session, ctx, batch_size)
    finally:
        session.expire_on_commit = expire
    # The pass runs every few minutes: fold the tallies' appended changes (its own and every
    # other writer's) so that readers sum few of them (engine.read.tally).
    compact(session)
    session.commit()
    return created


def _batches(session: Session, ctx: _Pass, batch_size: int) -> list[Planned]:
    created: list[Planned] = []
    now = ctx.now
    while True:
        # Two passes at once (two ticks, two workers) split the work instead of both doing it:
        # PostgreSQL skips the rows the other pass holds until its batch commits, and the rows
        # are re-read as committed (SQLite: the write lock serialises whole batches).
        tasks = list(session.exec(
            select(Task)
            .where(col(Task.next_check_at) <= now, col(Task.status).in_(lifecycle.LADDER_STATUSES))
            .order_by(col(Task.next_check_at), col(Task.id))
            .limit(batch_size)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all())
        if not tasks:
            return created
        ctx.prefetch(tasks)
        # The batch's reads (recipients, the audit head) never depend on its own pending
        # writes: flush those once, at the commit, not before every read.
        with session.no_autoflush:
            for task in tasks:
                _process(ctx, task)
        created += ctx.flush()
        session.commit()


def _process(ctx: _Pass, task: Task) -> None:
    now = ctx.now
    steps = ctx.ladder(task)
    for step in steps_to_fire(steps, now=now, level=task.escalation_level, since=task.assigned_at):
        _fire(ctx, task, step)
    stale_next = _stale(ctx, task)
    stone_next = _milestones(ctx, task)
    moments = [m for m in (next_step_at(steps, now=now), stale_next, stone_next) if m is not None]
    ctx.schedule(task, min(moments) if moments else None)


def _fire(ctx: _Pass, task: Task, step: Step) -> None:
    if step.kind == "escalation":
        lifecycle.transition(ctx.session, task=task, action="escalate", actor=ctx.actor, now=ctx.now,
                             detail={"level": step.level, "from_level": task.escalation_level})
        task.escalation_level, task.escalated_at = step.level, ctx.now
        people = ctx.people.escalation_recipients(task, step.level)
    else:
        people = ctx.people.task_unit_people(task, lead_only=True)
    _queue(ctx, task, people, kind=step.kind, level=step.level,
           key=f"{step.kind}:{task.id}:v{task.deadline_version}:{step.key}",
           headline=step.headline, ask=ASKS[min(step.level, 3)])


def _queue(ctx: _Pass, task: Task, people: list[Person], *, kind: str, level: int, key: str,
           headline: str, ask: str) -> None:
    """Render once, then add one row per person to the batch (inserted by :meth:`_Pass.flush`)."""
    if not people:
        return
    rendered = render_task_message(ctx.session, task=task, headline=headline, ask=ask, now=ctx.now,
                                   cutoff=ctx.cutoff)
    hold = None if task.priority == "urgent" else ctx.hold
    actions = json.dumps(buttons_for(task), ensure_ascii=False)
    for person in people:
        dedupe_key = f"{key}:p{person.id}"
        values = outbox.message_values(
            dedupe_key=dedupe_key, kind=kind, recipient=person, task_id=task.id, level=level,
            subject=rendered.subject, body=rendered.text, body_html=rendered.html, now=ctx.now,
            not_before=hold, actions_json=actions)
        ctx.queued.append((Planned(kind, task.id, level, person.name, dedupe_key), values))


def _stale(ctx: _Pass, task: Task) -> datetime | None:
    """A nudge per cadence window without a progress report (counted from the last report);
    returns the start of the next window."""
    base = task.last_progress_at or task.assigned_at
    if base is None:
        return None
    cadence = timedelta(days=task.cadence_days or ctx.policy.progress_cadence_days)
    window = int((ctx.now - base) / cadence)
    if window >= 1:
        _queue(ctx, task, ctx.people.task_unit_people(task), kind="stale", level=0,
               key=f"stale:{task.id}:{int(base.timestamp())}:w{window}",
               headline=f"已超过{cadence.days}天未反馈进展", ask="及时反馈办理进展")
    return base + cadence * (window + 1)


def _milestones(ctx: _Pass, task: Task) -> datetime | None:
    """A reminder on the morning a milestone falls due, and one when it is missed; returns the
    next such moment."""
    upcoming: list[datetime] = []
    for stone in ctx.stones.get(task.id or 0, []):
        morning = datetime.combine(stone.due_at.astimezone(ctx.tz).date(), _NINE, tzinfo=ctx.tz)
        moments = {"due": min(morning, stone.due_at), "late": stone.due_at + timedelta(seconds=1)}
        for phase, at in moments.items():
            if at > ctx.now:
                upcoming.append(at)
                continue
            headline = f"阶段节点“{stone.title}”" + ("今日到期" if phase == "due" else "已逾期")
            _queue(ctx, task, ctx.people.task_unit_people(task, lead_only=True), kind="milestone",
                   level=0, key=f"milestone:{stone.id}:v{task.deadline_version}:{phase}",
                   headline=headline, ask="按节点完成并反馈")
    return min(upcoming) if upcoming else None


def next_work_at(session: Session) -> datetime | None:
    """The earliest moment at which a pass would have anything to do (``None``: nothing is
    scheduled). Lets a runner sleep until then instead of polling."""
    candidates = [
        session.exec(select(func.min(Task.next_check_at)).where(
            col(Task.status).in_(lifecycle.LADDER_STATUSES))).one(),
        session.exec(select(func.min(Recheck.due_at)).where(*awaiting_recheck())).one(),
        session.exec(select(func.min(Task.due_at)).where(*awaiting_occurrence())).one(),
    ]
    moments = [as_utc(m) for m in candidates if m is not None]
    return min(moments) if moments else None


def as_utc(value: datetime | str) -> datetime:
    """Aggregates bypass the column type on SQLite: make the value aware UTC again."""
    from datetime import UTC

    if isinstance(value, str):  # SQLite returns min() of a datetime column as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
