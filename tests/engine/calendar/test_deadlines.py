"""Tests of engine.calendar.deadlines: every deadline form documents use, resolved to exact instants."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from engine.calendar.deadlines import ResolvedDeadline, find_deadline_spans, resolve_deadline
from engine.calendar.workdays import WorkCalendar
from engine.errors import DeadlineParseError
from tests.paths import ROOT

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
ISSUED = datetime(2024, 3, 4, 10, 0, tzinfo=TZ)  # a Monday


def local(y: int, m: int, d: int, hh: int = 23, mm: int = 59, ss: int = 59) -> datetime:
    """A local Shanghai instant; the default is the end of that day."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


def resolve(text: str, issued: datetime = ISSUED, cal: WorkCalendar = CAL) -> ResolvedDeadline:
    return resolve_deadline(text, issued_at=issued, tz=TZ, calendar=cal)


FORMS: list[tuple[str, datetime, str, bool]] = [
    # absolute
    ("3月31日前", local(2024, 3, 31), "absolute", False),
    ("2024年12月10日前", local(2024, 12, 10), "absolute", False),
    ("11月24日前", local(2024, 11, 24), "absolute", False),
    ("3月31日", local(2024, 3, 31), "absolute", False),
    ("3月31日前完成", local(2024, 3, 31), "absolute", False),
    ("于3月31日前报送", local(2024, 3, 31), "absolute", False),
    ("  3月31日前完成整改  ", local(2024, 3, 31), "absolute", False),
    ("2024年3月31日24时前", local(2024, 3, 31), "absolute", False),
    ("3月31日18时前", local(2024, 3, 31, 18, 0, 0), "absolute", False),
    ("3月31日下午5点前", local(2024, 3, 31, 17, 0, 0), "absolute", False),
    ("三月三十一日前", local(2024, 3, 31), "absolute", False),
    ("十二月十日前", local(2024, 12, 10), "absolute", False),
    ("二〇二四年十二月十日前", local(2024, 12, 10), "absolute", False),
    ("３月３１日前", local(2024, 3, 31), "absolute", False),
    ("3月4日", local(2024, 3, 4), "absolute", False),
    # period ends
    ("三月中旬前", local(2024, 3, 20), "period_end", False),
    ("3月中旬前", local(2024, 3, 20), "period_end", False),
    ("3月上旬", local(2024, 3, 10), "period_end", False),
    ("3月下旬", local(2024, 3, 31), "period_end", False),
    ("3月底前", local(2024, 3, 31), "period_end", False),
    ("三月底前", local(2024, 3, 31), "period_end", False),
    ("3月末", local(2024, 3, 31), "period_end", False),
    ("4月底前", local(2024, 4, 30), "period_end", False),
    ("3月份内", local(2024, 3, 31), "period_end", False),
    ("月底前", local(2024, 3, 31), "period_end", False),
    ("本月底前", local(2024, 3, 31), "period_end", False),
    ("本月中旬前", local(2024, 3, 20), "period_end", False),
    ("下月底前", local(2024, 4, 30), "period_end", False),
    ("年底前", local(2024, 12, 31), "period_end", False),
    ("年内", local(2024, 12, 31), "period_end", False),
    ("今年年底前", local(2024, 12, 31), "period_end", False),
    ("今年底", local(2024, 12, 31), "period_end", False),
    ("年末", local(2024, 12, 31), "period_end", False),
    ("2025年底前", local(2025, 12, 31), "period_end", False),
    ("明年年底前", local(2025, 12, 31), "period_end", False),
    ("上半年", local(2024, 6, 30), "period_end", False),
    ("下半年", local(2024, 12, 31), "period_end", False),
    ("年中前", local(2024, 6, 30), "period_end", False),
    ("第一季度末", local(2024, 3, 31), "period_end", False),
    ("一季度", local(2024, 3, 31), "period_end", False),
    ("第二季度末前", local(2024, 6, 30), "period_end", False),
    ("三季度", local(2024, 9, 30), "period_end", False),
    ("2024年第4季度", local(2024, 12, 31), "period_end", False),
    ("本季度末", local(2024, 3, 31), "period_end", False),
    ("下季度末", local(2024, 6, 30), "period_end", False),
    ("明年3月底前", local(2025, 3, 31), "period_end", False),
    ("3月前", local(2024, 2, 29), "period_end", True),
    # relative
    ("一个月内", local(2024, 4, 4), "relative", False),
    ("1个月内", local(2024, 4, 4), "relative", False),
    ("3个月内", local(2024, 6, 4), "relative", False),
    ("半个月内", local(2024, 3, 19), "relative", False),
    ("一年内", local(2025, 3, 4), "relative", False),
    ("半年内", local(2024, 9, 4), "relative", False),
    ("3个工作日内", local(2024, 3, 7), "workdays", False),
    ("三个工作日内", local(2024, 3, 7), "workdays", False),
    ("5个工作日内报送", local(2024, 3, 11), "workdays", False),
    ("10日内", local(2024, 3, 14), "relative", False),
    ("10天内", local(2024, 3, 14), "relative", False),
    ("十天内", local(2024, 3, 14), "relative", False),
    ("15个自然日内", local(2024, 3, 19), "relative", False),
    ("两周内", local(2024, 3, 18), "relative", False),
    ("2周内", local(2024, 3, 18), "relative", False),
    ("今天", local(2024, 3, 4), "relative", False),
    ("明天下午5点前", local(2024, 3, 5, 17, 0, 0), "relative", False),
    ("1小时内", local(2024, 3, 4, 11, 0, 0), "hours", False),
    ("1小时内报送", local(2024, 3, 4, 11, 0, 0), "hours", False),
    ("一个小时内", local(2024, 3, 4, 11, 0, 0), "hours", False),
    ("半小时内", local(2024, 3, 4, 10, 30, 0), "hours", False),
    ("30分钟内", local(2024, 3, 4, 10, 30, 0), "hours", False),
    ("24小时内", local(2024, 3, 5, 10, 0, 0), "hours", False),
    # weekdays
    ("本周五前", local(2024, 3, 8), "absolute", False),
    ("周五前", local(2024, 3, 8), "absolute", False),
    ("下周三前", local(2024, 3, 13), "absolute", False),
    ("本周内", local(2024, 3, 10), "period_end", False),
    # urgency words
    ("立即", local(2024, 3, 4, 11, 0, 0), "hours", False),
    ("即刻", local(2024, 3, 4, 11, 0, 0), "hours", False),
    ("尽快", local(2024, 3, 7), "workdays", True),
    ("尽快报送", local(2024, 3, 7), "workdays", True),
    ("近期", local(2024, 3, 18), "workdays", True),
    # ISO, as typed on the CLI
    ("2024-03-31", local(2024, 3, 31), "iso", False),
    ("2024-03-31 18:00", local(2024, 3, 31, 18, 0, 0), "iso", False),
    ("2024-03-31T18:00+08:00", local(2024, 3, 31, 18, 0, 0), "iso", False),
    ("2024-03-31T10:00Z", local(2024, 3, 31, 18, 0, 0), "iso", False),
    ("2024-03-31T05:00-05:00", local(2024, 3, 31, 18, 0, 0), "iso", False),
]


