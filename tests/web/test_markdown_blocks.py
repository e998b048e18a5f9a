"""The saved summary's Markdown as blocks: headings, lists, tables and the anchor come back as
the renderer wrote them; text stays text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from engine.read.schemas import SummaryView, UnitLights
from engine.summary.render import render_markdown
from web.markdown_blocks import blocks

TZ = ZoneInfo("Asia/Shanghai")


def test_a_rendered_summary_comes_back_as_its_parts() -> None:
    view = SummaryView(scope="全市", built_at=datetime(2024, 3, 5, 15, tzinfo=TZ),
                       since=datetime(2024, 3, 4, 15, tzinfo=TZ),
                       lights={"red": 1, "yellow": 2, "green": 3},
                       by_unit=[UnitLights("市消防救援支队", 1, 0, 2, 3),
                                UnitLights("A|B<script>", 0, 2, 1, 3)],
                       anchor="审计锚点：7:abc")
    parts = blocks(render_markdown(view))
    assert [b.kind for b in parts] == ["h1", "p", "ul", "h2", "table", "code"]
    assert parts[0].text == "督办事项每日调度（全市）"
    assert parts[2].items == ["红灯：1", "黄灯：2", "绿灯：3"]
    table = parts[4]
    assert table.items == ["单位", "红", "黄", "绿", "在办"]
    assert table.rows == [["市消防救援支队", "1", "0", "2", "3"], ["A｜B<script>", "0", "2", "1", "3"]]
    assert parts[5].text == "审计锚点：7:abc"


def test_anything_else_is_a_paragraph() -> None:
    parts = blocks("纯文本一行\n\n`\n#没有空格的标题")
    assert [(b.kind, b.text) for b in parts] == [("p", "纯文本一行"), ("p", "`"),
                                                 ("p", "#没有空格的标题")]
