"""The home page (首页 / 驾驶舱) for one reader: lights, the board, overdue and near-due items,
what waits for them, today's escalations, the chart of lights by unit and the 30-day trend.

Everything is narrowed to the tasks the reader may see (:mod:`engine.org.visibility`); the
engine decides, the front end renders. Nothing here writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from engine.calendar.lights import workdays_cutoff, yellow_cutoff
from engine.org.actors import Actor
from engine.org.visibility import UNIT_ROLES, sees_all_tasks, task_scope
from engine.read import counts, tally, worklists
from engine.read.overview_schemas import HomeOverview
from engine.read.trend import Days, trend
from engine.store.policy import get_policy, zone_for
from engine.values import Role, TaskStatus
from models import Unit

LIST_LIMIT = 20
"""Rows in each list of the home page (its count always covers every match)."""
CHART_UNITS = 15
"""Units in the chart of lights by unit."""
DUE_SOON_WORKDAYS = 3
""""Due soon": within this many working days."""


def home_overview(*, session: Session, actor: Actor, now: datetime) -> HomeOverview:
    """The home page of ``actor`` as of ``now``: every figure and list over the tasks they may
    see (the office and top leaders: the whole city; a leader: their scope; a unit: the tasks it
    leads or cooperates on). Lights and lists are exact as of ``now``."""
    policy = get_policy(session)
    tz = zone_for(policy)
    condition = task_scope(session, actor)
    scope: list[Any] = [condition] if condition is not None else []
    cutoff = yellow_cutoff(now, policy)
    whole = condition is None or sees_all_tasks(session, actor)
    by_unit = counts.unit_counts(session, scope, whole, now, cutoff)
    board = counts.board_rows(session, by_unit)
    lights = counts.light_totals(board)
    soon_cutoff = workdays_cutoff(now, policy, DUE_SOON_WORKDAYS)
    soon_total, soon = worklists.due_soon(
        session, scope, now, soon_cutoff, LIST_LIMIT,
        counts.due_soon_total(by_unit) if soon_cutoff == cutoff else None, narrowed=not whole)
    # Counts the whole city's page already has (the tallies), instead of counting again.
    known = {"red": lights["red"], "review": tally.status_counts(session).get(
        TaskStatus.PENDING_REVIEW.value, 0)} if whole else None
    escalated_total, escalated = worklists.escalations_today(session, scope, now, LIST_LIMIT)
    return HomeOverview(
        scope=_scope_name(session, actor), built_at=now.astimezone(tz), lights=lights,
        board=board, overdue_total=lights["red"],
        overdue=worklists.overdue_rows(session, scope, now, LIST_LIMIT, narrowed=not whole),
        due_soon_total=soon_total, due_soon=soon,
        waiting=worklists.waiting_for(session, actor, scope, now, LIST_LIMIT, known,
                                      narrowed=not whole),
        escalations_total=escalated_total, escalations=escalated,
        chart=counts.chart_rows(board, CHART_UNITS),
        trend=trend(session, scope, Days.before(now, tz), whole=whole,
                    open_now=sum(lights.values()), overdue_now=lights["red"]),
    )


def _scope_name(session: Session, actor: Actor) -> str:
    """How the page names what it covers: 全市, a leader's 分管范围, or the reader's unit."""
    if actor.sees_everything or sees_all_tasks(session, actor):
        return "全市"
    person = actor.person
    if person is not None and actor.has(Role.LEADER):
        return f"{person.name}{person.title}分管范围"
    if person is not None and person.unit_id is not None and actor.has(*UNIT_ROLES):
        unit = session.get(Unit, person.unit_id)
        if unit is not None:
            return unit.name
    return "本人负责事项"
