"""Saved views of the task list, each only a set of filters (so every front end offers the same
ones and a view pages like any list): 我的待办, 本单位, 红灯, 本周到期, 领导关注."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

from sqlmodel import Session

from engine.errors import InvalidInput, Remedy
from engine.org.actors import Actor
from engine.read.filters import Sort, TaskFilters
from engine.store.policy import get_policy, zone_for
from engine.values import (
    ACTIVE_STATUSES,
    EscalationLevel,
    Labelled,
    Light,
    Role,
    TaskStatus,
)

UNIT_WORK = (TaskStatus.ASSIGNED, TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS)
"""What a unit still has to do something about (签收, 反馈, 申请办结)."""
OFFICE_WORK = (TaskStatus.DRAFT, TaskStatus.PENDING_REVIEW)
"""What waits for the office: drafts to complete and assign, completion requests to verify."""


class SavedView(Labelled):
    MINE = "mine", "我的待办"
    UNIT = "unit", "本单位"
    RED = "red", "红灯"
    WEEK = "week", "本周到期"
    FOCUS = "focus", "领导关注"


def available_views(actor: Actor) -> list[SavedView]:
    """The views :func:`view_filters` accepts for ``actor``, in menu order: 本单位 only for a
    person in a unit, 我的待办 only for someone who has work of their own (the office, a leader,
    a unit's person). A front end offers these and no others, so no link leads to a refusal."""
    return [view for view in SavedView
            if (view is not SavedView.UNIT or _in_unit(actor))
            and (view is not SavedView.MINE or _has_own_work(actor))]


def _in_unit(actor: Actor) -> bool:
    return actor.person is not None and actor.unit_id is not None


def _has_own_work(actor: Actor) -> bool:
    return actor.acts_as_office or (actor.person is not None
                                    and (actor.unit_id is not None or actor.has(Role.LEADER)))


def view_filters(*, session: Session, actor: Actor, view: SavedView, now: datetime,
                 base: TaskFilters | None = None) -> TaskFilters:
    """The filters of ``view`` for ``actor`` at ``now``, on top of ``base`` (the view wins where
    both set a field). What the actor may see still bounds every view."""
    base = base or TaskFilters()
    if view is SavedView.MINE:
        return _mine(session, actor, base)
    if view is SavedView.UNIT:
        if actor.person is None or actor.unit_id is None:  # as _in_unit, narrowed for mypy
            raise InvalidInput("“本单位”视图只适用于隶属单位的人员")
        from engine.org.directory import unit_code

        return replace(base, unit=unit_code(session, actor.unit_id))
    if view is SavedView.RED:
        return replace(base, light=Light.RED)
    if view is SavedView.WEEK:
        start, end = _this_week(session, now)
        return replace(base, statuses=ACTIVE_STATUSES, due_from=start, due_to=end,
                       sort=Sort.DUE)
    return replace(base, statuses=ACTIVE_STATUSES, min_escalation=EscalationLevel.SUPERVISED)


def _mine(session: Session, actor: Actor, base: TaskFilters) -> TaskFilters:
    if actor.acts_as_office:
        return replace(base, statuses=OFFICE_WORK)
    if actor.person is not None and actor.has(Role.LEADER) and actor.unit_id is None:
        return replace(base, statuses=ACTIVE_STATUSES, leader_id=actor.person_id)
    if actor.person is not None and actor.unit_id is not None:
        from engine.org.directory import unit_code

        return replace(base, statuses=UNIT_WORK, unit=unit_code(session, actor.unit_id))
    raise InvalidInput("“我的待办”视图需要以具体人员身份查看", remedy=Remedy.ACT_AS_PERSON)


def _this_week(session: Session, now: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to Sunday 23:59:59 of ``now``'s local week."""
    tz = zone_for(get_policy(session))
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return (datetime.combine(monday, time.min, tzinfo=tz),
            datetime.combine(monday + timedelta(days=6), time.max, tzinfo=tz))
