"""每日调度 (/summary): the whole for the office and top leaders, a leader's own scope only,
units refused; past summaries as each reader may read them; bad input is a Chinese 400."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from engine.summary.daily import run_daily_summary
from tests.factories import at, operator
from tests.web.conftest import WebWorld
from tests.web.reports_support import housing_task

PAST_DAY = "2024-03-08"


def _sent_summary(web: WebWorld, folder: Path) -> Path:
    """The 15:00 summary of PAST_DAY, built and sent; the saved report's path."""
    with Session(web.engine) as session:
        result = run_daily_summary(session=session, actor=operator(), now=at(PAST_DAY, "15:00"),
                                   reports_dir=folder, send=True)
    assert result.path is not None
    return Path(result.path)


def test_the_office_reads_the_whole_and_every_leaders_scope(web: WebWorld) -> None:
    outside = housing_task(web)
    client = web.client("office")
    page = client.get("/summary")
    assert page.status_code == 200
    assert "督办事项每日调度（全市）" in page.text
    assert outside.code in page.text and web.task.code in page.text
    assert f'href="/summary?leader={web.city.vice_mayor.id}"' in page.text
    scoped = client.get(f"/summary?leader={web.city.vice_mayor.id}")
    assert scoped.status_code == 200
    assert "李占明副市长分管范围" in scoped.text
    assert web.task.code in scoped.text and outside.code not in scoped.text


def test_a_leader_reads_only_their_own_scope(web: WebWorld) -> None:
    outside = housing_task(web)
    client = web.client("vice_mayor")
    page = client.get("/summary")
    assert page.status_code == 200
    assert "李占明副市长分管范围" in page.text and "（全市）" not in page.text
    assert web.task.code in page.text and outside.code not in page.text
    assert "市住房和城乡建设局" not in page.text  # not even in the per-unit counts
    assert client.get(f"/summary?leader={web.city.vice_mayor.id}").status_code == 200
    other = client.get(f"/summary?leader={web.city.secretary.id}")
    assert other.status_code == 403 and "本人分管范围" in other.text
    assert outside.code not in other.text


def test_a_top_leader_reads_the_whole(web: WebWorld) -> None:
    outside = housing_task(web)
    page = web.client("secretary").get("/summary")
    assert page.status_code == 200 and "（全市）" in page.text and outside.code in page.text


@pytest.mark.parametrize("role", ["fire", "fire_head", "housing", "emerg"])
def test_units_are_refused(web: WebWorld, role: str) -> None:
    page = web.client(role).get("/summary")
    assert page.status_code == 403
    assert "只有领导和督查室" in page.text and web.task.code not in page.text
    assert web.client(role).get(f"/summary/past/{PAST_DAY}").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(web: WebWorld) -> None:
    assert web.client("anon").get("/summary").status_code == 303
    assert web.client("anon").get(f"/summary/past/{PAST_DAY}").status_code == 303


def test_past_summaries_the_office_reads_the_saved_report(web: WebWorld, tmp_path: Path) -> None:
    report = _sent_summary(web, tmp_path)
    client = web.client("office")
    assert f'href="/summary/past/{PAST_DAY}"' in client.get("/summary").text
    past = client.get(f"/summary/past/{PAST_DAY}")
    assert past.status_code == 200 and "保存的调度报告" in past.text
    assert "（全市）" in past.text and "李占明副市长分管范围" in past.text
    assert '<h2 class="report-scope">' in past.text and "<table" in past.text  # not raw Markdown
    assert "|---" not in past.text and "## " not in past.text
    # Without the file (another server), the office reads the message it was sent.
    report.unlink()
    fallback = client.get(f"/summary/past/{PAST_DAY}")
    assert fallback.status_code == 200 and "发送给您的调度消息" in fallback.text
    assert "（全市）" in fallback.text and "李占明副市长分管范围" not in fallback.text


def test_past_summaries_a_leader_reads_only_what_was_sent_to_them(web: WebWorld,
                                                                   tmp_path: Path) -> None:
    housing_task(web)
    _sent_summary(web, tmp_path)
    client = web.client("vice_mayor")
    assert f'href="/summary/past/{PAST_DAY}"' in client.get("/summary").text
    past = client.get(f"/summary/past/{PAST_DAY}")
    assert past.status_code == 200 and "发送给您的调度消息" in past.text
    assert "李占明副市长分管范围" in past.text
    assert "（全市）" not in past.text and "住建局独办的逾期事项" not in past.text


@pytest.mark.parametrize("day", ["2024-03-09", "2024-02-30"])
def test_a_day_without_a_summary_is_not_found_or_refused(web: WebWorld, tmp_path: Path,
                                                         day: str) -> None:
    _sent_summary(web, tmp_path)
    page = web.client("office").get(f"/summary/past/{day}")
    assert page.status_code in (400, 404) and "Traceback" not in page.text


@pytest.mark.parametrize("path", ["/summary?leader=abc", "/summary?leader=1%0A2",
                                  "/summary/past/2024-13-45", "/summary/past/2024%0A03-01",
                                  "/summary/past/%E2%80%AE2024-03-08"])
def test_bad_input_is_a_chinese_400_page(web: WebWorld, path: str) -> None:
    page = web.client("office").get(path)
    assert page.status_code == 400, page.text
    assert "请求有误" in page.text and "Traceback" not in page.text


def test_an_unknown_leader_is_not_found(web: WebWorld) -> None:
    page = web.client("office").get("/summary?leader=999999999999")
    assert page.status_code == 404 and "没有找到" in page.text


def test_the_page_prints_without_the_menu_and_choices(web: WebWorld) -> None:
    """The print stylesheet hides the menu, the scope choices and the past list."""
    page = web.client("office").get("/summary").text
    css = web.client("office").get("/static/css/duban.css").text
    printed = css[css.index("@media print"):]
    for hidden in (".top", ".filters", ".no-print"):
        assert hidden in printed.split("}")[0]
    assert 'class="filters scopes"' in page and 'class="card no-print past-summaries"' in page
