"""Periodic deadlines: "每天下午3点", "每周五上午下班前", "每周2次", "每月5日前", "每月15日和30日前",
"每季度末", "每季度第一个月10日前", "每半年", "每年9月10日前" — the rules that read them and
:func:`next_occurrence`, the one place that says when such a duty next falls due.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from engine.calendar import deadline_forms as f
from engine.calendar.deadline_forms import (
    BEFORE,
    DAY_END,
    NUM,
    TIME,
    WEEKDAY,
    Ctx,
    Hit,
    RuleSpec,
    add_months,
    at_local,
    month_end,
)


def next_occurrence(rule: RuleSpec, after: datetime, tz: ZoneInfo) -> datetime:
    """The first occurrence of ``rule`` strictly after ``after`` (aware), as aware UTC.

    A rule without a time falls at the end of the day; a monthly day beyond the month's length
    falls on its last day.
    """
    local_day = after.astimezone(tz).date()
    tod = rule.time or DAY_END
    days: list[date]
    if rule.freq == "daily":
        days = [local_day + timedelta(days=k) for k in range(3)]
    elif rule.freq == "weekly":
        days = [local_day + timedelta(days=k) for k in range(9)
                if (local_day + timedelta(days=k)).weekday() == rule.day]
    else:
        days = sorted(_month_days(rule, local_day))
    for d in days:
        candidate = at_local(d, tod, tz)
        if candidate > after:
            return candidate
    raise ValueError(f"no occurrence of {rule} after {after}")  # unreachable for valid rules


_MONTHS_APART = {"monthly": 1, "quarterly": 3, "halfyearly": 6, "yearly": 12}


def _month_days(rule: RuleSpec, local_day: date) -> list[date]:
    """The days of a monthly-or-longer rule from the start of ``local_day``'s period on, over
    the next two periods (a day beyond a month's length falls on its last day)."""
    step = _MONTHS_APART[rule.freq]
    first = local_day.replace(day=1)
    period_start = add_months(first, -((first.month - 1) % step))
    if rule.freq == "yearly":
        period_start = first.replace(month=1)
    out = []
    for k in range(3):
        month = add_months(period_start, k * step + (rule.month or step) - 1)
        for day in (rule.day or 31, *rule.days):
            out.append(month.replace(day=min(day, month_end(month.year, month.month).day)))
    return out


_RECUR_MONTH = re.compile(
    rf"每个?月的?(?:(?P<d>{NUM})[日号](?P<more>(?:[、和及与]{NUM}[日号]){{0,3}})|(?P<end>底|末))?"
    rf"{TIME}{BEFORE}")
_RECUR_WEEK = re.compile(
    rf"每个?(?:周|星期|礼拜)(?:(?P<times>{NUM})次|(?P<d>{WEEKDAY}))?{TIME}{BEFORE}")
_RECUR_DAY = re.compile(rf"每(?:天|日){TIME}{BEFORE}")
_RECUR_QUARTER = re.compile(
    rf"每个?季度?(?:第(?P<qm>[一二三123])个月(?:的)?(?P<d>{NUM})[日号]|最后一个月(?:的)?(?P<ld>{NUM})[日号]"
    rf"|(?P<end>末|底))?{BEFORE}")
_RECUR_HALF = re.compile(rf"每半年(?:末|底)?{BEFORE}")
_RECUR_YEAR = re.compile(
    rf"每年度?的?(?:(?P<m>{NUM})月份?(?:(?P<d>{NUM})[日号]|(?P<mend>底|末))?|(?P<end>年?底|年?末))"
    rf"{TIME}{BEFORE}")
_RECUR_AFTER = re.compile(
    rf"每个?(?P<p>季度|季|月|半年|年度?)(?:结束|末|底)?后(?P<n>{NUM})(?:日|天)(?:之内|以内|内)?")
_DAY_NUM = re.compile(NUM)
_PERIOD_FREQ = {"季度": "quarterly", "季": "quarterly", "月": "monthly", "半年": "halfyearly",
                "年": "yearly", "年度": "yearly"}


def _after_period(m: re.Match[str], ctx: Ctx) -> RuleSpec:
    """"每季度结束后10日内" → the 10th of each period's first month (the period just ended
    being the one reported on)."""
    days = f.cn_int(m["n"])
    if not 1 <= days <= 28:
        raise ctx.fail("期满后的天数应在1到28之间")
    freq = _PERIOD_FREQ[m["p"]]
    return RuleSpec(freq, days, None, None if freq == "monthly" else 1)


def _month_day(s: str, ctx: Ctx) -> int:
    day = f.cn_int(s)
    if not 1 <= day <= 31:
        raise ctx.fail(f.IMPOSSIBLE)
    return day


def resolve_recurring(m: re.Match[str], ctx: Ctx) -> Hit:
    """"每天下午3点", "每周五上午下班前", "每周2次" (each week, by its Sunday), "每月5日前",
    "每月15日和30日前", "每季度末", "每季度第一个月10日前", "每半年", "每年9月10日前",
    "每季度结束后10日内"."""
    text, g = m.group(0), m.groupdict()
    when = f.time_of_day(m, ctx) if "hh" in g else None
    if "p" in g:
        rule = _after_period(m, ctx)
    elif text.startswith(("每天", "每日")):
        rule = RuleSpec("daily", None, when)
    elif "季" in text[:4]:
        day = _month_day(g["d"] or g["ld"], ctx) if (g["d"] or g["ld"]) else 31
        month = f.cn_int(g["qm"]) if g["qm"] else 3
        rule = RuleSpec("quarterly", day, None, month)
    elif text.startswith("每半年"):
        rule = RuleSpec("halfyearly", 31, None, 6)
    elif text.startswith("每年"):
        month = f.checked_month(g["m"], ctx) if g["m"] else 12
        day = _month_day(g["d"], ctx) if g["d"] else 31
        rule = RuleSpec("yearly", day, when, month)
    elif "月" in text[:3]:
        day = _month_day(g["d"], ctx) if g["d"] else 31
        more = tuple(_month_day(x, ctx) for x in _DAY_NUM.findall(g["more"] or ""))
        rule = RuleSpec("monthly", day, when, days=more)
    else:
        rule = RuleSpec("weekly", f.weekday(g["d"]) if g["d"] else 6, when)
    return Hit(next_occurrence(rule, ctx.issued_at, ctx.tz), "recurring", rule=rule)


RECURRING_RULES = [_RECUR_MONTH, _RECUR_WEEK, _RECUR_DAY, _RECUR_QUARTER, _RECUR_HALF, _RECUR_YEAR,
                   _RECUR_AFTER]
"""Every periodic form, in order of precedence for matches of equal extent."""