@pytest.mark.parametrize(("text", "due", "form", "blur"), FORMS, ids=[f[0] for f in FORMS])
def test_form(text: str, due: datetime, form: str, blur: bool) -> None:
    r = resolve(text)
    assert r.due_at == due
    assert r.due_at.tzinfo is UTC
    assert (r.form, r.blur) == (form, blur)
    assert r.text == text.strip()
    assert r.start_at is None
    assert r.recurrence is None


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("即日起至9月20日", ISSUED, local(2024, 9, 20)),
        ("即日起至2024年9月20日", ISSUED, local(2024, 9, 20)),
        ("自即日起至年底", ISSUED, local(2024, 12, 31)),
        ("3月1日至4月30日", local(2024, 3, 1, 0, 0, 0), local(2024, 4, 30)),
        ("2024年3月1日至2024年4月30日", local(2024, 3, 1, 0, 0, 0), local(2024, 4, 30)),
        ("3月1日-4月底", local(2024, 3, 1, 0, 0, 0), local(2024, 4, 30)),
    ],
)
def test_range(text: str, start: datetime, due: datetime) -> None:
    r = resolve(text)
    assert (r.form, r.start_at, r.due_at) == ("range", start, due)
    assert r.start_at is not None and r.start_at.tzinfo is UTC


