"""The bulletin tells what the office needs, right: as of the period's end unless told
otherwise, its introduction agreeing with section 五, no invented dates, whole sentences, and
the supervising leader derived from the org file's scopes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session

from cli.main import run
from engine.reports.bulletin import build_bulletin, parse_period, render_markdown, report_moment
from engine.reports.bulletin_text import shorten
from engine.tasks.creation import assign_task, create_task
from engine.tasks.directives import create_directive
from models import DirectiveCreate, TaskCreate
from tests.factories import TZ, act, at, make_city, make_task, operator


def test_a_past_period_is_reported_as_of_its_last_day() -> None:
    march = parse_period("2024-03", TZ)
    end = report_moment(march, at("2026-10-01"))
    assert end.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S") == "2024-03-31 23:59:59"
    under_way = at("2024-03-15", "10:00")
    assert report_moment(march, under_way) == under_way


def test_the_introduction_agrees_with_section_five(session: Session) -> None:
    city = make_city(session, now=at("2024-02-20"))  # its directive is February's
    make_task(session, city, title="二月遗留事项", due="3月10日前", now=at("2024-02-20"))
    march = create_directive(session=session, data=DirectiveCreate(
        kind="instruction", title="三月批示", issued_at=at("2024-03-04"),
        issued_by_id=city.secretary.id), actor=act(city.office), now=at("2024-03-04"))
    data = TaskCreate(directive_id=march.id or 0, title="三月事项", lead_unit="EMERG",
                      due="3月20日前", due_counts_from="directive")
    task = create_task(session=session, data=data, actor=act(city.office), now=at("2024-03-04"))
    assign_task(session=session, task=task.code, actor=act(city.office), now=at("2024-03-04"))
    bulletin = build_bulletin(session=session, actor=operator(), period="2024-03", now=at("2024-03-31", "23:59"))
    assert bulletin.stats.overdue == 1 and bulletin.stats.carried_overdue == 1
    assert "逾期未办结1项" in bulletin.summary and "合计逾期2项" in bulletin.summary
    five = " ".join(p for b in bulletin.sections[4].blocks for p in b.paragraphs)
    assert "2项督办事项逾期未办结" in five
    assert sum(n for _, n in bulletin.overdue_units) == 2
    # The derived 分管领导: 李占明 supervises EMERG in the org, the task names no leader.
    table = next(b.table for b in bulletin.sections[4].blocks if b.table is not None)
    row = next(r for r in table.rows if r[3] == "三月事项")
    assert row[-1] == "李占明副市长"


def test_undated_items_keep_no_date_and_long_titles_read_as_sentences(session: Session) -> None:
    city = make_city(session, now=at("2024-03-02"))
    undated = create_directive(session=session, data=DirectiveCreate(
        kind="instruction", title="关于加强消防工作的批示", text="请抓好落实。", undated=True,
        issued_at=at("2024-03-15"), issued_by_id=city.secretary.id), actor=act(city.office),
        now=at("2024-03-15"))
    clause = ("各区县要在全面摸排的基础上，建立九小场所隐患台账，逐一明确整改责任人和整改时限，"
              "实行销号管理，确保隐患动态清零，并于每月底前报送整改进展情况")
    data = TaskCreate(directive_id=undated.id or 0, title=clause[:30], requirement=clause,
                      lead_unit="FIRE", due="4月30日前", due_counts_from="directive")
    task = create_task(session=session, data=data, actor=act(city.office), now=at("2024-03-15"))
    assign_task(session=session, task=task.code, actor=act(city.office), now=at("2024-03-15"))
    text = render_markdown(build_bulletin(session=session, actor=operator(), period="2024-03", now=at("2024-03-31")))
    assert "3月15日，" not in text  # the day it was registered is not the day it was written
    assert "王炳森书记在《关于加强消防工作的批示》上作出批示" in text
    line = next(ln for ln in text.splitlines() if ln.startswith("1. 各区县"))
    assert clause[:30] + "。" not in line  # never a cut title closed as if it were a sentence
    assert "逐一明确整改责任人和整改时限" in line and "牵头单位：市消防救援支队" in line


def test_shorten_cuts_at_a_clause() -> None:
    assert shorten("短句。", 10) == "短句。"
    assert shorten("第一句话比较长，第二句话也很长，第三句", 12) == "第一句话比较长……"
    assert shorten("没有任何标点的一段很长很长的文字内容", 8) == "没有任何标点的一……"


def test_report_without_now_is_written_as_of_the_period_end(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/duban.db"
    assert run(["--db", url, "init", "--simulation"]) == 0
    assert run(["--db", url, "unit", "add", "FIRE", "市消防救援支队"]) == 0
    assert run(["--db", url, "directive", "add", "--kind", "instruction", "--title", "批示",
                "--at", "2024-03-04", "--now", "2024-03-04T10:00"]) == 0
    assert run(["--db", url, "task", "add", "--directive", "1", "--title", "事项", "--lead",
                "FIRE", "--due", "3月20日前", "--assign", "--now", "2024-03-04T10:00"]) == 0
    capsys.readouterr()
    out = tmp_path / "march.md"
    assert run(["--db", url, "report", "--period", "2024-03", "--out", str(out), "--json"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "（2024年3月31日）" in text
    days = [int(n) for n in re.findall(r"已逾期(\d+)天", text)]
    assert days == [11]  # 3-20 → 3-31, not some nine hundred days to today
    assert run(["--db", url, "report", "--period", "2024-03", "--out", str(out),
                "--now", "2024-04-05"]) == 0
    assert "已逾期16天" in out.read_text(encoding="utf-8")

