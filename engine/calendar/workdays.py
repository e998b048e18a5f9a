"""The official Chinese working-day calendar (法定工作日).

Sources, in order of precedence:

1. the override sets given to :class:`WorkCalendar` (the State Council's published arrangement,
   loaded from config) — they win over everything;
2. ``chinese_calendar``, which knows holidays *and* make-up working days (调休上班) for the years
   it covers;
3. for years ``chinese_calendar`` does not cover (it raises ``NotImplementedError``), the
   ``holidays`` package's China calendar: weekends and listed holidays are off; it lists no
   make-up working days for those years. Each such year produces one Chinese warning, also
   logged.

Both libraries are imported at first use so that importing this module stays cheap (the CLI must
start fast). Answers are cached per date because escalation passes ask millions of times.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, timedelta

__all__ = ["WorkCalendar"]

logger = logging.getLogger(__name__)

_FALLBACK_WARNING = (
    "{year}年的节假日安排不在 chinese_calendar 数据范围内，已按 holidays 包推算（不含调休上班日），"
    "请在配置中补充国务院公布的安排"
)

# Far enough for any deadline; stops a runaway loop on an absurd calendar (e.g. all holidays).
_MAX_SCAN_DAYS = 3660


class WorkCalendar:
    """Answers "is this a working day?" for the official Chinese calendar.

    Instances are cheap to query repeatedly: every date is resolved once and cached. The
    calendar never reads the clock.
    """

    def __init__(self, *, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> None:
        self._holidays: frozenset[date] = frozenset(holidays)
        self._workdays: frozenset[date] = frozenset(workdays)
        both = self._holidays & self._workdays
        if both:
            listed = "、".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"日期 {listed} 同时被设为节假日和工作日")
        self._cache: dict[date, bool] = {}
        self._unsupported_years: set[int] = set()
        self._fallback_years: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
        self._warnings: list[str] = []
        self._cc_is_workday: Callable[[date], bool] | None = None

    @property
    def warnings(self) -> list[str]:
        """Chinese warnings so far: at most one per fallback year, in order of first use."""
        return list(self._warnings)

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is an official working day (overrides, then chinese_calendar, then
        the holidays-package fallback)."""
        cached = self._cache.get(d)
        if cached is None:
            cached = self._resolve(d)
            self._cache[d] = cached
        return cached

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``-th working day strictly after ``start``; ``start`` itself when ``n == 0``.

        Raises ``ValueError`` for negative ``n``.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        d = start
        remaining = n
        scanned = 0
        while remaining:
            d += timedelta(days=1)
            scanned += 1
            if self.is_workday(d):
                remaining -= 1
            elif scanned > _MAX_SCAN_DAYS + n:
                raise ValueError(f"no working day found after {start}")
        return d

    def workdays_between(self, start: date, end: date) -> int:
        """Number of working days ``d`` with ``start < d <= end``; 0 when ``end <= start``."""
        count = 0
        d = start + timedelta(days=1)
        while d <= end:
            if self.is_workday(d):
                count += 1
            d += timedelta(days=1)
        return count

    def next_workday(self, d: date) -> date:
        """The first working day on or after ``d``."""
        for offset in range(_MAX_SCAN_DAYS):
            candidate = d + timedelta(days=offset)
            if self.is_workday(candidate):
                return candidate
        raise ValueError(f"no working day found after {d}")

    # -- resolution -------------------------------------------------------------------------

    def _resolve(self, d: date) -> bool:
        if d in self._workdays:
            return True
        if d in self._holidays:
            return False
        if d.year not in self._unsupported_years:
            try:
                return self._chinese_calendar()(d)
            except NotImplementedError:
                self._unsupported_years.add(d.year)
        return self._fallback_is_workday(d)

    def _chinese_calendar(self) -> Callable[[date], bool]:
        if self._cc_is_workday is None:
            import chinese_calendar  # lazy: keep `import engine.calendar.workdays` cheap

            self._cc_is_workday = chinese_calendar.is_workday
        return self._cc_is_workday

    def _fallback_is_workday(self, d: date) -> bool:
        year = self._fallback_years.get(d.year)
        if year is None:
            year = self._load_fallback_year(d.year)
        days_off, make_up = year
        if d in make_up:
            return True
        return d.weekday() < 5 and d not in days_off

    def _load_fallback_year(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        import holidays as holidays_pkg  # lazy: the package is large

        china = holidays_pkg.country_holidays("CN", years=year)  # = holidays.China, typed
        days_off = frozenset(china.keys())
        # holidays 0.108 lists no make-up days for years chinese_calendar lacks; honour any a
        # later version adds, but keep warning: only the published arrangement is authoritative.
        make_up = frozenset(d for d in getattr(china, "weekend_workdays", ()) if d.year == year)
        self._fallback_years[year] = (days_off, make_up)
        message = _FALLBACK_WARNING.format(year=year)
        if make_up:
            message = message.replace("（不含调休上班日）", "（调休上班日可能不全）")
        self._warnings.append(message)
        logger.warning(message)
        return days_off, make_up
