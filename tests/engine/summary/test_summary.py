"""The 15:00 summary at chosen moments around the 2024 Spring Festival.

Calendar: 2024-02-10 … 02-17 are holidays; Sunday 02-04 and Sunday 02-18 are make-up working
days (调休); Friday 02-09 is a working day. "Due within 3 working days" therefore reaches across
the holiday: on 02-09 it ends with 02-20, on 02-18 with 02-21.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from cli.main import run
from config.policy import Policy, SummaryPolicy
from engine.escalation.run import run_pass
from engine.read.schemas import SummaryView
from engine.store.db import make_engine
from engine.store.policy import save_policy
from engine.store.schema import upgrade
from engine.summary.build import build_summary, leaders_with_scope
from engine.summary.daily import is_summary_day, run_daily_summary
from engine.summary.render import render_html, render_markdown, render_text
from engine.tasks.actions import acknowledge, report_progress, request_completion, verify_and_close
from engine.tasks.creation import assign_task, create_task
from engine.tasks.extensions import request_extension
from models import JobFire, OutboxMessage, SummaryRun, Task, TaskCreate
from tests.conftest import mark_simulation
from tests.factories import City, act, at, make_city, make_task, system

ISSUED = at("2024-01-22", "09:00")
EVE = at("2024-02-09", "15:00")  # the last working day before the holiday
MAKEUP_SUNDAY = at("2024-02-18", "15:00")


@dataclass
class Spring:
    city: City
    a: Task  # FIRE, due 02-05: overdue, escalated twice before the 02-08 summary
    b: Task  # HOUSING under 王炳森, due 02-08: overdue, 催办 on 02-09
    c: Task  # EMERG, due 02-20, extension pending
    d: Task  # FIRE, due 03-31, progress reported: green and not stale
    e: Task  # HOUSING without a leader, due 02-19
    x: Task  # FIRE, due 02-21
    f: Task  # HOUSING under 李占明, created 02-09 (new since the 02-08 summary)
    g: Task  # FIRE, closed 02-09


def _task(session: Session, city: City, *, due: str, lead: str, leader: str | None,
          title: str) -> Task:
    """A task whose supervising leader is not the factories' 李占明."""
    data = TaskCreate(directive_id=city.directive.id or 0, title=title, lead_unit=lead, due=due,
                      leader=leader)
    task = create_task(session=session, data=data, actor=act(city.office), now=ISSUED)
    return assign_task(session=session, task=task.code, actor=act(city.office),
                       now=ISSUED + timedelta(minutes=1))


def _spring(session: Session, reports: Path) -> Spring:
    """The city on the eve of the holiday, with a summary built on 02-08 at 15:00."""
    city = make_city(session, now=ISSUED)

    def fire(due: str, title: str, lead: str = "FIRE", now: Any = ISSUED) -> Task:
        return make_task(session, city, due=due, lead=lead, co=[], title=title, now=now)

    a = fire("2月5日前", "消防通道占用整治")
    b = _task(session, city, due="2月8日前", lead="HOUSING", leader="王炳森", title="老旧小区燃气改造")
    c = fire("2月20日前", "危化品企业节前检查", lead="EMERG")
    d = fire("3月31日前", "市政消火栓建设")
    e = _task(session, city, due="2月19日前", lead="HOUSING", leader=None, title="建筑工地安全巡查")
    x = fire("2月21日前", "高层住宅消防设施检测")
    g = fire("2月29日前", "九小场所灭火器配置")
    acknowledge(session=session, task=d.code, actor=act(city.fire_contact), now=at("2024-02-05", "09:00"))
    report_progress(session=session, task=d.code, actor=act(city.fire_contact), text="已完成60个",
                    now=at("2024-02-05", "10:00"))
    acknowledge(session=session, task=c.code, actor=act(city.emerg_contact), now=at("2024-02-01"))
    request_extension(session=session, task=c.code, actor=act(city.emerg_contact), new_due="2月29日前",
                      reason="节日期间企业停产，无法入企检查", now=at("2024-02-08", "10:00"))
    run_pass(session=session, actor=system(), now=at("2024-02-07", "10:00"))  # a: 催办 and 督办
    run_daily_summary(session=session, actor=system(), now=at("2024-02-08", "15:00"), reports_dir=reports,
                      send=False)
    f = fire("2月23日前", "燃气安全进社区宣传", lead="HOUSING", now=at("2024-02-09", "09:00"))
    acknowledge(session=session, task=g.code, actor=act(city.fire_contact), now=at("2024-02-09", "09:30"))
    request_completion(session=session, task=g.code, actor=act(city.fire_head), evidence="配置清单及照片",
                       now=at("2024-02-09", "10:00"))
    verify_and_close(session=session, task=g.code, actor=act(city.office), rating="良好",
                     now=at("2024-02-09", "11:00"))
    run_pass(session=session, actor=system(), now=at("2024-02-09", "12:00"))  # b: 催办
    return Spring(city, a, b, c, d, e, x, f, g)