def test_range_across_new_year() -> None:
    r = resolve("12月1日至1月31日", issued=local(2024, 11, 20, 9, 0, 0))
    assert (r.start_at, r.due_at) == (local(2024, 12, 1, 0, 0, 0), local(2025, 1, 31))
    r = resolve("2023年12月1日至1月31日")
    assert (r.start_at, r.due_at) == (local(2023, 12, 1, 0, 0, 0), local(2024, 1, 31))


def test_range_ending_before_start_raises() -> None:
    with pytest.raises(DeadlineParseError):
        resolve("2024年4月30日至2024年3月1日")


@pytest.mark.parametrize(
    ("text", "due", "freq", "day", "at"),
    [
        ("每月5日前", local(2024, 3, 5), "monthly", 5, None),
        ("每月5日前报送", local(2024, 3, 5), "monthly", 5, None),
        ("每月3日前", local(2024, 4, 3), "monthly", 3, None),
        ("每月底", local(2024, 3, 31), "monthly", 31, None),
        ("每天下午3点", local(2024, 3, 4, 15, 0, 0), "daily", None, time(15, 0)),
        ("每日15时", local(2024, 3, 4, 15, 0, 0), "daily", None, time(15, 0)),
        ("每天上午9点前", local(2024, 3, 5, 9, 0, 0), "daily", None, time(9, 0)),
        ("每周五", local(2024, 3, 8), "weekly", 4, None),
        ("每周一", local(2024, 3, 4), "weekly", 0, None),
        ("每周日", local(2024, 3, 10), "weekly", 6, None),
    ],
)
def test_recurring(text: str, due: datetime, freq: str, day: int | None, at: time | None) -> None:
    r = resolve(text)
    assert (r.form, r.due_at) == ("recurring", due)
    assert r.recurrence is not None
    assert (r.recurrence.freq, r.recurrence.day, r.recurrence.time) == (freq, day, at)
    assert r.recurrence.text == text


def test_recurrence_next_after_is_strictly_after() -> None:
    monthly = resolve("每月5日前").recurrence
    daily = resolve("每天下午3点").recurrence
    weekly = resolve("每周五").recurrence
    assert monthly is not None and daily is not None and weekly is not None
    assert monthly.next_after(local(2024, 3, 5), TZ) == local(2024, 4, 5)
    assert monthly.next_after(local(2024, 12, 6, 0, 0, 0), TZ) == local(2025, 1, 5)
    assert daily.next_after(local(2024, 3, 4, 15, 0, 0), TZ) == local(2024, 3, 5, 15, 0, 0)
    assert daily.next_after(local(2024, 3, 4, 14, 59, 0), TZ) == local(2024, 3, 4, 15, 0, 0)
    assert weekly.next_after(local(2024, 3, 8), TZ) == local(2024, 3, 15)
    issued_utc = datetime(2024, 3, 4, 6, 59, tzinfo=UTC)  # 14:59 local
    assert daily.next_after(issued_utc, TZ) == local(2024, 3, 4, 15, 0, 0)


