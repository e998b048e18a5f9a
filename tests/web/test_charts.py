"""The server-drawn charts: well-formed SVG, no style attributes, data escaped, bars to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from web import charts

NS = "{http://www.w3.org/2000/svg}"


@dataclass
class Lights:
    unit: str
    red: int
    yellow: int
    green: int


@dataclass
class Point:
    day: str
    open: int
    closed: int
    overdue: int


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert all("style" not in el.attrib for el in root.iter()), "inline styles are refused by CSP"
    return root


def test_bars_are_to_scale_and_names_escaped() -> None:
    svg = charts.lights_by_unit([Lights("<b>消防</b>&支队", 2, 1, 1), Lights("住建局", 1, 0, 0),
                                 Lights("无事项单位", 0, 0, 0)])
    root = parse(str(svg))
    assert "<b>" not in str(svg) and "&lt;b&gt;" in str(svg)
    bars = root.findall(f"{NS}rect")
    widths = {(b.attrib["fill"], b.find(f"{NS}title").text): float(b.attrib["width"])  # type: ignore[union-attr]
              for b in bars}
    red = widths[(charts.RED, "<b>消防</b>&支队 红灯 2")]
    assert widths[(charts.RED, "住建局 红灯 1")] == red / 2
    assert widths[(charts.YELLOW, "<b>消防</b>&支队 黄灯 1")] == red / 2
    assert len(bars) == 4  # the unit without open tasks draws no bar
    assert "无事项单位" not in str(svg)
    desc = root.find(f"{NS}desc")
    assert desc is not None and "住建局：红1 黄0 绿0" in (desc.text or "")


def test_trend_draws_three_lines_over_the_days() -> None:
    points = [Point(f"2024-03-{d:02d}", 10 + d, d % 3, d // 10) for d in range(1, 31)]
    root = parse(str(charts.trend(points)))
    lines = root.findall(f"{NS}polyline")
    assert [line.find(f"{NS}title").text for line in lines] == ["在办", "当日办结", "逾期"]  # type: ignore[union-attr]
    assert all(len(line.attrib["points"].split()) == 30 for line in lines)
    # The highest value touches the top of the plot; zero lies on the baseline.
    opens = [float(p.split(",")[1]) for p in lines[0].attrib["points"].split()]
    assert min(opens) == charts.PAD_T
    labels = [t.text for t in root.findall(f"{NS}text")]
    assert "03-01" in labels and "03-30" in labels


def test_empty_charts_say_so() -> None:
    for svg in (charts.lights_by_unit([]), charts.trend([]), charts.trend([], charts.NARROW),
                charts.lights_by_unit([Lights("空", 0, 0, 0)])):
        assert "暂无数据" in str(parse(str(svg)).find(f"{NS}desc").text)  # type: ignore[union-attr]
    flat = parse(str(charts.trend([Point("2024-03-01", 0, 0, 0), Point("2024-03-02", 0, 0, 0)])))
    assert len(flat.findall(f"{NS}polyline")) == 3  # all zero: drawn on the baseline, no error


def test_the_legend_says_the_closed_line_counts_each_days_closures() -> None:
    """The 办结 line is per day (what was closed that day), not a running total."""
    points = [Point("2024-03-01", 5, 2, 0), Point("2024-03-02", 4, 1, 1)]
    root = parse(str(charts.trend(points)))
    legend = [t.text for t in root.findall(f"{NS}text")]
    assert "当日办结" in legend and "办结" not in legend
    assert "今日办结 1" in (root.find(f"{NS}desc").text or "")  # type: ignore[union-attr]


def _scale_on(frame: charts.Frame, pixels: float) -> float:
    return pixels / frame.width


def test_phone_frame_keeps_its_text_readable_at_375_px() -> None:
    """On a 375-px phone a chart gets about 330 px: the narrow frame's labels show at 12 px or
    more there (the wide one's would be about 6 px), and its day labels do not overlap."""
    phone = 330
    assert charts.WIDE.font * _scale_on(charts.WIDE, phone) < 7
    assert (charts.NARROW.font - 1) * _scale_on(charts.NARROW, phone) >= 12
    rows = [Lights("市住房和城乡建设局", 3, 2, 1), Lights("市消防救援支队", 0, 1, 4)]
    for svg in (charts.lights_by_unit(rows, charts.NARROW), charts.trend(
            [Point(f"2024-03-{d:02d}", d, 1, 0) for d in range(1, 31)], charts.NARROW)):
        root = parse(str(svg))
        assert root.attrib["class"] == "chart chart-narrow"
        assert root.attrib["viewBox"].split()[2] == str(charts.NARROW.width)
    names = [t.text for t in parse(str(charts.lights_by_unit(rows, charts.NARROW))).findall(
        f"{NS}text")]
    assert "市住房和城乡建…" in names and "市消防救援支队" in names
    days = charts.day_labels(30, charts.NARROW.ticks)
    assert days[-1] == 29 and days[0] == 0 and len(days) <= charts.NARROW.ticks + 1
    # Five-character labels ("03-01") need about 3 em between their middles.
    step = (charts.NARROW.width - charts.NARROW.pad_left - charts.PAD_R) / 29
    gaps = [(b - a) * step for a, b in zip(days, days[1:], strict=False)]
    assert min(gaps) >= 3 * charts.NARROW.font


def test_responsive_draws_both_frames_with_the_same_figures() -> None:
    rows = [Lights("住建局", 1, 2, 3)]
    both = str(charts.responsive(charts.lights_by_unit, rows))
    wide, narrow = both.split("</svg>")[:2]
    assert 'class="chart chart-wide"' in wide and 'class="chart chart-narrow"' in narrow
    for svg in (wide, narrow):
        desc = parse(svg + "</svg>").find(f"{NS}desc")
        assert desc is not None and "住建局：红1 黄2 绿3" in (desc.text or "")


def test_day_labels_never_crowd_today() -> None:
    assert charts.day_labels(30, 5) == [0, 6, 12, 18, 24, 29]
    assert charts.day_labels(30, 4) == [0, 7, 14, 21, 29]  # 28 would touch 29
    assert charts.day_labels(2, 4) == [0, 1]
    assert charts.day_labels(1, 4) == [0]
    assert charts.day_labels(0, 4) == []


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_series_stands_out_from_the_white_card() -> None:
    """Bars and lines carry the figures: each colour at least 3:1 against white (WCAG 1.4.11),
    and the lights' colours are the stylesheet's, so a bar matches its badge."""
    for colour in (charts.RED, charts.YELLOW, charts.GREEN, charts.OPEN, charts.CLOSED,
                   charts.OVERDUE):
        assert _contrast(colour, "#ffffff") >= 3, colour
    css = (Path(charts.__file__).parent / "static" / "css" / "duban.css").read_text("utf-8")
    for name, colour in (("red", charts.RED), ("yellow", charts.YELLOW),
                         ("green", charts.GREEN)):
        assert f"--{name}: {colour};" in css, name
