"""红黄绿灯 from ``now``, the deadline and the policy's warning window in *working* days.

The 2024 Spring Festival shows why working days matter: 2024-02-10…17 are off, and the Sundays
2024-02-04 and 2024-02-18 are make-up working days (调休上班).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from config.policy import HolidayOverrides, Policy
from engine.calendar.lights import days_overdue, is_overdue, light, workdays_overdue
from engine.read.filters import TaskFilters
from engine.read.tasks import board, task_rows, visible_tasks
from engine.store.policy import save_policy
from engine.tasks.lifecycle import STATUSES
from engine.values import Light
from models import Task
from tests.factories import at, make_city, make_task, operator

POLICY = Policy()  # warning window: 3 working days


def _task(due: datetime, *, status: str = "in_progress", level: int = 0) -> Task:
    fields: dict[str, Any] = {"status": status, "due_at": due.astimezone(UTC),
                              "escalation_level": level}
    return Task(**fields)  # only what the light depends on


def _due(day: str) -> datetime:
    return at(day, "23:59:59")


@pytest.mark.parametrize(("now", "due", "expected"), [
    # Due Mon 02-19. From Thu 02-08 the working days left are 02-09, 02-18 (Sunday, make-up)
    # and 02-19: three, so yellow — counting weekdays would give seven and green.
    ("2024-02-08", "2024-02-19", "yellow"),
    ("2024-02-07", "2024-02-19", "green"),   # 02-08, 02-09, 02-18, 02-19: four
    ("2024-02-12", "2024-02-19", "yellow"),  # in the holiday: 02-18, 02-19
    ("2024-02-17", "2024-02-19", "yellow"),
    ("2024-02-19", "2024-02-19", "yellow"),  # the due day itself
    # Due Mon 02-05. From Wed 01-31: 02-01, 02-02, 02-04 (make-up Sunday), 02-05 — four, green;
    # ignoring the make-up day would give three and yellow.
    ("2024-01-31", "2024-02-05", "green"),
    ("2024-02-01", "2024-02-05", "yellow"),
    ("2024-03-01", "2024-03-31", "green"),
])
def test_window_counts_official_working_days(now: str, due: str, expected: str) -> None:
    assert light(_task(_due(due)), at(now, "10:00"), POLICY) == expected


def test_red_exactly_when_the_deadline_has_passed() -> None:
    due = _due("2024-02-19")
    task = _task(due)
    assert light(task, due, POLICY) == "yellow"
    assert light(task, due + timedelta(seconds=1), POLICY) == "red"
    assert is_overdue(task, due + timedelta(seconds=1)) and not is_overdue(task, due)
    # Local midnight, expressed in UTC: already the next day in Shanghai.
    assert light(task, datetime(2024, 2, 19, 16, 0, tzinfo=UTC), POLICY) == "red"
    assert light(task, datetime(2024, 2, 19, 15, 59, tzinfo=UTC), POLICY) == "yellow"


def test_escalated_task_is_at_least_yellow() -> None:
    due = _due("2024-03-31")
    now = at("2024-03-01")
    assert light(_task(due), now, POLICY) == "green"
    assert light(_task(due, level=1), now, POLICY) == "yellow"
    assert light(_task(due, level=3), due + timedelta(days=1), POLICY) == "red"


@pytest.mark.parametrize("status", STATUSES)
def test_only_work_with_the_units_has_a_light(status: str) -> None:
    """Drafts (待交办), closed and cancelled tasks have none and are never overdue."""
    due = _due("2024-02-19")
    late = due + timedelta(days=10)
    result = light(_task(due, status=status), late, POLICY)
    if status in ("draft", "closed", "cancelled"):
        assert result is None and not is_overdue(_task(due, status=status), late)
    else:
        assert result == "red" and is_overdue(_task(due, status=status), late)


def test_window_comes_from_the_policy() -> None:
    due = _due("2024-02-19")
    now = at("2024-02-08")
    assert light(_task(due), now, Policy(warning_window_workdays=2)) == "green"
    assert light(_task(due), now, Policy(warning_window_workdays=3)) == "yellow"
    assert light(_task(due), at("2024-02-19"), Policy(warning_window_workdays=0)) == "yellow"
    assert light(_task(due), at("2024-02-18"), Policy(warning_window_workdays=0)) == "green"
    # After 01-03 up to 02-19: 20 working days in January, 8 before the festival, 2 after.
    assert light(_task(due), at("2024-01-03"), Policy(warning_window_workdays=29)) == "green"
    assert light(_task(due), at("2024-01-03"), Policy(warning_window_workdays=30)) == "yellow"


def test_holiday_overrides_move_the_window() -> None:
    due = _due("2024-02-19")
    now = at("2024-02-07")
    assert light(_task(due), now, POLICY) == "green"
    # The office declares 02-08 and 02-09 holidays too: only 02-18 and 02-19 remain.
    extra = Policy(holiday_overrides=HolidayOverrides(holidays=(
        datetime(2024, 2, 8).date(), datetime(2024, 2, 9).date())))
    assert light(_task(due), now, extra) == "yellow"


def test_overdue_days_across_the_festival() -> None:
    task = _task(_due("2024-02-08"))
    now = at("2024-02-19", "09:00")
    assert days_overdue(task, now, POLICY) == 11
    assert workdays_overdue(task, now, POLICY) == 3  # 02-09, 02-18, 02-19
    assert workdays_overdue(task, _due("2024-02-08"), POLICY) == 0
    assert days_overdue(_task(_due("2024-02-08"), status="closed"), now, POLICY) == 0


def test_views_and_board_use_the_stored_policy(session: Session) -> None:
    city = make_city(session, now=at("2024-01-02", "09:00"))
    issued = at("2024-01-02", "09:30")
    green = make_task(session, city, due="2024年2月19日前", now=issued, title="节后",
                      co=["EMERG"])
    red = make_task(session, city, due="2024年2月5日前", now=issued, title="节前", lead="HOUSING",
                    co=[])
    now = at("2024-02-07")
    rows = {r.title: r for r in task_rows(session, [green, red], now)}
    assert (rows["节后"].light, rows["节后"].overdue) == ("green", False)
    assert (rows["节前"].light, rows["节前"].overdue) == ("red", True)
    assert rows["节前"].days_overdue == 2

    def titles(**filters: Any) -> list[str]:
        page = visible_tasks(session=session, actor=operator(), now=now,
                             filters=TaskFilters(**filters))
        return [r.title for r in page.items]

    assert titles(light=Light.RED) == ["节前"]
    assert titles(light=Light.GREEN) == ["节后"]
    assert titles(overdue=True) == ["节前"]
    assert titles(unit="HOUSING") == ["节前"]
    assert titles(unit="应急") == ["节后"]  # co unit
    counts = {r.unit: (r.red, r.yellow, r.green)
              for r in board(session=session, actor=operator(), now=now)}
    assert counts == {"市住房和城乡建设局": (1, 0, 0), "市消防救援支队": (0, 0, 1)}
    save_policy(session, policy=Policy(warning_window_workdays=5), now=now)
    session.commit()
    session.info.clear()
    assert task_rows(session, [green], now)[0].light == "yellow"
    assert titles(light=Light.YELLOW) == ["节后"]
