"""Rules for the deadline expressions of Chinese government documents.

Each rule is a regular expression plus a resolver that turns its match into a :class:`Hit`;
:mod:`engine.calendar.deadlines` finds the matches, chooses among them and builds the public result. The
point rules here (one day) also serve as the end of a range. Numbers may be written in Arabic,
full-width or Chinese numerals ("三十一", "二〇二四", "两"). An undated month and day takes the
first year in which it does not lie before the reference date (the issue date).
A day-type deadline is the end of that local day (23:59:59).
"""

from __future__ import annotations

import calendar as _calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.calendar.workdays import WorkCalendar
from engine.errors import DeadlineParseError

DAY_END = time(23, 59, 59)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９：－／～．−", "0123456789:-/~.-")
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "7": 6}
IMPOSSIBLE = "日期不存在"
EARLIEST_YEAR = 1900
"""A written date (a deadline, a directive's 下达时间) before this year is a typing slip (and year 1
at midnight in a zone east of UTC falls before the first instant a datetime can hold)."""


@dataclass(frozen=True)
class RuleSpec:
    """A recurrence rule: ``freq`` daily/weekly/monthly/quarterly/halfyearly/yearly; ``day``
    the weekday (weekly) or day of month (31: the month's last day); ``month`` the month of a
    yearly rule, or the month within each quarter (1–3) or half year (1–6); ``days`` more days
    of the month of a monthly rule ("每月15日和30日前")."""

    freq: str
    day: int | None
    time: time | None
    month: int | None = None
    days: tuple[int, ...] = ()


@dataclass(frozen=True)
class Hit:
    """What one rule resolved to (``due_at`` and ``start_at`` aware UTC)."""

    due_at: datetime
    form: str
    start_at: datetime | None = None
    blur: bool = False
    rule: RuleSpec | None = None


@dataclass(frozen=True)
class Ctx:
    """Everything a resolver may use; ``ref`` anchors the year of undated month/day forms."""

    text: str
    issued_at: datetime
    tz: ZoneInfo
    calendar: WorkCalendar
    ref: date

    @property
    def issue_day(self) -> date:
        """The issue date in the local zone."""
        return self.issued_at.astimezone(self.tz).date()

    def fail(self, reason: str) -> DeadlineParseError:
        """The error to raise for this expression."""
        return DeadlineParseError(self.text, reason)


Resolver = Callable[[re.Match[str], Ctx], Hit]

# -- numbers, dates, times ------------------------------------------------------------------


def normalize(text: str) -> str:
    """Full-width digits and punctuation to ASCII; keeps every index in place."""
    return text.translate(_FULL_WIDTH)


_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def cn_int(s: str) -> int:
    """An Arabic or Chinese numeral as int ("三十一" → 31, "二〇二四" → 2024, "两" → 2,
    "一千零三" → 1003); :class:`ValueError` for anything else. Any script's decimal digits
    count as Arabic ones: the patterns' ``\\d`` matches them ("٣月٢٩日")."""
    if s.isdecimal():
        return int(s)
    if any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in s):
        raise ValueError(f"not a numeral: {s!r}")
    if not any(ch in _CN_UNITS for ch in s):
        return int("".join(str(_CN_DIGITS[ch]) for ch in s))
    total, current = 0, 0
    for ch in s:
        if ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            current = _CN_DIGITS[ch]
    return total + current


def make_date(y: int, m: int, d: int, ctx: Ctx) -> date:
    """``date(y, m, d)`` or :class:`DeadlineParseError` ("日期不存在", or a year before
    :data:`EARLIEST_YEAR`)."""
    if y < EARLIEST_YEAR:
        raise ctx.fail(f"年份 {y} 有误，请核对")
    try:
        return date(y, m, d)
    except ValueError:
        raise ctx.fail(IMPOSSIBLE) from None


def month_end(y: int, m: int) -> date:
    """The last day of month ``m`` of year ``y``."""
    return date(y, m, _calendar.monthrange(y, m)[1])


def add_months(d: date, n: int) -> date:
    """Same day ``n`` calendar months later, clamped to the month's end (01-31 + 1 → 02-29)."""
    carry, month0 = divmod(d.month - 1 + n, 12)
    year, month = d.year + carry, month0 + 1
    return date(year, month, min(d.day, _calendar.monthrange(year, month)[1]))


def at_local(d: date, t: time, tz: ZoneInfo) -> datetime:
    """Local date and time in ``tz`` as aware UTC."""
    return datetime.combine(d, t, tzinfo=tz).astimezone(UTC)


def end_of_day(d: date, tz: ZoneInfo) -> datetime:
    """23:59:59 local on ``d``, as aware UTC."""
    return at_local(d, DAY_END, tz)


def explicit_year(m: re.Match[str], ctx: Ctx) -> int | None:
    """The year written in a ``YEAR`` prefix (2024年 / 今年 / 明年 …), or None."""
    groups = m.groupdict()
    if groups.get("yn"):
        return cn_int(groups["yn"])
    if groups.get("yw"):
        return ctx.issue_day.year + {"明": 1, "次": 1, "来": 1, "后": 2}.get(groups["yw"], 0)
    return None