def test_monthly_day_beyond_month_end_is_clamped() -> None:
    r = resolve("每月31日前", issued=local(2024, 2, 1, 9, 0, 0))
    assert r.due_at == local(2024, 2, 29)
    assert r.recurrence is not None
    assert r.recurrence.next_after(r.due_at, TZ) == local(2024, 3, 31)


def test_year_rollover_for_passed_month_day() -> None:
    issued = local(2024, 12, 10, 9, 0, 0)
    assert resolve("1月15日前", issued).due_at == local(2025, 1, 15)
    assert resolve("3月31日", issued).due_at == local(2025, 3, 31)
    assert resolve("12月10日前", issued).due_at == local(2024, 12, 10)
    assert resolve("3月底前", issued).due_at == local(2025, 3, 31)
    assert resolve("上半年", issued).due_at == local(2025, 6, 30)
    assert resolve("一个月内", issued).due_at == local(2025, 1, 10)
    assert resolve("月底前", issued).due_at == local(2024, 12, 31)
    assert resolve("年底前", issued).due_at == local(2024, 12, 31)


def test_issue_date_is_taken_in_local_zone() -> None:
    issued = datetime(2024, 3, 31, 17, 0, tzinfo=UTC)  # 2024-04-01 01:00 in Shanghai
    # 31 March has just passed in Shanghai: it stays in the past (a deadline before issue).
    assert resolve("3月31日前", issued).due_at == local(2024, 3, 31)
    assert resolve("今天", issued).due_at == local(2024, 4, 1)
    assert resolve("1小时内", issued).due_at == datetime(2024, 3, 31, 18, 0, tzinfo=UTC)


def test_recently_passed_date_stays_in_the_past() -> None:
    assert resolve("3月1日前", local(2024, 3, 4, 9, 0, 0)).due_at == local(2024, 3, 1)
    assert resolve("1月15日前", local(2024, 12, 10, 9, 0, 0)).due_at == local(2025, 1, 15)


def test_leap_years() -> None:
    assert resolve("一个月内", local(2024, 1, 31, 9, 0, 0)).due_at == local(2024, 2, 29)
    assert resolve("一个月内", local(2023, 1, 31, 9, 0, 0)).due_at == local(2023, 2, 28)
    assert resolve("2月底前", local(2024, 1, 10, 9, 0, 0)).due_at == local(2024, 2, 29)
    assert resolve("2月底前", local(2023, 1, 10, 9, 0, 0)).due_at == local(2023, 2, 28)
    assert resolve("2月下旬", local(2028, 2, 1, 9, 0, 0)).due_at == local(2028, 2, 29)
    assert resolve("2月29日前", local(2024, 1, 10, 9, 0, 0)).due_at == local(2024, 2, 29)
    assert resolve("2月29日前", local(2023, 3, 10, 9, 0, 0)).due_at == local(2024, 2, 29)
    assert resolve("一年内", local(2024, 2, 29, 9, 0, 0)).due_at == local(2025, 2, 28)


def test_workdays_across_spring_festival() -> None:
    issued = local(2024, 2, 8, 9, 0, 0)
    assert resolve("3个工作日内", issued).due_at == local(2024, 2, 19)
    assert resolve("1个工作日内", issued).due_at == local(2024, 2, 9)
    assert resolve("尽快", issued).due_at == local(2024, 2, 19)


def test_workdays_use_the_given_calendar() -> None:
    cal = WorkCalendar(workdays=[local(2027, 1, 10).date()])  # a Sunday made a workday
    r = resolve("2个工作日内", local(2027, 1, 7, 9, 0, 0), cal)  # Thursday
    assert r.due_at == local(2027, 1, 10)


@pytest.mark.parametrize(
    "text",
    ["2月30日前", "13月1日", "2024年4月31日前", "二月三十日", "2023年2月29日", "每月32日前",
     "2024-02-30", "13月底前", "2月29日前"],
)
def test_impossible_dates_raise(text: str) -> None:
    with pytest.raises(DeadlineParseError) as info:
        resolve(text, local(2023, 1, 10, 9, 0, 0))
    assert info.value.text == text
    assert "日期不存在" in str(info.value)


