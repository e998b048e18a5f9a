"""The reminder and escalation ladder of one deadline, as pure computation.

For a due moment, a priority and the policy, :func:`ladder` lists the steps — reminders before
the deadline, the due-day morning reminder, levels 1 催办 / 2 督办 / 3 通报 after it — each with
the moment it falls due. :func:`steps_to_fire` applies the catch-up rules: every level not yet
reached fires once; of the reminders only the latest one that is due fires, and none once a
level is due (a later step supersedes it). Steps at the same moment collapse into the highest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from config.policy import EscalationRule, Policy, parse_hhmm
from engine.calendar.workdays import WorkCalendar
from engine.store.policy import calendar_for, zone_for
from engine.values import EscalationLevel


@dataclass(frozen=True)
class Step:
    key: str
    kind: str  # "reminder" | "escalation"
    level: int
    at: datetime
    headline: str


def workdays_before(calendar: WorkCalendar, day: date, n: int) -> date:
    """The working day ``d`` before ``day`` such that ``n`` working days lie in ``(d, day]``…
    counted back: the n-th working day before ``day``."""
    d, count = day, 0
    while count < n:
        d -= timedelta(days=1)
        if calendar.is_workday(d):
            count += 1
    return d


def ladder(due_at: datetime, priority: str, policy: Policy) -> list[Step]:
    """All steps of the ladder for a deadline, sorted by moment."""
    rule = policy.escalation.for_priority(priority)
    steps = _minute_steps(due_at, rule) if rule.unit == "minutes" else _workday_steps(
        due_at, rule, policy
    )
    return _collapse(sorted(steps, key=lambda s: (s.at, s.level)))


def _minute_steps(due_at: datetime, rule: EscalationRule) -> list[Step]:
    steps = [Step(f"m{m}", "reminder", 0, due_at - timedelta(minutes=m), f"{m}分钟后到期")
             for m in rule.reminders_before]
    for level, minutes in enumerate(rule.level_after, start=1):
        at = due_at + timedelta(minutes=minutes, seconds=0 if minutes else 1)
        steps.append(Step(f"L{level}", "escalation", level, at, _level_headline(level)))
    return steps


def _workday_steps(due_at: datetime, rule: EscalationRule, policy: Policy) -> list[Step]:
    tz, cal = zone_for(policy), calendar_for(policy)
    morning = parse_hhmm(rule.due_day_morning or "09:00")
    due_day = due_at.astimezone(tz).date()
    steps = []
    for n in rule.reminders_before:
        day = workdays_before(cal, due_day, n)
        steps.append(Step(f"r{n}", "reminder", 0, datetime.combine(day, morning, tzinfo=tz),
                          f"还有{n}个工作日到期"))
    if rule.due_day_morning is not None:
        at = datetime.combine(due_day, morning, tzinfo=tz)
        if at < due_at:
            steps.append(Step("due", "reminder", 0, at, "今日到期"))
    for level, n in enumerate(rule.level_after, start=1):
        at = (due_at + timedelta(seconds=1) if n == 0
              else datetime.combine(cal.add_workdays(due_day, n), morning, tzinfo=tz))
        steps.append(Step(f"L{level}", "escalation", level, at, _level_headline(level)))
    return steps


def _level_headline(level: int) -> str:
    return {1: "逾期催办", 2: "逾期督办", 3: "逾期通报"}.get(level, EscalationLevel(level).label)


def _collapse(steps: list[Step]) -> list[Step]:
    """Drop an escalation step that falls at the same moment as a higher one."""
    out: list[Step] = []
    for step in steps:
        if out and out[-1].kind == step.kind == "escalation" and out[-1].at == step.at:
            out[-1] = step
        else:
            out.append(step)
    return out


def steps_to_fire(steps: list[Step], *, now: datetime, level: int,
                  since: datetime | None) -> list[Step]:
    """The steps a pass at ``now`` must create, given the level already reached.

    Reminders older than ``since`` (the assignment) never applied and are ignored.
    """
    due = [s for s in steps if s.at <= now]
    levels = [s for s in due if s.kind == "escalation" and s.level > level]
    if any(s.kind == "escalation" for s in due):
        return levels
    reminders = [s for s in due if s.kind == "reminder" and (since is None or s.at >= since)]
    return reminders[-1:]


def next_step_at(steps: list[Step], *, now: datetime) -> datetime | None:
    """The first moment after ``now`` at which a step falls due (``None``: ladder finished)."""
    later = [s.at for s in steps if s.at > now]
    return min(later) if later else None
