"""Charts drawn on the server as SVG: lights by unit (stacked bars) and the 30-day trend (lines).

No script and no ``style`` attribute (the Content-Security-Policy forbids inline styles):
colours, sizes and fonts are SVG presentation attributes. Every text that comes from the data
(unit names) is escaped. Each chart scales to its container (``viewBox``, class ``chart``),
carries a ``<title>`` and a ``<desc>`` that says the figures in words, and draws an empty
frame with a message when there is nothing to show.

A chart scales as a whole, its text included: drawn once for a 1366-px screen, a phone would
show it at half size (6-px labels). So each chart is drawn in two :class:`Frame` s — :data:`WIDE`
and :data:`NARROW`, whose ``viewBox`` is about a phone's width, so that its text shows at about
its nominal size there — and the stylesheet shows the one that fits (classes ``chart-wide`` /
``chart-narrow``, switched at the page's own phone breakpoint; the hidden one is
``display: none``, out of the accessibility tree too): :func:`responsive`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from markupsafe import Markup, escape

# The lights' colours are the stylesheet's (--red, --yellow, --green): a bar and its badge read
# alike, and each stands out at least 3:1 from the white card (WCAG 1.4.11, non-text contrast).
RED, YELLOW, GREEN = "#c62828", "#936400", "#2e7d32"
OPEN, CLOSED, OVERDUE = "#0b5cad", "#2e7d32", "#c62828"
INK, MUTED, GRID = "#1f2933", "#5f6b7a", "#d9dee5"
FONT = 'font-family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"'


@dataclass(frozen=True)
class Frame:
    """One drawing size of the charts, in SVG units (a chart scales with the page)."""

    name: str
    """The class suffix the stylesheet switches on (``chart-wide`` / ``chart-narrow``)."""
    width: int
    font: int
    """Labels (unit names); ticks are one smaller, the legend as large."""
    label_width: int
    """Room for unit names left of the bars."""
    label_chars: int
    """Characters of a unit name shown beside its bar (the full name is in the bar's tooltip)."""
    row_height: int
    trend_height: int
    pad_left: int
    """Room for the trend's value labels."""
    ticks: int
    """About how many day labels the trend shows."""
    legend_step: int
    """Distance between the trend's legend entries (the longest is "当日办结")."""


WIDE = Frame("wide", width=640, font=13, label_width=150, label_chars=9, row_height=26,
             trend_height=240, pad_left=44, ticks=5, legend_step=90)
"""For screens wider than a phone: about 500–640 px on the page, so text at 10–13 px."""
NARROW = Frame("narrow", width=340, font=14, label_width=124, label_chars=8, row_height=28,
               trend_height=220, pad_left=36, ticks=4, legend_step=84)
"""For phones (375 px: about 330 px on the page, so text at about 13 px)."""
PAD_R, PAD_T, PAD_B = 12, 28, 30
BAR_HEIGHT = 18
COUNT_ROOM = 36
"""Room right of the longest bar for its total."""


class UnitLightsLike(Protocol):
    unit: str
    red: int
    yellow: int
    green: int


class TrendPointLike(Protocol):
    day: str
    open: int
    closed: int
    overdue: int


T = TypeVar("T")


def responsive(draw: Callable[[T, Frame], Markup], data: T) -> Markup:
    """``draw`` in both frames, one after the other: the stylesheet shows one of them."""
    return Markup(draw(data, WIDE) + draw(data, NARROW))


def _svg(frame: Frame, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (f'<svg class="chart chart-{frame.name}" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {frame.width} {height}" role="img" {FONT} font-size="{frame.font}">'
            f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>")
    return Markup(head + "".join(body) + "</svg>")


def _empty(frame: Frame, title: str) -> Markup:
    return _svg(frame, 60, title, "暂无数据", [
        f'<text x="{frame.width // 2}" y="35" text-anchor="middle" fill="{MUTED}">暂无数据</text>'])


def _short(name: str, chars: int) -> str:
    return name if len(name) <= chars else name[:chars - 1] + "…"


def lights_by_unit(rows: Sequence[UnitLightsLike], frame: Frame = WIDE,
                   title: str = "各单位红黄绿灯") -> Markup:
    """One stacked bar per unit (red, yellow, green open tasks), lengths to one scale."""
    rows = [r for r in rows if r.red + r.yellow + r.green]
    if not rows:
        return _empty(frame, title)
    top = max(r.red + r.yellow + r.green for r in rows)
    span = frame.width - frame.label_width - COUNT_ROOM
    body: list[str] = []
    for i, row in enumerate(rows):
        y = 8 + i * frame.row_height
        base = y + BAR_HEIGHT // 2 + frame.font * 2 // 5  # the text's middle on the bar's
        body.append(f'<text x="{frame.label_width - 8}" y="{base}" text-anchor="end" '
                    f'fill="{INK}">{escape(_short(row.unit, frame.label_chars))}</text>')
        x = float(frame.label_width)
        for count, colour, word in ((row.red, RED, "红灯"), (row.yellow, YELLOW, "黄灯"),
                                    (row.green, GREEN, "绿灯")):
            if count:
                width = span * count / top
                body.append(f'<rect x="{x:.1f}" y="{y}" width="{max(width, 1):.1f}" '
                            f'height="{BAR_HEIGHT}" fill="{colour}"><title>{escape(row.unit)} '
                            f"{word} {count}</title></rect>")
                x += width
        body.append(f'<text x="{x + 6:.1f}" y="{base}" fill="{MUTED}">'
                    f"{row.red + row.yellow + row.green}</text>")
    desc = "；".join(f"{r.unit}：红{r.red} 黄{r.yellow} 绿{r.green}" for r in rows)
    return _svg(frame, 16 + len(rows) * frame.row_height, title, desc, body)


def _x(frame: Frame, count: int, i: int) -> float:
    return frame.pad_left + i * (frame.width - frame.pad_left - PAD_R) / max(count - 1, 1)


def _points(frame: Frame, values: Sequence[int], top: int) -> str:
    height = frame.trend_height - PAD_T - PAD_B
    return " ".join(f"{_x(frame, len(values), i):.1f},{PAD_T + height * (1 - v / top):.1f}"
                    for i, v in enumerate(values))


def day_labels(count: int, ticks: int) -> list[int]:
    """The indexes of the days labelled: about ``ticks`` evenly from the first, and the last
    (today); a regular one too close to the last is left out, so no two labels overlap."""
    last = count - 1
    every = max(count // ticks, 1)
    regular = [i for i in range(0, last, every) if last - i >= max(every // 2, 1)]
    return [*regular, last] if count else []


def _axes(frame: Frame, points: Sequence[TrendPointLike], top: int) -> list[str]:
    """Horizontal grid at 0, half and the top; a day label about every week."""
    height = frame.trend_height - PAD_T - PAD_B
    small = frame.font - 1
    out = []
    for value in sorted({0, top // 2, top}):
        y = PAD_T + height * (1 - value / top)
        out.append(f'<line x1="{frame.pad_left}" y1="{y:.1f}" x2="{frame.width - PAD_R}" '
                   f'y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{frame.pad_left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                   f'fill="{MUTED}" font-size="{small}">{value}</text>')
    last = len(points) - 1
    for i in day_labels(len(points), frame.ticks):
        anchor = "end" if i == last and last else "middle"
        out.append(f'<text x="{_x(frame, len(points), i):.1f}" y="{frame.trend_height - 10}" '
                   f'text-anchor="{anchor}" fill="{MUTED}" font-size="{small}">'
                   f"{escape(points[i].day[5:])}</text>")
    return out


def trend(points: Sequence[TrendPointLike], frame: Frame = WIDE,
          title: str = "近30天在办、当日办结、逾期趋势") -> Markup:
    """Three lines over the days: open at each day's end, closed during that day (not a running
    total: the legend says 当日办结), overdue at its end."""
    if not points:
        return _empty(frame, title)
    top = max(max(p.open, p.closed, p.overdue) for p in points) or 1
    series = (("在办", OPEN, [p.open for p in points]),
              ("当日办结", CLOSED, [p.closed for p in points]),
              ("逾期", OVERDUE, [p.overdue for p in points]))
    body = _axes(frame, points, top)
    for i, (word, colour, values) in enumerate(series):
        body.append(f'<polyline points="{_points(frame, values, top)}" fill="none" '
                    f'stroke="{colour}" stroke-width="2.5" stroke-linejoin="round">'
                    f"<title>{word}</title></polyline>")
        x = frame.pad_left + i * frame.legend_step
        body.append(f'<rect x="{x}" y="7" width="14" height="4" fill="{colour}"/>'
                    f'<text x="{x + 20}" y="14" fill="{INK}">{word}</text>')
    first, last = points[0], points[-1]
    # The words say what the lines show: where they start, where they end, and the peaks.
    desc = (f"{first.day} 至 {last.day}；首日在办 {first.open}、逾期 {first.overdue}；"
            f"今日在办 {last.open}、今日办结 {last.closed}、逾期 {last.overdue}；"
            f"期间在办最多 {max(p.open for p in points)}、逾期最多 "
            f"{max(p.overdue for p in points)}、办结合计 {sum(p.closed for p in points)}")
    return _svg(frame, frame.trend_height, title, desc, body)