@pytest.mark.parametrize(("text", "reason"), [
    ("0001-01-01 00:00", "年份 1 有误"), ("0001-01-01T00:00+14:00", "年份 1 有误"),
    ("1899年12月31日前", "年份 1899 有误"), ("9999-12-31T23:59-12:00", "时限过远")])
def test_a_year_no_datetime_holds_is_refused_not_overflowed(text: str, reason: str) -> None:
    with pytest.raises(DeadlineParseError, match=reason):
        resolve(text)


@pytest.mark.parametrize(("text", "due"), [
    ("٣月٢٩日前", local(2024, 3, 29)),  # Arabic-Indic digits: the patterns' \d matches them
    ("2024年٣月٢٩日前", local(2024, 3, 29)),
    ("٣天内", local(2024, 3, 7)),
])
def test_other_scripts_digits_are_read_as_digits(text: str, due: datetime) -> None:
    assert resolve(text).due_at == due


@pytest.mark.parametrize("text", ["3月31日25时前", "2024-03-31 25:00"])
def test_impossible_times_raise(text: str) -> None:
    with pytest.raises(DeadlineParseError, match="时间不存在"):
        resolve(text)


@pytest.mark.parametrize("text", ["", "   ", "长期坚持", "下一阶段", "按要求", "0个工作日内"])
def test_unrecognised_raises(text: str) -> None:
    with pytest.raises(DeadlineParseError):
        resolve(text)


def test_several_concrete_deadlines_raise() -> None:
    with pytest.raises(DeadlineParseError, match="多个"):
        resolve("3月31日前完成，4月30日前报送")


def test_urgency_word_yields_to_concrete_deadline() -> None:
    r = resolve("立即整改，3月31日前报送整改情况")
    assert (r.form, r.due_at) == ("absolute", local(2024, 3, 31))


def test_naive_issue_time_rejected() -> None:
    with pytest.raises(ValueError):
        resolve_deadline("3月31日前", issued_at=datetime(2024, 3, 4), tz=TZ, calendar=CAL)


def test_find_deadline_spans_in_a_sentence() -> None:
    text = (
        "各单位要于3月31日前完成自查，三月中旬前报送方案，即日起至9月20日开展专项整治，"
        "每月5日前报送进展，重大事项1小时内报告，整改情况3个工作日内反馈。"
    )
    found = [text[a:b] for a, b in find_deadline_spans(text)]
    assert found == ["3月31日前", "三月中旬前", "即日起至9月20日", "每月5日前", "1小时内",
                     "3个工作日内"]


def test_find_deadline_spans_empty_and_full_width() -> None:
    assert find_deadline_spans("加强组织领导，压实工作责任。") == []
    text = "请于３月３１日前报送"
    assert [text[a:b] for a, b in find_deadline_spans(text)] == ["３月３１日前"]


def test_find_deadline_spans_prefers_longest_expression() -> None:
    text = "2024年3月31日24时前"
    assert find_deadline_spans(text) == [(0, len(text))]
    assert find_deadline_spans("三年内") == [(0, 3)]