def _sections(data: SummaryView) -> dict[str, list[str]]:
    """Visible sections by the start of their title, as lists of task codes."""
    return {s.title.split("（")[0]: [r.code for r in s.rows] for s in data.sections if s.total}


def test_whole_summary_on_the_eve_of_the_holiday(session: Session, tmp_path: Path) -> None:
    s = _spring(session, tmp_path)
    data = build_summary(session, now=EVE)
    assert data.scope == "全市"
    assert (f"{data.built_at:%Y-%m-%d %H:%M}", f"{data.since:%Y-%m-%d %H:%M}") == (
        "2024-02-09 15:00", "2024-02-08 15:00")
    assert data.lights == {"red": 2, "yellow": 2, "green": 3}  # open: a b | e c | d x f
    assert _sections(data) == {
        "逾期事项": [s.a.code, s.b.code],  # most days overdue first
        "3个工作日内到期": [s.e.code, s.c.code],  # 02-19 and 02-20 across the holiday, not 02-21
        "本期新增": [s.f.code],
        "本期办结": [s.g.code],
        "进展滞后": [s.a.code, s.b.code, s.c.code, s.e.code, s.x.code],
        "待审批延期申请": [s.c.code],
        "今日升级督办": [s.b.code],  # a was escalated before the last summary
    }
    overdue = data.sections[0].rows
    assert [(r.days_overdue, r.lead_unit, r.leader) for r in overdue] == [
        (4, "市消防救援支队", "李占明"), (1, "市住房和城乡建设局", "王炳森")]
    assert [u.to_json() for u in data.by_unit] == [
        {"unit": "市住房和城乡建设局", "red": 1, "yellow": 1, "green": 1, "open": 3},
        {"unit": "市消防救援支队", "red": 1, "yellow": 0, "green": 2, "open": 3},
        {"unit": "市应急管理局", "red": 0, "yellow": 1, "green": 0, "open": 1},
    ]
    markdown = render_markdown(data)
    assert markdown.startswith("# 督办事项每日调度（全市）")
    assert "## 逾期事项（按逾期天数）（2）" in markdown and "| 4 | 李占明 |" in markdown
    html = render_html(data)
    assert html.startswith("<b>督办事项每日调度（全市）</b>") and "🔴 红灯 2" in html
    assert "逾期4天，分管：李占明" in render_text(data)


