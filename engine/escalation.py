"""The escalation pass: reminders, the 催办 → 督办 → 通报 ladder, stale-progress nudges and
milestone reminders, queued in the outbox.

Guarantees:
- idempotent: a second pass at the same ``now`` creates nothing (outbox keys are unique and a
  level is raised only once per deadline version);
- catch-up safe: after downtime each missed level fires once and superseded reminders are
  skipped (:mod:`engine.ladder`);
- atomic per task batch: a level change, its audit event and its messages commit together;
- streaming: only tasks whose ``next_check_at`` has come are read, ``batch_size`` at a time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from config.policy import Policy, parse_hhmm
from engine import lifecycle, outbox
from engine.ladder import Step, ladder, next_step_at, steps_to_fire
from engine.messages import buttons_for, render_task_message
from engine.periodic import create_due_occurrences, notify_due_rechecks
from engine.planned import Planned
from engine.policy_store import get_policy, zone_for
from engine.recipients import escalation_recipients, task_unit_people
from models import Milestone, Person, Recheck, Task

ASKS = {
    0: "按时限办结；如确有困难，先与分管领导沟通后申请延期",
    1: "立即办理并反馈进展（催办）",
    2: "说明逾期原因，明确完成时间（督办）",
    3: "事项已列入通报，请主要负责同志督促办结",
}


def plan(*, session: Session, now: datetime, batch_size: int = 500) -> list[Planned]:
    """Run one escalation pass at ``now`` and return the messages it queued."""
    policy = get_policy(session)
    created = create_due_occurrences(session=session, now=now)
    created += notify_due_rechecks(session=session, now=now)
    while True:
        tasks = session.exec(
            select(Task)
            .where(col(Task.next_check_at) <= now, col(Task.status).in_(lifecycle.LADDER_STATUSES))
            .order_by(col(Task.next_check_at), col(Task.id))
            .limit(batch_size)
        ).all()
        if not tasks:
            return created
        for task in tasks:
            created += _process(session, task, now, policy)
        session.commit()


def _process(session: Session, task: Task, now: datetime, policy: Policy) -> list[Planned]:
    steps = ladder(task.due_at, task.priority, policy)
    fired: list[Planned] = []
    for step in steps_to_fire(steps, now=now, level=task.escalation_level, since=task.assigned_at):
        fired += _fire(session, task, step, now, policy)
    stale_fired, stale_next = _stale(session, task, now, policy)
    stone_fired, stone_next = _milestones(session, task, now, policy)
    fired += stale_fired + stone_fired
    moments = [m for m in (next_step_at(steps, now=now), stale_next, stone_next) if m is not None]
    task.next_check_at = min(moments) if moments else None
    session.add(task)
    return fired


def _fire(session: Session, task: Task, step: Step, now: datetime, policy: Policy) -> list[Planned]:
    if step.kind == "escalation":
        lifecycle.transition(session, task=task, action="escalate", actor=None, now=now,
                             detail={"level": step.level, "from_level": task.escalation_level})
        task.escalation_level, task.escalated_at = step.level, now
        people = escalation_recipients(session, task, step.level)
    else:
        people = task_unit_people(session, task, lead_only=True)
    return _queue(session, task, people, now, policy, kind=step.kind, level=step.level,
                  key=f"{step.kind}:{task.id}:v{task.deadline_version}:{step.key}",
                  headline=step.headline, ask=ASKS[min(step.level, 3)])


def _queue(session: Session, task: Task, people: list[Person], now: datetime, policy: Policy, *,
           kind: str, level: int, key: str, headline: str, ask: str) -> list[Planned]:
    rendered = render_task_message(session, task=task, headline=headline, ask=ask, now=now)
    hold = None if task.priority == "urgent" else outbox.quiet_until(now, policy)
    out = []
    for person in people:
        dedupe_key = f"{key}:p{person.id}"
        if outbox.enqueue(session, dedupe_key=dedupe_key, kind=kind, recipient=person,
                          task_id=task.id, level=level, subject=rendered.subject,
                          body=rendered.text, body_html=rendered.html, now=now, not_before=hold,
                          actions=buttons_for(task)):
            out.append(Planned(kind, task.id, level, person.name, dedupe_key))
    return out


def _stale(session: Session, task: Task, now: datetime,
           policy: Policy) -> tuple[list[Planned], datetime | None]:
    """A nudge per cadence window without a progress report (counted from the last report)."""
    base = task.last_progress_at or task.assigned_at
    if base is None:
        return [], None
    cadence = timedelta(days=task.cadence_days or policy.progress_cadence_days)
    window = int((now - base) / cadence)
    fired: list[Planned] = []
    if window >= 1:
        fired = _queue(session, task, task_unit_people(session, task), now, policy, kind="stale",
                       level=0, key=f"stale:{task.id}:{int(base.timestamp())}:w{window}",
                       headline=f"已超过{cadence.days}天未反馈进展", ask="及时反馈办理进展")
    return fired, base + cadence * (window + 1)


def _milestones(session: Session, task: Task, now: datetime,
                policy: Policy) -> tuple[list[Planned], datetime | None]:
    """A reminder on the morning a milestone falls due, and one when it is missed."""
    stones = session.exec(
        select(Milestone).where(Milestone.task_id == task.id, col(Milestone.done_at).is_(None))
    ).all()
    tz = zone_for(policy)
    fired: list[Planned] = []
    upcoming: list[datetime] = []
    for stone in stones:
        morning = datetime.combine(stone.due_at.astimezone(tz).date(), parse_hhmm("09:00"), tzinfo=tz)
        moments = {"due": min(morning, stone.due_at), "late": stone.due_at + timedelta(seconds=1)}
        for phase, at in moments.items():
            if at > now:
                upcoming.append(at)
                continue
            headline = f"阶段节点“{stone.title}”" + ("今日到期" if phase == "due" else "已逾期")
            fired += _queue(session, task, task_unit_people(session, task, lead_only=True), now,
                            policy, kind="milestone", level=0,
                            key=f"milestone:{stone.id}:v{task.deadline_version}:{phase}",
                            headline=headline, ask="按节点完成并反馈")
    return fired, min(upcoming) if upcoming else None


def next_work_at(session: Session) -> datetime | None:
    """The earliest moment at which a pass would have anything to do (``None``: nothing is
    scheduled). Lets a runner sleep until then instead of polling."""
    candidates = [
        session.exec(select(func.min(Task.next_check_at)).where(
            col(Task.status).in_(lifecycle.LADDER_STATUSES))).one(),
        session.exec(select(func.min(Recheck.due_at)).where(
            col(Recheck.done_at).is_(None), col(Recheck.notified_at).is_(None))).one(),
        session.exec(select(func.min(Task.due_at)).where(
            col(Task.recurrence_text).is_not(None), Task.successor_created == False,  # noqa: E712
            col(Task.status).not_in(("cancelled", "draft")))).one(),
    ]
    moments = [as_utc(m) for m in candidates if m is not None]
    return min(moments) if moments else None


def as_utc(value: datetime | str) -> datetime:
    """Aggregates bypass the column type on SQLite: make the value aware UTC again."""
    from datetime import UTC

    if isinstance(value, str):  # SQLite returns min() of a datetime column as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