def test_engine_modules_never_read_the_clock() -> None:
    for path in sorted((ROOT / "engine").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        found = re.search(r"\.now\(|\.today\(\)|\.utcnow\(|time\.time\(", source)
        assert found is None, f"{path.relative_to(ROOT)} reads the clock: {found}"


# -- every number exact, or refused (issue 10 §3) -------------------------------------------

@pytest.mark.parametrize(("text", "reason"), [
    ("1.5个工作日内", "整数"),
    ("０.５天内", "整数"),
    ("-3个工作日内", "大于零"),
    ("－3天内", "大于零"),
    ("0个工作日内", "大于零"),
    ("99999个工作日内", "过长"),
    ("三千个工作日内", "过长"),
    ("5000天内", "过长"),
    ("999个月内", "过长"),
    ("2099年12月31日前", "过远"),
])
def test_counts_are_read_whole_or_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(DeadlineParseError) as info:
        resolve(text)
    assert reason in str(info.value) and info.value.text == text


@pytest.mark.parametrize(("text", "due"), [
    ("3 个工作日内", local(2024, 3, 7)),
    ("3个 工作日 内", local(2024, 3, 7)),
    ("３个工作日内", local(2024, 3, 7)),
    ("３　个工作日内", local(2024, 3, 7)),
    ("10个工作日内", local(2024, 3, 18)),
    ("100个工作日内", resolve("100个工作日内").due_at),
    ("一百个工作日内", resolve("100个工作日内").due_at),
    ("30 天内", local(2024, 4, 3)),
    ("2 个月内", local(2024, 5, 4)),
    ("1000天内", local(2026, 11, 29)),
])
def test_spacing_full_width_and_large_counts_resolve_exactly(text: str, due: datetime) -> None:
    assert resolve(text).due_at == due.astimezone(UTC)


def test_a_long_count_is_the_whole_number_not_its_last_digits() -> None:
    """"1003个工作日内" is 1003 working days (about four years), not 3."""
    from engine.calendar.deadline_forms import end_of_day

    expected = end_of_day(CAL.add_workdays(ISSUED.date(), 1003), TZ)
    assert resolve("1003个工作日内").due_at == expected
    assert resolve("一千零三个工作日内").due_at == expected
    assert resolve("2000个工作日内").due_at > expected


def test_a_number_inside_a_longer_one_is_never_taken() -> None:
    """"1003月" is not March and "21.5日" is not the 5th: such text matches no form at all."""
    for text in ("1003月31日前", "3月131日前", "2.5日前"):
        with pytest.raises(DeadlineParseError):
            resolve(text)
@pytest.mark.parametrize(
    ("text", "due", "following"),
    [
        ("每季度末", local(2024, 3, 31), local(2024, 6, 30)),
        ("每季度", local(2024, 3, 31), local(2024, 6, 30)),
        ("每季度第一个月10日前", local(2024, 4, 10), local(2024, 7, 10)),
        ("每半年", local(2024, 6, 30), local(2024, 12, 31)),
        ("每年9月10日前", local(2024, 9, 10), local(2025, 9, 10)),
        ("每年年底前", local(2024, 12, 31), local(2025, 12, 31)),
        ("每月15日和30日前", local(2024, 3, 15), local(2024, 3, 30)),
        ("每周2次", local(2024, 3, 10), local(2024, 3, 17)),
        ("每周五上午下班前", local(2024, 3, 8, 12, 0, 0), local(2024, 3, 15, 12, 0, 0)),
        ("每季度结束后10日内", local(2024, 4, 10), local(2024, 7, 10)),
        ("每月结束后5日内", local(2024, 3, 5), local(2024, 4, 5)),
    ],
)
def test_recurrences_documents_write(text: str, due: datetime, following: datetime) -> None:
    """Periodic duties as offices write them: the first occurrence from the issue (Monday
    2024-03-04) and the one after it, the way the escalation pass makes the next record."""
    r = resolve(text)
    assert (r.form, r.due_at) == ("recurring", due)
    assert r.recurrence is not None and r.recurrence.text == text
    assert r.recurrence.next_after(r.due_at, TZ) == following
    assert resolve(text, issued=r.due_at).due_at == following


def test_a_monthly_day_a_short_month_lacks_falls_on_its_last_day() -> None:
    r = resolve("每月15日和30日前", issued=local(2024, 2, 16, 9, 0, 0))
    assert r.due_at == local(2024, 2, 29)


def test_off_work_is_a_time_of_day() -> None:
    assert resolve("3月8日下班前").due_at == local(2024, 3, 8, 17, 30, 0)
