"""Tests of engine.calendar.workdays: official working days, make-up days, fallback years, overrides."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import date, timedelta

import pytest

from engine.calendar.workdays import WorkCalendar


def test_spring_festival_2024_make_up_sundays_are_workdays() -> None:
    cal = WorkCalendar()
    assert cal.is_workday(date(2024, 2, 4))  # Sunday, 调休上班
    assert cal.is_workday(date(2024, 2, 18))  # Sunday, 调休上班


def test_spring_festival_2024_holiday_is_off() -> None:
    cal = WorkCalendar()
    for offset in range(8):
        assert not cal.is_workday(date(2024, 2, 10) + timedelta(days=offset))
    assert cal.is_workday(date(2024, 2, 9))
    assert cal.is_workday(date(2024, 2, 19))


def test_add_workdays_across_spring_festival_2024() -> None:
    cal = WorkCalendar()
    assert cal.add_workdays(date(2024, 2, 8), 1) == date(2024, 2, 9)
    assert cal.add_workdays(date(2024, 2, 9), 1) == date(2024, 2, 18)
    assert cal.add_workdays(date(2024, 2, 8), 3) == date(2024, 2, 19)
    assert cal.add_workdays(date(2024, 2, 3), 1) == date(2024, 2, 4)


def test_add_workdays_zero_is_start_and_negative_rejected() -> None:
    cal = WorkCalendar()
    assert cal.add_workdays(date(2024, 2, 10), 0) == date(2024, 2, 10)
    with pytest.raises(ValueError):
        cal.add_workdays(date(2024, 2, 10), -1)


def test_workdays_between_counts_start_exclusive_end_inclusive() -> None:
    cal = WorkCalendar()
    assert cal.workdays_between(date(2024, 2, 9), date(2024, 2, 19)) == 2
    assert cal.workdays_between(date(2024, 3, 4), date(2024, 3, 11)) == 5
    assert cal.workdays_between(date(2024, 3, 4), date(2024, 3, 4)) == 0
    assert cal.workdays_between(date(2024, 3, 11), date(2024, 3, 4)) == 0


def test_next_workday() -> None:
    cal = WorkCalendar()
    assert cal.next_workday(date(2024, 2, 10)) == date(2024, 2, 18)
    assert cal.next_workday(date(2024, 2, 9)) == date(2024, 2, 9)
    assert cal.next_workday(date(2024, 3, 9)) == date(2024, 3, 11)


def test_2026_national_day_from_chinese_calendar() -> None:
    cal = WorkCalendar()
    for day in range(1, 8):
        assert not cal.is_workday(date(2026, 10, day))
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, 调休上班
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, 调休上班
    assert not cal.is_workday(date(2026, 10, 11))
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.workdays_between(date(2026, 9, 30), date(2026, 10, 11)) == 3
    assert cal.warnings == []


def test_2027_falls_back_to_holidays_package_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cal = WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="engine.calendar.workdays"):
        assert not cal.is_workday(date(2027, 1, 1))  # New Year's Day, a Friday
        assert not cal.is_workday(date(2027, 1, 9))  # an ordinary Saturday
        assert cal.is_workday(date(2027, 1, 4))  # an ordinary Monday
        assert not cal.is_workday(date(2027, 10, 1))  # National Day
        cal.add_workdays(date(2027, 3, 1), 40)
    assert len(cal.warnings) == 1
    assert cal.warnings[0].startswith("2027年的节假日安排不在 chinese_calendar 数据范围内")
    assert "国务院" in cal.warnings[0]
    assert [r.getMessage() for r in caplog.records] == cal.warnings


def test_each_fallback_year_warns_once() -> None:
    cal = WorkCalendar()
    cal.is_workday(date(2027, 5, 6))
    cal.is_workday(date(2028, 5, 8))
    cal.is_workday(date(2027, 6, 1))
    assert [w[:5] for w in cal.warnings] == ["2027年", "2028年"]


def test_override_wins_and_needs_no_fallback_warning() -> None:
    sunday, wednesday = date(2027, 1, 10), date(2027, 1, 6)
    cal = WorkCalendar(workdays=[sunday], holidays=[wednesday])
    assert cal.is_workday(sunday)
    assert not cal.is_workday(wednesday)
    assert cal.warnings == []
    assert cal.add_workdays(date(2027, 1, 9), 1) == sunday


def test_override_wins_over_chinese_calendar() -> None:
    cal = WorkCalendar(holidays=[date(2024, 2, 18)], workdays=[date(2024, 2, 12)])
    assert not cal.is_workday(date(2024, 2, 18))
    assert cal.is_workday(date(2024, 2, 12))


def test_same_date_as_holiday_and_workday_is_rejected() -> None:
    with pytest.raises(ValueError):
        WorkCalendar(holidays=[date(2027, 1, 10)], workdays=[date(2027, 1, 10)])


def test_answers_are_cached_per_date(monkeypatch: pytest.MonkeyPatch) -> None:
    import chinese_calendar

    calls: list[date] = []
    real = chinese_calendar.is_workday

    def counting(d: date) -> bool:
        calls.append(d)
        return bool(real(d))

    monkeypatch.setattr(chinese_calendar, "is_workday", counting)
    cal = WorkCalendar()
    for _ in range(1000):
        cal.is_workday(date(2024, 2, 18))
    assert calls == [date(2024, 2, 18)]


def test_import_is_lazy() -> None:
    code = (
        "import sys, engine.calendar.workdays, engine.calendar.deadlines; "
        "print(*(m in sys.modules for m in ('chinese_calendar', 'holidays', 'cn2an')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]
