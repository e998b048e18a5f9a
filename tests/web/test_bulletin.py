"""情况通报 (/bulletin): the month's bulletin on the page and as valid .docx / .md downloads, for
those the engine lets build it (who see every task); refused to leaders with a scope and
units; an impossible month or control characters are a Chinese 400 page."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document

from tests.web.conftest import WebWorld
from tests.web.reports_support import housing_task

TITLE = "2024年3月份督办工作情况通报"


def test_the_office_reads_the_months_bulletin(web: WebWorld) -> None:
    late = housing_task(web)
    client = web.client("office")
    for path in ("/bulletin", "/bulletin?period=2024-03"):
        page = client.get(path)
        assert page.status_code == 200
        assert TITLE in page.text and 'value="2024-03"' in page.text
        assert web.task.title in page.text and "五、逾期未办结事项通报" in page.text
        assert late.code in page.text and "市住房和城乡建设局1项" in page.text
    other = client.get("/bulletin?period=2024-02")
    assert "2024年2月份督办工作情况通报" in other.text and "未交办督办事项" in other.text


def test_the_word_download_is_a_valid_document(web: WebWorld) -> None:
    late = housing_task(web)
    answer = web.client("office").get("/bulletin/download?period=2024-03&format=docx")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert zipfile.is_zipfile(io.BytesIO(answer.content))
    document = Document(io.BytesIO(answer.content))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == TITLE
    assert any(web.task.title in t for t in texts)
    cells = {c.text for table in document.tables for row in table.rows for c in row.cells}
    assert late.code in cells


def test_the_markdown_download(web: WebWorld) -> None:
    late = housing_task(web)
    answer = web.client("office").get("/bulletin/download?period=2024-03&format=md")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/markdown")
    text = answer.content.decode("utf-8")
    assert text.startswith(f"# {TITLE}\n")
    assert "## 五、逾期未办结事项通报" in text and f"| {late.code} |" in text


def test_a_top_leader_may_build_it_as_the_engine_allows(web: WebWorld) -> None:
    """The bulletin names every unit's overdue items: whoever sees every task may build it."""
    assert web.client("secretary").get("/bulletin?period=2024-03").status_code == 200


@pytest.mark.parametrize("role", ["vice_mayor", "fire", "fire_head", "housing", "emerg"])
def test_leaders_with_a_scope_and_units_are_refused(web: WebWorld, role: str) -> None:
    housing_task(web)
    client = web.client(role)
    for path in ("/bulletin", "/bulletin?period=2024-03",
                 "/bulletin/download?period=2024-03&format=docx",
                 "/bulletin/download?period=2024-03&format=md"):
        answer = client.get(path)
        assert answer.status_code in (403, 404), path
        assert "只有督查室" in answer.text and "住建局独办的逾期事项" not in answer.text


def test_anonymous_visitors_are_sent_to_log_in(web: WebWorld) -> None:
    for path in ("/bulletin", "/bulletin/download?period=2024-03&format=docx"):
        assert web.client("anon").get(path).status_code == 303


@pytest.mark.parametrize("query", [
    "period=2024-13", "period=2024-00", "period=2024-03%00", "period=2024%0A-03",
    "period=%E2%80%AE2024-03", "period=abc", "period=" + "9" * 30, "period=",
    "period=9999-12", "period=0000-05", "period=0001-01",
])
def test_an_impossible_month_is_a_chinese_400_page(web: WebWorld, query: str) -> None:
    client = web.client("office")
    for path in (f"/bulletin?{query}", f"/bulletin/download?{query}&format=docx"):
        answer = client.get(path)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.headers["content-type"].startswith("text/html")
        assert "Traceback" not in answer.text and "请求有误" in answer.text
        assert "\x00" not in answer.text


@pytest.mark.parametrize("fmt", ["pdf", "docx%00", "", "md%0A"])
def test_an_unknown_format_is_a_chinese_400_page(web: WebWorld, fmt: str) -> None:
    answer = web.client("office").get(f"/bulletin/download?period=2024-03&format={fmt}")
    # A control character is refused by the console's address guard before the route runs.
    expected = "控制字符" if "%" in fmt else "文件格式无效"
    assert answer.status_code == 400 and expected in answer.text
