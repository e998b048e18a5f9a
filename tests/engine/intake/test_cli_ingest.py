"""``duban ingest`` from the command line, on SQLite and PostgreSQL: the review, ``--json`` with
unit names and proposals, applying once, dropping or fixing a refused item, the size limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import assert_refused, db_url  # noqa: F401  (fixture)
from tests.cli.test_cli import Duban as Cli

NOTICE = """关于近期安全生产工作的通知
（2024年3月4日）

市应急管理局、河东区政府:
一、住建局要在3月1日前报送整改方案。
二、由市应急管理局牵头，城投集团配合，3月20日前完成燃气管道复查。
三、请你局从3月3日开始每天下午3点报送安全生产情况。
"""


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path) -> Cli:  # noqa: F811
    run = Cli(capsys, db_url)
    assert run("init", "--simulation").code == 0
    assert run("unit", "add", "EMERG", "市应急管理局", "--short", "应急局").code == 0
    assert run("person", "add", "赵督查", "--title", "督查室主任", "--role", "office").code == 0
    (tmp_path / "notice.txt").write_text(NOTICE, encoding="utf-8")
    return run


def test_json_names_units_and_proposals(cli: Cli, tmp_path: Path) -> None:
    data = cli.json("ingest", str(tmp_path / "notice.txt"))
    assert data["date_basis"] == {"source": "文首日期", "date": "2024-03-04"}
    second = data["tasks"][1]
    assert second["index"] == 2
    assert second["lead_units"] == [{"code": "EMERG", "name": "市应急管理局"}]
    proposal = second["proposed_units"][0]
    assert (proposal["name"], proposal["role"], proposal["text"]) == ("城投集团", "co", "城投集团")
    assert isinstance(second["confidence"], float) and "low_confidence" in second
    daily = data["tasks"][2]
    assert daily["recurrence"] == "每天下午3点" and daily["lead_units"][0]["code"] == "EMERG"
    review = cli("ingest", str(tmp_path / "notice.txt"))
    assert review.code == 0 and "城投集团?" in review.out and "待核" in review.out
    assert "日期依据" in review.out


def test_apply_refusal_names_the_item_then_skip_and_again(cli: Cli, tmp_path: Path) -> None:
    doc = str(tmp_path / "notice.txt")
    now = ("--now", "2024-03-04T10:00", "--as", "赵督查")
    refused = cli("ingest", doc, "--apply", *now)
    assert_refused(refused, 1, "第1项")
    assert "--skip 1" in refused.err_line and "--due 1=" in refused.err_line
    applied = cli.json("ingest", doc, "--apply", "--skip", "1", *now)["applied"]
    assert applied["skipped"] == [1] and len(applied["tasks"]) == 2
    twice = cli("ingest", doc, "--apply", "--skip", "1", *now)
    assert_refused(twice, 1, "该文档已于2024年3月4日由赵督查登记过")
    assert "--again" in twice.err_line
    fixed = cli.json("ingest", doc, "--apply", "--again", "--due", "1=3月15日前", *now)
    assert fixed["applied"]["skipped"] == [] and len(fixed["applied"]["tasks"]) == 3


def test_bad_item_options_are_refused(cli: Cli, tmp_path: Path) -> None:
    doc = str(tmp_path / "notice.txt")
    assert_refused(cli("ingest", doc, "--apply", "--skip", "一"), 1, "--skip 应为事项序号")
    assert_refused(cli("ingest", doc, "--apply", "--due", "3月15日前"), 1, "--due 应写作")
    assert_refused(cli("ingest", doc, "--apply", "--skip", "9", "--now", "2024-03-04T10:00"), 1,
                   "事项序号 9 不存在")


def test_too_long_a_text_is_refused_before_it_is_read(cli: Cli, tmp_path: Path) -> None:
    from engine.intake import MAX_DOCUMENT_CHARS

    big = tmp_path / "big.txt"
    big.write_text("市住建局要在3月31日前完成排查。\n" * (MAX_DOCUMENT_CHARS // 10), encoding="utf-8")
    assert_refused(cli("ingest", str(big)), 1, "文档过长")
    folder = tmp_path / "folder"
    folder.mkdir()
    assert_refused(cli("ingest", str(folder)), 1, "是一个目录")