def test_leader_scope_is_the_units_and_tasks_he_supervises(session: Session, tmp_path: Path) -> None:
    s = _spring(session, tmp_path)
    assert [p.name for p in leaders_with_scope(session)] == ["李占明"]  # 王炳森 gets the whole
    data = build_summary(session, now=EVE, leader=s.city.vice_mayor)
    assert data.scope == "李占明副市长分管范围"
    # FIRE and EMERG tasks, plus the HOUSING task he supervises (f); not b (王炳森) nor e.
    assert data.lights == {"red": 1, "yellow": 1, "green": 3}
    sections = _sections(data)
    assert sections["逾期事项"] == [s.a.code]
    assert sections["3个工作日内到期"] == [s.c.code]
    assert sections["本期新增"] == [s.f.code]
    assert "今日升级督办" not in sections  # b, escalated today, is not his
    assert {u.unit for u in data.by_unit} == {"市消防救援支队", "市应急管理局", "市住房和城乡建设局"}
    assert "督办事项每日调度（李占明副市长分管范围）" in render_markdown(data)


def test_summary_on_the_makeup_sunday(session: Session, tmp_path: Path) -> None:
    s = _spring(session, tmp_path)
    run_daily_summary(session=session, actor=system(), now=EVE, reports_dir=tmp_path, send=False)
    # The first working day after the holiday is a Sunday: the ladder climbs on it.
    created = run_pass(session=session, actor=system(), now=at("2024-02-18", "10:00"))
    assert {(p.task_id, p.level) for p in created if p.kind == "escalation"} == {
        (s.a.id, 3), (s.b.id, 2)}
    data = build_summary(session, now=MAKEUP_SUNDAY)
    sections = _sections(data)
    assert sections["逾期事项"] == [s.a.code, s.b.code]
    assert [r.days_overdue for r in data.sections[0].rows] == [13, 10]
    assert sections["3个工作日内到期"] == [s.e.code, s.c.code, s.x.code]  # up to 02-21 now
    assert sorted(sections["今日升级督办"]) == sorted([s.a.code, s.b.code])
    assert sections["今日升级督办"][0] == s.a.code  # highest level first
    assert "本期新增" not in sections and "本期办结" not in sections
    assert f"{data.since:%Y-%m-%d %H:%M}" == "2024-02-09 15:00"
    markdown = render_markdown(data)
    assert "## 本期新增" not in markdown and "## 今日升级督办（2）" in markdown
    # Rebuilding the eve's summary afterwards shows the eve as it was, not later events.
    again = _sections(build_summary(session, now=EVE))
    assert again["今日升级督办"] == [s.b.code] and again["本期办结"] == [s.g.code]


def test_empty_sections_are_left_out_but_the_header_stays(session: Session) -> None:
    city = make_city(session, now=ISSUED)
    empty = build_summary(session, now=EVE)
    assert empty.lights == {"red": 0, "yellow": 0, "green": 0} and empty.by_unit == []
    assert empty.to_json()["sections"] == []
    markdown = render_markdown(empty)
    assert markdown.startswith("# 督办事项每日调度（全市）") and "- 红灯：0" in markdown
    assert "## " not in markdown
    html = render_html(empty)
    assert html.splitlines()[0] == "<b>督办事项每日调度（全市）</b>" and "\n<b>" not in html
    make_task(session, city, due="3月31日前", co=[], now=at("2024-02-09", "10:00"))
    one = build_summary(session, now=EVE)
    assert [s["title"] for s in one.to_json()["sections"]] == ["本期新增"]
    assert one.lights == {"red": 0, "yellow": 0, "green": 1}
    headings = [line for line in render_markdown(one).splitlines() if line.startswith("## ")]
    assert headings == ["## 分单位情况", "## 本期新增（1）"]


