"""The policy in force, stored in the database so every process (CLI, workers, bot) shares it."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from config.policy import HolidayOverrides, Policy
from engine.calendar.workdays import WorkCalendar
from models import Setting

_POLICY_KEY = "policy"
_CACHE = "duban.policy"


def stored_policy_column() -> Any:
    """The stored policy's value as a scalar subquery, for a read that fetches it with something
    else in one round trip; hand what it gives to :func:`remember_policy`."""
    return select(Setting.value).where(Setting.key == _POLICY_KEY).scalar_subquery()


def remember_policy(session: Session, value: Any) -> None:
    """Cache on ``session`` the policy whose stored value (``None``: none stored) was read by
    :func:`stored_policy_column`, so :func:`get_policy` does not read it again."""
    session.info[_CACHE] = Policy.model_validate(value) if value is not None else Policy()


def get_policy(session: Session) -> Policy:
    """The stored policy, or the defaults when none was loaded; cached on the session."""
    cached = session.info.get(_CACHE)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    row = session.get(Setting, _POLICY_KEY)
    policy = Policy.model_validate(row.value) if row is not None else Policy()
    session.info[_CACHE] = policy
    return policy


def save_policy(session: Session, *, policy: Policy, now: datetime) -> None:
    """Store ``policy`` in the caller's transaction."""
    row = session.get(Setting, _POLICY_KEY)
    value = policy.model_dump(mode="json")
    if row is None:
        row = Setting(key=_POLICY_KEY, value=value, updated_at=now)
    else:
        row.value = value
        row.updated_at = now
    session.add(row)
    session.info[_CACHE] = policy
    from engine.store.tally import follow_zone  # the tallies' local days follow the zone

    follow_zone(session, policy.timezone)


@lru_cache(maxsize=8)
def _calendar(overrides: HolidayOverrides) -> WorkCalendar:
    return WorkCalendar(holidays=overrides.holidays, workdays=overrides.workdays)


def calendar_for(policy: Policy) -> WorkCalendar:
    """The working-day calendar with the policy's holiday overrides (shared, cached)."""
    return _calendar(policy.holiday_overrides)


def zone_for(policy: Policy) -> ZoneInfo:
    return ZoneInfo(policy.timezone)
