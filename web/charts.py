"""Charts drawn on the server as SVG: lights by unit (stacked bars) and the 30-day trend (lines).

No script and no ``style`` attribute (the Content-Security-Policy forbids inline styles):
colours, sizes and fonts are SVG presentation attributes. Every text that comes from the data
(unit names) is escaped. Each chart scales to its container (``viewBox``, class ``chart``),
carries a ``<title>`` and a ``<desc>`` that says the figures in words, and draws an empty
frame with a message when there is nothing to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from markupsafe import Markup, escape

RED, YELLOW, GREEN = "#c62828", "#d4a017", "#2e7d32"
OPEN, CLOSED, OVERDUE = "#0b5cad", "#2e7d32", "#c62828"
INK, MUTED, GRID = "#1f2933", "#5f6b7a", "#d9dee5"
FONT = 'font-family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"'

BAR_WIDTH = 640
"""The bar chart's width in SVG units (it scales with the page)."""
LABEL_WIDTH = 150
"""Room for unit names left of the bars."""
ROW_HEIGHT = 26
LABEL_CHARS = 9
"""Characters of a unit name shown beside its bar (the full name is in the bar's tooltip)."""


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


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
            f'{height}" role="img" {FONT} font-size="13"><title>{escape(title)}</title>'
            f"<desc>{escape(desc)}</desc>")
    return Markup(head + "".join(body) + "</svg>")


def _empty(width: int, title: str) -> Markup:
    return _svg(width, 60, title, "暂无数据", [
        f'<text x="{width // 2}" y="35" text-anchor="middle" fill="{MUTED}">暂无数据</text>'])


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1] + "…"


def lights_by_unit(rows: Sequence[UnitLightsLike], title: str = "各单位红黄绿灯") -> Markup:
    """One stacked bar per unit (red, yellow, green open tasks), lengths to one scale."""
    rows = [r for r in rows if r.red + r.yellow + r.green]
    if not rows:
        return _empty(BAR_WIDTH, title)
    top = max(r.red + r.yellow + r.green for r in rows)
    span = BAR_WIDTH - LABEL_WIDTH - 40
    body: list[str] = []
    for i, row in enumerate(rows):
        y = 8 + i * ROW_HEIGHT
        body.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 14}" text-anchor="end" '
                    f'fill="{INK}">{escape(_short(row.unit))}</text>')
        x = float(LABEL_WIDTH)
        for count, colour, word in ((row.red, RED, "红灯"), (row.yellow, YELLOW, "黄灯"),
                                    (row.green, GREEN, "绿灯")):
            if count:
                width = span * count / top
                body.append(f'<rect x="{x:.1f}" y="{y}" width="{max(width, 1):.1f}" height="18" '
                            f'fill="{colour}"><title>{escape(row.unit)} {word} {count}'
                            f"</title></rect>")
                x += width
        body.append(f'<text x="{x + 6:.1f}" y="{y + 14}" fill="{MUTED}">'
                    f"{row.red + row.yellow + row.green}</text>")
    desc = "；".join(f"{r.unit}：红{r.red} 黄{r.yellow} 绿{r.green}" for r in rows)
    return _svg(BAR_WIDTH, 16 + len(rows) * ROW_HEIGHT, title, desc, body)


TREND_W, TREND_H = 640, 240
PAD_L, PAD_R, PAD_T, PAD_B = 44, 12, 28, 30


def _points(values: Sequence[int], top: int) -> str:
    step = (TREND_W - PAD_L - PAD_R) / max(len(values) - 1, 1)
    height = TREND_H - PAD_T - PAD_B
    return " ".join(f"{PAD_L + i * step:.1f},{PAD_T + height * (1 - v / top):.1f}"
                    for i, v in enumerate(values))


def _axes(points: Sequence[TrendPointLike], top: int) -> list[str]:
    """Horizontal grid at 0, half and the top; a day label about every week."""
    height = TREND_H - PAD_T - PAD_B
    out = []
    for value in sorted({0, top // 2, top}):
        y = PAD_T + height * (1 - value / top)
        out.append(f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{TREND_W - PAD_R}" y2="{y:.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}" '
                   f'font-size="11">{value}</text>')
    step = (TREND_W - PAD_L - PAD_R) / max(len(points) - 1, 1)
    every = max(len(points) // 5, 1)
    for i, point in enumerate(points):
        if i % every == 0 or i == len(points) - 1:
            anchor = "end" if i == len(points) - 1 else "middle"
            out.append(f'<text x="{PAD_L + i * step:.1f}" y="{TREND_H - 10}" '
                       f'text-anchor="{anchor}" fill="{MUTED}" font-size="11">'
                       f"{escape(point.day[5:])}</text>")
    return out


def trend(points: Sequence[TrendPointLike], title: str = "近30天在办、办结、逾期趋势") -> Markup:
    """Three lines over the days: open at each day's end, closed during it, overdue at its end."""
    if not points:
        return _empty(TREND_W, title)
    top = max(max(p.open, p.closed, p.overdue) for p in points) or 1
    series = (("在办", OPEN, [p.open for p in points]), ("办结", CLOSED, [p.closed for p in points]),
              ("逾期", OVERDUE, [p.overdue for p in points]))
    body = _axes(points, top)
    for i, (word, colour, values) in enumerate(series):
        body.append(f'<polyline points="{_points(values, top)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5" stroke-linejoin="round"><title>{word}</title></polyline>')
        x = PAD_L + i * 90
        body.append(f'<rect x="{x}" y="6" width="14" height="4" fill="{colour}"/>'
                    f'<text x="{x + 20}" y="13" fill="{INK}" font-size="12">{word}</text>')
    last = points[-1]
    desc = (f"{points[0].day} 至 {last.day}；今日在办 {last.open}、办结 {last.closed}、"
            f"逾期 {last.overdue}")
    return _svg(TREND_W, TREND_H, title, desc, body)