@pytest.fixture
def file_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from config.settings import reset_settings

    url = f"sqlite:///{tmp_path}/summary.db"
    engine = make_engine(url)
    upgrade(engine)
    mark_simulation(engine)
    with Session(engine, expire_on_commit=False) as session:
        city = make_city(session, now=ISSUED)
        make_task(session, city, due="2月5日前", co=[], now=ISSUED)
        save_policy(session, policy=Policy(summary=SummaryPolicy(days="working_days")), now=ISSUED)
        session.commit()
    engine.dispose()
    monkeypatch.setenv("DUBAN_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("DUBAN_NOTIFIERS", '["console"]')
    reset_settings()
    yield url
    reset_settings()


def test_working_days_policy_skips_saturday_and_runs_on_makeup_sunday(file_db: str,
                                                                     tmp_path: Path) -> None:
    from flows.jobs import summary_job

    engine = make_engine(file_db)
    with Session(engine) as session:
        days = {d: is_summary_day(at(d, "15:00"), session) for d in
                ("2024-02-03", "2024-02-04", "2024-02-09", "2024-02-14", "2024-02-18", "2024-02-24")}
    assert days == {"2024-02-03": False, "2024-02-04": True, "2024-02-09": True,
                    "2024-02-14": False, "2024-02-18": True, "2024-02-24": False}
    assert summary_job(now=at("2024-02-03", "15:00"), database_url=file_db) == {"skipped": "非工作日"}
    assert summary_job(now=at("2024-02-14", "15:00"), database_url=file_db) == {"skipped": "非工作日"}
    first = summary_job(now=at("2024-02-04", "15:00"), database_url=file_db)
    assert first["date"] == "2024-02-04" and first["queued"] >= 3
    report = Path(first["path"])
    assert report == tmp_path / "reports" / "summary-2024-02-04.md"
    assert report.read_text(encoding="utf-8").startswith("# 督办事项每日调度（全市）")
    # A second fire the same day (another scheduler, a retried flow) is a no-op.
    again = summary_job(now=at("2024-02-04", "15:05"), database_url=file_db)
    assert again == {"skipped": "今日调度已生成"}
    with Session(engine) as session:
        assert len(session.exec(select(JobFire)).all()) == 1
        assert len(session.exec(select(SummaryRun)).all()) == 1
        queued = session.exec(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "summary")).one()
        assert queued == first["queued"]
    engine.dispose()


def test_a_failed_summary_can_run_again_the_same_day(file_db: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.summary.daily
    from flows.jobs import summary_job

    def broken(**_: object) -> None:
        raise OSError("报告目录不可写")

    with monkeypatch.context() as patch:
        patch.setattr(engine.summary.daily, "run_daily_summary", broken)
        with pytest.raises(OSError):
            summary_job(now=at("2024-02-04", "15:00"), database_url=file_db)
    # The fire key of the failed run must not block the retry.
    assert summary_job(now=at("2024-02-04", "15:01"), database_url=file_db)["date"] == "2024-02-04"


def test_cli_summary_json_send_writes_the_markdown(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert run(["--db", url, "init", "--simulation"]) == 0
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        _spring(session, tmp_path / "earlier")
    engine.dispose()
    capsys.readouterr()
    reports = tmp_path / "reports"
    argv = ["--db", url, "summary", "--now", "2024-02-18T15:00", "--json", "--send",
            "--reports", str(reports)]
    assert run(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["date"] == "2024-02-18" and out["path"] == str(reports / "summary-2024-02-18.md")
    # The whole to 王炳森 and the office, 李占明 his scope.
    assert out["queued"] == 3 and set(out["leaders"]) == {"李占明"}
    titles = [s["title"] for s in out["whole"]["sections"]]
    assert titles[0] == "逾期事项（按逾期天数）" and out["whole"]["lights"]["red"] == 2
    markdown = (reports / "summary-2024-02-18.md").read_text(encoding="utf-8")
    assert markdown.startswith("# 督办事项每日调度（全市）")
    assert "# 督办事项每日调度（李占明副市长分管范围）" in markdown
    assert "## 逾期事项（按逾期天数）（2）" in markdown
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "summary")
                            .order_by(col(OutboxMessage.recipient_id))).all()
        assert len(rows) == 3 and all(r.subject == "督办事项每日调度 2024-02-18" for r in rows)
    engine.dispose()
    assert run(argv) == 0  # the same day again: nothing queued twice
    assert json.loads(capsys.readouterr().out)["queued"] == 0