RECENTLY_PASSED_DAYS = 92
"""Days within which an undated month/day that has passed is read as this year's (an error)."""


def in_year(m: re.Match[str], ctx: Ctx, build: Callable[[int], date]) -> date:
    """``build(year)`` for the written year, else the first year not before ``ctx.ref``."""
    year = explicit_year(m, ctx)
    if year is not None:
        return build(year)
    d = build(ctx.ref.year)
    # A date passed long ago means next year ("1月15日前" written in December); one passed only
    # recently is a mistake in the text and must stay in the past so that it is refused.
    if d >= ctx.ref or (ctx.ref - d).days <= RECENTLY_PASSED_DAYS:
        return d
    return build(ctx.ref.year + 1)


def checked_month(s: str, ctx: Ctx) -> int:
    """Month number from text, or "日期不存在" for anything outside 1–12."""
    month = cn_int(s)
    if not 1 <= month <= 12:
        raise ctx.fail(IMPOSSIBLE)
    return month


def time_of_day(m: re.Match[str], ctx: Ctx) -> time | None:
    """The clock time in a ``TIME`` group (下午3点 → 15:00, 24时 → 23:59:59), or None."""
    g = m.groupdict()
    if g.get("ow"):  # "下班前": the end of the office's morning or day
        return OFF_WORK_NOON if g["ow"].startswith("上午") else OFF_WORK
    if not g.get("hh"):
        return None
    hour = cn_int(g["hh"])
    minute = 30 if g.get("half") else cn_int(g["mm"]) if g.get("mm") else 0
    afternoon = g.get("ap") in ("下午", "傍晚", "晚上") and hour < 12
    if afternoon or (g.get("ap") == "中午" and hour < 11):
        hour += 12
    if hour == 24 and minute == 0:
        return DAY_END
    if hour > 23 or minute > 59:
        raise ctx.fail("时间不存在")
    return time(hour, minute)


def weekday(s: str) -> int:
    """一…六/日/天 or 1–7 → 0 (Monday) … 6 (Sunday)."""
    return _WEEKDAYS[s] if s in _WEEKDAYS else int(s) - 1


# -- regular-expression fragments -------------------------------------------------------------

_CN1 = "[一二两三四五六七八九]"
CN_NUMERAL_CHARS = "〇零一二两三四五六七八九十百千"
NUM = (rf"(?:(?<![\d.])\d{{1,3}}(?!\d|\.\d)"
       rf"|(?<![{CN_NUMERAL_CHARS}])(?:{_CN1}?十[一二三四五六七八九]?|{_CN1})(?![{CN_NUMERAL_CHARS}]))")
"""A month, day or hour: 1–3 Arabic digits or a Chinese numeral up to 九十九 — always the whole
number written (never the last digits of "1003" or the "5" of "1.5")."""
COUNT = (rf"(?P<sign>-)?(?<![\d.])(?P<n>\d+(?:\.\d+)?(?![\d.])"
         rf"|(?<![{CN_NUMERAL_CHARS}])[{CN_NUMERAL_CHARS}]+|半)")
"""A count as written, whatever its size, sign or decimals, so that a wrong one is refused
with its reason instead of being misread."""
YEAR4 = r"(?:\d{4}|[〇零一二三四五六七八九]{4})"
YEAR = rf"(?:(?P<yn>{YEAR4})年|(?P<yw>今|本|当|明|次|来|后)年)?"
BEFORE = r"(?:之前|以前|前|为止|止)?"
TIME = (rf"(?:(?P<ap>上午|早上|早晨|中午|下午|傍晚|晚上|凌晨)?(?P<hh>{NUM})(?:[点时]|:(?=\d))"
        rf"(?:(?P<mm>{NUM})分?|(?P<half>半))?|(?P<ow>(?:上午|下午)?下班))?")
OFF_WORK = time(17, 30)
"""Local time read for "下班前" (the end of the office day)."""
OFF_WORK_NOON = time(12, 0)
"""Local time read for "上午下班前"."""
WEEKDAY = "[一二三四五六日天1-7]"
_TEN_DAYS = {"上旬": 10, "中旬": 20}

# -- point rules: a single day, usable alone and as the end of a range -----------------------

ABSOLUTE = re.compile(rf"{YEAR}(?P<m>{NUM})月(?P<d>{NUM})[日号]{TIME}{BEFORE}")
MONTH_PART = re.compile(
    rf"{YEAR}(?P<m>{NUM})月份?(?:(?P<p>上旬|中旬|下旬|底|末){BEFORE}"
    r"|(?P<within>之内|以内|内)|(?P<before>之前|以前|前))")
THIS_MONTH = re.compile(
    rf"(?<!每)(?P<w>本|当|这个|下个|下|次)?月(?P<p>上旬|中旬|下旬|底|末){BEFORE}")
