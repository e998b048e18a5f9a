"""Deadline expressions as Chinese government documents write them.

:func:`resolve_deadline` turns "3月31日前", "三月中旬前", "一个月内", "3个工作日内", "1小时内报送",
"即日起至9月20日", "每月5日前" … into an aware UTC instant; :func:`find_deadline_spans` locates
such expressions inside a longer sentence. Nothing here reads the clock: every result is relative
to the ``issued_at`` given.

Conventions (the office confirms anything flagged ``blur``):

- a day-type deadline ends at 23:59:59 local time on that day; "24时" is the same instant;
- hours and minutes ("1小时内", "半小时内", "30分钟内") count exactly from ``issued_at``;
- an undated month/day lies in the issue year unless it passed more than a quarter ago, then the
  next year (one passed recently stays in the past, so a deadline before issue is refused);
- "一个月内" is the same day next calendar month, clamped (01-31 → 02-29);
- 立即/立刻/即刻/马上/第一时间 → one hour after issue, exact, not blurred;
- 尽快/尽早/及早/从速 → end of the 3rd working day after issue, blurred; 近期 → 10th working day;
- "3月前" (before March) → end of February, blurred.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from engine.calendar import deadline_forms as f
from engine.calendar.deadline_forms import Ctx, Hit, Resolver, RuleSpec
from engine.calendar.recurring import RECURRING_RULES, next_occurrence, resolve_recurring
from engine.calendar.workdays import WorkCalendar

__all__ = ["Recurrence", "ResolvedDeadline", "find_deadline_spans", "resolve_deadline"]

_BEFORE, NUM, TIME, WEEKDAY, YEAR4 = f.BEFORE, f.NUM, f.TIME, f.WEEKDAY, f.YEAR4
_UNIT_DAYS = {"天": 1, "日": 1, "自然日": 1, "周": 7, "星期": 7, "礼拜": 7}
_DAY_OFFSETS = {"今天": 0, "今日": 0, "当天": 0, "当日": 0, "明天": 1, "明日": 1, "次日": 1,
                "后天": 2}


@dataclass(frozen=True)
class Recurrence:
    """A periodic deadline: ``freq`` daily/weekly/monthly/quarterly/halfyearly/yearly; ``day``
    weekday 0–6 (weekly; Sunday for "每周N次", the week being the period) or day of month
    (clamped to the month's end); ``month`` the month of a yearly rule or the month within each
    quarter or half year; ``days`` further days of a monthly rule; ``time`` local, None meaning
    end of day."""

    freq: str
    day: int | None
    time: time | None
    text: str
    month: int | None = None
    days: tuple[int, ...] = ()

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime:
        """The next occurrence strictly after ``after`` (aware), as aware UTC."""
        rule = RuleSpec(self.freq, self.day, self.time, self.month, self.days)
        return next_occurrence(rule, after, tz)


@dataclass(frozen=True)
class ResolvedDeadline:
    """A deadline expression resolved against its issue time; instants are aware UTC."""

    text: str
    due_at: datetime
    start_at: datetime | None
    form: str
    blur: bool
    recurrence: Recurrence | None


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    rank: int
    vague: bool
    resolve: Callable[[Ctx], Hit]


def resolve_deadline(
    text: str, *, issued_at: datetime, tz: ZoneInfo, calendar: WorkCalendar
) -> ResolvedDeadline:
    """Resolve one deadline expression, with optional verbs around it ("于3月31日前报送").

    Raises :class:`engine.errors.DeadlineParseError` when no expression is found, when several
    concrete ones are, when the date does not exist ("2月30日", reason "日期不存在"), when a count
    is not a whole positive number ("1.5个工作日内", "-3天内") and when the deadline lies more
    than :data:`MAX_SPAN_DAYS` ahead. Every number is read whole: "1003个工作日内" is 1003 (and
    refused as too long), never 3; spaces as pasted text has them ("3 个工作日内") and full-width
    digits are accepted.
    An urgency word beside a concrete deadline ("立即整改，3月31日前报送") yields to the latter.
    """
    if issued_at.utcoffset() is None:
        raise ValueError("issued_at must be timezone-aware")
    stripped = text.strip()
    ctx = Ctx(stripped, issued_at, tz, calendar, issued_at.astimezone(tz).date())
    chosen = _select(f.normalize(stripped))
    if len(chosen) > 1:
        chosen = [c for c in chosen if not c.vague] or chosen
    if not chosen:
        raise ctx.fail("未找到可识别的时间表达")
    if len(chosen) > 1:
        raise ctx.fail("包含多个时间表达，请只写一个")
    try:
        hit = chosen[0].resolve(ctx)
    except OverflowError:  # past the last instant a datetime holds ("9999-12-31T23:59-12:00")
        raise ctx.fail(TOO_FAR) from None
    if hit.due_at - issued_at > timedelta(days=MAX_SPAN_DAYS):
        raise ctx.fail(TOO_FAR)
    recurrence = None
    if hit.rule is not None:
        recurrence = Recurrence(hit.rule.freq, hit.rule.day, hit.rule.time, stripped,
                                hit.rule.month, hit.rule.days)
    return ResolvedDeadline(stripped, hit.due_at, hit.start_at, hit.form, hit.blur, recurrence)


def find_deadline_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the deadline expressions in ``text``, left to right,
    never overlapping (the longest expression wins at each position). A span may still fail to
    resolve (e.g. "2月30日")."""
    return [(c.start, c.end) for c in _select(f.normalize(text))]


def _select(text: str) -> list[_Candidate]:
    found = list(_range_candidates(text))
    for rank, (pattern, resolver, vague) in enumerate(_RULES, start=1):
        for m in pattern.finditer(text):
            found.append(_Candidate(m.start(), m.end(), rank, vague, _bind(resolver, m)))
    chosen: list[_Candidate] = []
    for c in sorted(found, key=lambda c: (c.start, c.start - c.end, c.rank)):
        if not chosen or c.start >= chosen[-1].end:
            chosen.append(c)
    return chosen


def _bind(resolver: Resolver, m: re.Match[str]) -> Callable[[Ctx], Hit]:
    return lambda ctx: resolver(m, ctx)


# -- ranges: "即日起至9月20日", "3月1日至4月30日" ----------------------------------------------

_RANGE_START = re.compile(
    rf"(?:(?:自|从)?(?P<now>即日|今日|今天)起?|(?:自|从)?(?:(?P<sy>{YEAR4})年)?"
    rf"(?P<sm>{NUM})月(?P<sd>{NUM})[日号]起?)(?:至|到|—+|-|~)")


def _range_candidates(text: str) -> Iterator[_Candidate]:
    for sm in _RANGE_START.finditer(text):
        ends = [(p.match(text, sm.end()), r) for p, r in f.POINT_RULES]
        matched = [(em, r) for em, r in ends if em is not None]
        if matched:
            em, resolver = max(matched, key=lambda pair: pair[0].end())
            yield _Candidate(sm.start(), em.end(), 0, False, _bind_range(sm, em, resolver))


def _bind_range(sm: re.Match[str], em: re.Match[str], end: Resolver) -> Callable[[Ctx], Hit]:
    return lambda ctx: _resolve_range(sm, em, end, ctx)


def _resolve_range(sm: re.Match[str], em: re.Match[str], end_rule: Resolver, ctx: Ctx) -> Hit:
    """Start at issue (即日起) or at 00:00 of the start date; end as the end expression says.

    An undated start takes the end's year (the year before if it falls after the end); an
    undated end follows a dated start rather than the issue date.
    """
    if sm["now"]:
        start_at = ctx.issued_at.astimezone(UTC)
        end = end_rule(em, ctx)
    else:
        month, day = f.checked_month(sm["sm"], ctx), f.cn_int(sm["sd"])
        if sm["sy"]:
            start = f.make_date(f.cn_int(sm["sy"]), month, day, ctx)
            end = end_rule(em, replace(ctx, ref=start))
        else:
            end = end_rule(em, ctx)
            end_day = end.due_at.astimezone(ctx.tz).date()
            year = end_day.year - ((month, day) > (end_day.month, end_day.day))
            start = f.make_date(year, month, day, ctx)
        start_at = f.at_local(start, time(0), ctx.tz)
    if start_at > end.due_at:
        raise ctx.fail("开始时间晚于截止时间")
    return Hit(end.due_at, "range", start_at=start_at, blur=end.blur)


# -- relative: "一个月内", "3个工作日内", "10天内", "两周内", "1小时内", "半小时内" ----------------

_RELATIVE = re.compile(
    rf"{f.COUNT}\s*(?:个\s*月|个?\s*(?P<u>工作日|自然日|小时|钟头|分钟|星期|礼拜|周|天|日|年))"
    r"\s*(?:之内|以内|内)")

TOO_FAR = "时限过远：不得晚于起算时间后约 10 年，请核对年份或数量"
MAX_SPAN_DAYS = 3660
"""The latest deadline accepted: about 10 years after the moment it counts from. Anything later
is a typing slip ("99999个工作日内", "2099年") and is refused with its own message."""
_UNIT_SPAN_DAYS = {"工作日": 1.4, "小时": 1 / 24, "钟头": 1 / 24, "分钟": 1 / 1440, "月": 30.5,
                   "年": 365.25, **_UNIT_DAYS}
"""Approximate calendar days per unit, to refuse an over-long count before computing it."""


def _count(m: re.Match[str], unit: str, ctx: Ctx) -> int:
    """The whole positive number written before ``unit``; refuses decimals, negatives, zero and
    counts beyond :data:`MAX_SPAN_DAYS`, each with its reason."""
    written = m["n"]
    if "." in written:
        raise ctx.fail(f"时限数量须为整数，如“3个{unit}内”，不能写“{written}个{unit}”")
    if m["sign"]:
        raise ctx.fail("时限须大于零，不能为负数")
    try:
        n = f.cn_int(written)
    except (KeyError, ValueError):
        raise ctx.fail(f"无法读出数量“{written}”") from None
    if n == 0:
        raise ctx.fail("时限须大于零")
    if n * _UNIT_SPAN_DAYS[unit] > MAX_SPAN_DAYS:
        raise ctx.fail(f"时限过长：{n}个{unit}超过约 10 年的上限，请核对数量")
    return n


def _resolve_relative(m: re.Match[str], ctx: Ctx) -> Hit:
    unit = m["u"] or "月"
    if m["n"] == "半":
        return _resolve_half(unit, ctx)
    n = _count(m, unit, ctx)
    if unit in ("小时", "钟头", "分钟"):
        delta = timedelta(minutes=n) if unit == "分钟" else timedelta(hours=n)
        return Hit((ctx.issued_at + delta).astimezone(UTC), "hours")
    if unit == "工作日":
        return Hit(f.end_of_day(ctx.calendar.add_workdays(ctx.issue_day, n), ctx.tz), "workdays")
    if unit in _UNIT_DAYS:
        d = ctx.issue_day + timedelta(days=n * _UNIT_DAYS[unit])
    else:
        d = f.add_months(ctx.issue_day, n * (12 if unit == "年" else 1))
    return Hit(f.end_of_day(d, ctx.tz), "relative")


def _resolve_half(unit: str, ctx: Ctx) -> Hit:
    """半小时 → 30 minutes exact, 半个月 → 15 days, 半年 → 6 calendar months."""
    if unit == "小时":
        return Hit((ctx.issued_at + timedelta(minutes=30)).astimezone(UTC), "hours")
    if unit == "月":
        return Hit(f.end_of_day(ctx.issue_day + timedelta(days=15), ctx.tz), "relative")
    if unit == "年":
        return Hit(f.end_of_day(f.add_months(ctx.issue_day, 6), ctx.tz), "relative")
    raise ctx.fail("无法确定“半”的时长")


# -- weekdays, today/tomorrow, urgency words, ISO --------------------------------------------

_ON_WEEKDAY = re.compile(
    rf"(?<!每)(?<!每个)(?P<w>本|这|下个|下)?(?:周|星期|礼拜)(?P<d>{WEEKDAY})"
    r"(?(w)(?:之前|以前|前)?|(?:之前|以前|前))")
_WEEK_WITHIN = re.compile(r"(?P<w>本|这|下个|下)(?:周|星期|礼拜)(?:之内|以内|内)")
_TODAY = re.compile(rf"(?P<w>{'|'.join(_DAY_OFFSETS)})(?!起){TIME}(?:之内|以内|内|之前|以前|前)?")
_IMMEDIATE = re.compile("立即|立刻|即刻|马上|第一时间")
_VAGUE = re.compile("尽快|尽早|及早|从速|近期")
_ISO = re.compile(
    r"(?<!\d)(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2}))?(?P<z>Z|[+-]\d{2}:?\d{2})?)?(?!\d)")


def _resolve_weekday(m: re.Match[str], ctx: Ctx) -> Hit:
    """"周五前" → the coming Friday (today if Friday); "本周五" this week's; "下周五" next week's;
    "本周内" → this week's Sunday."""
    target = f.weekday(m["d"]) if "d" in m.re.groupindex else 6
    if m["w"] is None:
        d = ctx.issue_day + timedelta(days=(target - ctx.issue_day.weekday()) % 7)
    else:
        monday = ctx.issue_day - timedelta(days=ctx.issue_day.weekday())
        d = monday + timedelta(days=target + (7 if m["w"].startswith("下") else 0))
    form = "absolute" if "d" in m.re.groupindex else "period_end"
    return Hit(f.end_of_day(d, ctx.tz), form)


def _resolve_today(m: re.Match[str], ctx: Ctx) -> Hit:
    d = ctx.issue_day + timedelta(days=_DAY_OFFSETS[m["w"]])
    return Hit(f.at_local(d, f.time_of_day(m, ctx) or f.DAY_END, ctx.tz), "relative")


def _resolve_immediate(m: re.Match[str], ctx: Ctx) -> Hit:
    return Hit((ctx.issued_at + timedelta(hours=1)).astimezone(UTC), "hours")


def _resolve_vague(m: re.Match[str], ctx: Ctx) -> Hit:
    d = ctx.calendar.add_workdays(ctx.issue_day, 10 if m.group(0) == "近期" else 3)
    return Hit(f.end_of_day(d, ctx.tz), "workdays", blur=True)


def _resolve_iso(m: re.Match[str], ctx: Ctx) -> Hit:
    """"2024-03-31" (end of day local), "2024-03-31 18:00" (local), "…T18:00+08:00" (as given)."""
    d = f.make_date(int(m["y"]), int(m["m"]), int(m["d"]), ctx)
    if m["H"] is None:
        return Hit(f.end_of_day(d, ctx.tz), "iso")
    try:
        t = time(int(m["H"]), int(m["M"]), int(m["S"] or 0))
    except ValueError:
        raise ctx.fail("时间不存在") from None
    zone = m["z"]
    if zone is None:
        return Hit(f.at_local(d, t, ctx.tz), "iso")
    offset = timedelta(0)
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    return Hit(datetime.combine(d, t, tzinfo=timezone(offset)).astimezone(UTC), "iso")


_RULES: list[tuple[re.Pattern[str], Resolver, bool]] = [
    (_ISO, _resolve_iso, False),
    *((pattern, resolve_recurring, False) for pattern in RECURRING_RULES),
    *((pattern, resolver, False) for pattern, resolver in f.POINT_RULES),
    (_RELATIVE, _resolve_relative, False),
    (_ON_WEEKDAY, _resolve_weekday, False),
    (_WEEK_WITHIN, _resolve_weekday, False),
    (_TODAY, _resolve_today, False),
    (_IMMEDIATE, _resolve_immediate, True),
    (_VAGUE, _resolve_vague, True),
]
"""Every single-expression rule, in order of precedence for matches of equal extent."""
