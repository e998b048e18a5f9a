"""The server-drawn charts: well-formed SVG, no style attributes, data escaped, bars to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

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
    assert [line.find(f"{NS}title").text for line in lines] == ["在办", "办结", "逾期"]  # type: ignore[union-attr]
    assert all(len(line.attrib["points"].split()) == 30 for line in lines)
    # The highest value touches the top of the plot; zero lies on the baseline.
    opens = [float(p.split(",")[1]) for p in lines[0].attrib["points"].split()]
    assert min(opens) == charts.PAD_T
    labels = [t.text for t in root.findall(f"{NS}text")]
    assert "03-01" in labels and "03-30" in labels


def test_empty_charts_say_so() -> None:
    for svg in (charts.lights_by_unit([]), charts.trend([]),
                charts.lights_by_unit([Lights("空", 0, 0, 0)])):
        assert "暂无数据" in str(parse(str(svg)).find(f"{NS}desc").text)  # type: ignore[union-attr]
    flat = parse(str(charts.trend([Point("2024-03-01", 0, 0, 0), Point("2024-03-02", 0, 0, 0)])))
    assert len(flat.findall(f"{NS}polyline")) == 3  # all zero: drawn on the baseline, no error