YEAR_END = re.compile(
    rf"(?<![去前往近])(?:(?P<yn>{YEAR4})|(?P<yw>今|本|当|明|次|来|后))?年(?:年|度)?"
    rf"(?:底|末|终|之内|以内|内){BEFORE}")
HALF_YEAR = re.compile(
    rf"{YEAR}(?:(?P<h>上半年|下半年)(?:末|底)?{BEFORE}|(?P<mid>年中)(?:之前|以前|前))")
QUARTER = re.compile(rf"{YEAR}第?(?P<q>[1-4一二三四])季度(?:末|底)?{BEFORE}")
THIS_QUARTER = re.compile(rf"(?P<w>本|当|这个|下个|下)季度(?:末|底|之内|以内|内)?{BEFORE}")


def period_day(part: str | None, y: int, m: int) -> date:
    """上旬 → the 10th, 中旬 → the 20th, anything else (下旬, 底, 末, 内) → the month's end."""
    return date(y, m, _TEN_DAYS[part]) if part in _TEN_DAYS else month_end(y, m)


def resolve_absolute(m: re.Match[str], ctx: Ctx) -> Hit:
    """"3月31日前", "2024年12月10日", "三月三十一日", "3月31日下午5点前" (exact time)."""
    month, day = checked_month(m["m"], ctx), cn_int(m["d"])
    passed = (month, day) < (ctx.ref.month, ctx.ref.day)
    if explicit_year(m, ctx) is None and passed and not _calendar.isleap(ctx.ref.year) \
            and (month, day) == (2, 29):
        d = make_date(ctx.ref.year + 1, month, day, ctx)  # this year has none: the next one
    else:
        d = in_year(m, ctx, lambda y: make_date(y, month, day, ctx))
    tod = time_of_day(m, ctx)
    return Hit(at_local(d, tod or DAY_END, ctx.tz), "absolute")


def resolve_month_part(m: re.Match[str], ctx: Ctx) -> Hit:
    """"3月中旬前" → 20th, "3月上旬" → 10th, "3月底前"/"3月末"/"3月内" → last day.

    "3月前" (before March) is the end of February, flagged ``blur`` for the office to confirm.
    """
    month = checked_month(m["m"], ctx)
    if m["before"]:
        d = in_year(m, ctx, lambda y: date(y, month, 1) - timedelta(days=1))
        return Hit(end_of_day(d, ctx.tz), "period_end", blur=True)
    d = in_year(m, ctx, lambda y: period_day(m["p"], y, month))
    return Hit(end_of_day(d, ctx.tz), "period_end")


def resolve_this_month(m: re.Match[str], ctx: Ctx) -> Hit:
    """"月底前"/"本月底前"/"本月中旬" in the issue month; "下月底" in the next one."""
    first = ctx.issue_day.replace(day=1)
    if m["w"] in ("下个", "下", "次"):
        first = add_months(first, 1)
    d = period_day(m["p"], first.year, first.month)
    return Hit(end_of_day(d, ctx.tz), "period_end")


def resolve_year_end(m: re.Match[str], ctx: Ctx) -> Hit:
    """"年底前"/"年内"/"今年年底前"/"年末"/"2024年底" → December 31 (issue year by default)."""
    year = explicit_year(m, ctx) or ctx.issue_day.year
    return Hit(end_of_day(date(year, 12, 31), ctx.tz), "period_end")


def resolve_half_year(m: re.Match[str], ctx: Ctx) -> Hit:
    """"上半年"/"年中前" → June 30, "下半年" → December 31."""
    month = 12 if m["h"] == "下半年" else 6
    d = in_year(m, ctx, lambda y: month_end(y, month))
    return Hit(end_of_day(d, ctx.tz), "period_end")


def resolve_quarter(m: re.Match[str], ctx: Ctx) -> Hit:
    """"第一季度末"/"一季度"/"2024年第3季度" → the quarter's last day."""
    month = 3 * cn_int(m["q"])
    d = in_year(m, ctx, lambda y: month_end(y, month))
    return Hit(end_of_day(d, ctx.tz), "period_end")


def resolve_this_quarter(m: re.Match[str], ctx: Ctx) -> Hit:
    """"本季度末"/"本季度内" → end of the issue quarter; "下季度" → the next one's end."""
    first = ctx.issue_day.replace(day=1, month=3 * ((ctx.issue_day.month - 1) // 3) + 1)
    if m["w"] in ("下个", "下"):
        first = add_months(first, 3)
    d = month_end(first.year, first.month + 2)
    return Hit(end_of_day(d, ctx.tz), "period_end")


POINT_RULES: list[tuple[re.Pattern[str], Resolver]] = [
    (ABSOLUTE, resolve_absolute),
    (MONTH_PART, resolve_month_part),
    (THIS_MONTH, resolve_this_month),
    (YEAR_END, resolve_year_end),
    (HALF_YEAR, resolve_half_year),
    (QUARTER, resolve_quarter),
    (THIS_QUARTER, resolve_this_quarter),
]
"""Rules naming one day; in order of precedence when two match the same text."""
