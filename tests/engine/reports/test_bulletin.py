"""The monthly 情况通报: a scripted March, built, written as .docx and .md, read back."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlmodel import Session, col, func, select

from engine.errors import InvalidInput
from engine.files.ingest import Upload
from engine.reports.bulletin import (
    BulletinData,
    build_bulletin,
    parse_period,
    render_markdown,
    write_docx,
)
from engine.tasks.actions import (
    acknowledge,
    cancel_task,
    report_progress,
    request_completion,
    verify_and_close,
)
from engine.tasks.creation import assign_task, create_task
from engine.tasks.directives import create_directive
from engine.tasks.lifecycle import OPEN_STATUSES
from models import Directive, DirectiveCreate, Person, Task, TaskCreate
from tests.factories import TZ, City, act, at, make_city, operator
from tests.support import samples

NOW = at("2024-04-01", "10:00")
SECTIONS = ["一、领导批示办理情况", "二、会议议定事项落实情况", "三、督查检查发现问题整改情况",
            "四、近期重点工作及时限", "五、逾期未办结事项通报"]
AHEAD = "以下2项督办事项将在4月1日至4月30日期间陆续到期，请责任单位抓紧办理，按时报送办理结果："
"""Section 四's opening as of :data:`NOW`: the window the deadlines fall in, by both ends."""


def _directive(session: Session, city: City, kind: str, title: str, when: datetime,
               by: Person | None = None, **extra: object) -> Directive:
    data = DirectiveCreate(kind=kind, title=title, issued_at=when,
                           issued_by_id=by.id if by else None, **extra)  # type: ignore[arg-type]
    return create_directive(session=session, data=data, actor=act(city.office), now=when)


def _task(session: Session, city: City, directive: Directive, title: str, lead: str, due: str,
          *, assign: bool = True, co: list[str] | None = None) -> Task:
    when = directive.issued_at + timedelta(hours=1)
    assert directive.id is not None
    data = TaskCreate(directive_id=directive.id, title=title, lead_unit=lead, co_units=co or [],
                      due=due, leader="李占明")
    task = create_task(session=session, data=data, actor=act(city.office), now=when)
    if assign:
        task = assign_task(session=session, task=task.code, actor=act(city.office), now=when)
    return task


def _close(session: Session, city: City, task: Task, head: Person, when: datetime,
           files: tuple[str, ...] = ()) -> None:
    acknowledge(session=session, task=task.code, actor=act(head), now=when)
    uploads = [Upload(name, io.BytesIO(samples.jpeg(2000, seed=i))) for i, name in enumerate(files)]
    request_completion(session=session, task=task.code, actor=act(head), evidence="整改台账", now=when,
                       files=uploads)
    verify_and_close(session=session, task=task.code, actor=act(city.office), rating="良好",
                     now=when + timedelta(hours=1))


@dataclass
class March:
    city: City
    overdue_codes: set[str]


def script_march(session: Session) -> March:
    """Instruction + 跟批 + 圈阅, a meeting, an inspection, a task list, one February leftover."""
    city = make_city(session, now=at("2024-02-20"))  # its instruction is February's
    leftover = _task(session, city, city.directive, "清理楼道电动车", "HOUSING", "3月10日前")
    instr = _directive(session, city, "instruction", "九小场所安全隐患整治", at("2024-03-04"),
                       city.secretary, text="请认真落实。")
    fire_task = _task(session, city, instr, "排查九小场所隐患", "FIRE", "3月31日前", co=["HOUSING"])
    _close(session, city, fire_task, city.fire_head, at("2024-03-20"))
    follow = _directive(session, city, "followup", "跟批", at("2024-03-05"), city.vice_mayor,
                        text="请应急局牵头抓好落实。", parent_id=instr.id)
    late_follow = _task(session, city, follow, "建立隐患举报奖励机制", "EMERG", "3月20日前")
    _directive(session, city, "instruction", "消防工作专报", at("2024-03-06"), city.secretary,
               read_only=True)
    meeting = _directive(session, city, "meeting", "全市消防安全工作推进会", at("2024-03-08"),
                         city.vice_mayor)
    m1 = _task(session, city, meeting, "开展住宅小区全覆盖排查", "FIRE", "4月15日前")
    acknowledge(session=session, task=m1.code, actor=act(city.fire_contact), now=at("2024-03-09"))
    report_progress(session=session, task=m1.code, actor=act(city.fire_contact), text="已排查过半",
                    now=at("2024-03-25"))
    m2 = _task(session, city, meeting, "约谈物业企业", "HOUSING", "3月25日前")
    _task(session, city, meeting, "组织回头看", "EMERG", "4月30日前")
    _task(session, city, meeting, "草拟奖励办法", "EMERG", "4月10日前", assign=False)  # draft
    check = _directive(session, city, "inspection", "高层住宅消防安全明察暗访", at("2024-03-12"),
                       city.vice_mayor)
    fixed = _task(session, city, check, "疏通消防通道", "FIRE", "3月15日前")
    _close(session, city, fixed, city.fire_head, at("2024-03-14"), ("整改前.jpg", "整改后.jpg"))
    review = _task(session, city, check, "更换失效灭火器", "FIRE", "3月31日前")
    acknowledge(session=session, task=review.code, actor=act(city.fire_head), now=at("2024-03-13"))
    request_completion(session=session, task=review.code, actor=act(city.fire_head), evidence="照片",
                       now=at("2024-03-30"))
    plan = _directive(session, city, "plan", "2024年度消防工作任务清单", at("2024-03-01"))
    _task(session, city, plan, "新建市政消火栓", "FIRE", "年底前")
    dropped = _task(session, city, plan, "撤销的事项", "FIRE", "年底前")
    cancel_task(session=session, task=dropped.code, actor=act(city.office), reason="重复",
                now=at("2024-03-02"))
    _directive(session, city, "meeting", "四月会议", at("2024-04-01", "09:00"), city.vice_mayor)
    return March(city, {leftover.code, late_follow.code, m2.code, review.code})


def db_counts(session: Session, now: datetime) -> dict[str, int]:
    """The definition, computed independently: tasks of March directives, not draft/cancelled."""
    start = datetime(2024, 3, 1, tzinfo=TZ).astimezone(UTC)
    end = datetime(2024, 4, 1, tzinfo=TZ).astimezone(UTC)
    march = select(Directive.id).where(col(Directive.issued_at) >= start,
                                       col(Directive.issued_at) < end)
    tasks = session.exec(select(Task).where(col(Task.directive_id).in_(march),
                                            col(Task.status).not_in(["draft", "cancelled"]))).all()
    closed = sum(t.status == "closed" for t in tasks)
    overdue = sum(t.status in OPEN_STATUSES and t.due_at is not None and t.due_at < now
                  for t in tasks)
    directives = session.exec(select(func.count()).select_from(Directive).where(
        col(Directive.id).in_(march))).one()
    return {"directives": int(directives), "total": len(tasks), "closed": closed,
            "overdue": overdue, "in_progress": len(tasks) - closed - overdue}


def _numbers(summary: str) -> dict[str, int]:
    pattern = (r"共登记来源事项(\d+)件.*交办督办事项(\d+)项。.*已办结(\d+)项，正在办理(\d+)项，"
               r"逾期未办结(\d+)项，办结率([\d.]+)%")
    match = re.search(pattern, summary)
    assert match, summary
    keys = ("directives", "total", "closed", "in_progress", "overdue")
    return dict(zip(keys, map(int, match.groups()[:5]), strict=True))


def test_march_bulletin(session: Session, tmp_path: Path) -> None:
    """One scripted month (scripting is the slow part) checked as data, as .docx and as .md."""
    march = script_march(session)
    data = build_bulletin(session=session, actor=operator(), period="2024-03", now=NOW)
    expected = db_counts(session, NOW)
    assert expected == {"directives": 6, "total": 8, "closed": 2, "overdue": 3, "in_progress": 3}
    _check_data(data, expected, march)
    path = tmp_path / "通报.docx"
    write_docx(data, path)
    _check_docx(Document(str(path)), expected)
    _check_markdown(render_markdown(data), expected)


def _check_data(data: BulletinData, expected: dict[str, int], march: March) -> None:
    assert _numbers(data.summary) == expected
    assert "办结率25.0%" in data.summary
    assert "批示2件、跟批1件、会议1次、督查检查1次、任务清单1件" in data.summary
    assert data.stats.total == 8 and data.stats.rate == 25.0
    names = dict(data.overdue_units)
    assert names == {"市住房和城乡建设局": 2, "市应急管理局": 1, "市消防救援支队": 1}
    table = data.sections[4].blocks[1].table
    assert table is not None and {r[2] for r in table.rows} == march.overdue_codes


def _check_docx(document: Any, expected: dict[str, int]) -> None:
    paragraphs = document.paragraphs
    assert paragraphs[0].text == "2024年3月份督办工作情况通报"
    assert paragraphs[0].style.name == "Title"
    assert paragraphs[1].text == "（2024年4月1日）"
    assert _numbers(paragraphs[2].text) == expected
    assert [p.text for p in paragraphs if p.style.name == "Heading 1"] == SECTIONS
    assert [p.text for p in paragraphs if p.style.name == "Heading 2"] == [
        "（一）九小场所安全隐患整治", "（二）消防工作专报", "（一）全市消防安全工作推进会",
        "（一）高层住宅消防安全明察暗访", "（一）近期到期事项", "（二）2024年度消防工作任务清单"]
    body = "\n".join(p.text for p in paragraphs)
    assert "王炳森书记在《九小场所安全隐患整治》上作出批示：“请认真落实。”" in body
    assert "李占明副市长作出跟批：“请应急局牵头抓好落实。”" in body
    assert "王炳森书记圈阅了《消防工作专报》" in body
    assert "议定事项3项，正在办理2项、逾期1项" in body
    assert "发现问题2个，已整改1个、逾期未整改1个" in body
    assert "整改情况：已整改销号（3月14日），证明材料：整改前.jpg、整改后.jpg。" in body
    assert "办理情况：已办结（3月20日）。" in body  # closed without files: none named
    assert "开展住宅小区全覆盖排查" in body.split("四、近期重点工作及时限")[1]
    assert AHEAD in body and "前到期" not in body
    assert "现予通报：市住房和城乡建设局2项；市应急管理局1项；市消防救援支队1项" in body
    (table,) = document.tables
    assert [c.text for c in table.rows[0].cells][:3] == ["序号", "责任单位", "事项编号"]
    assert len(table.rows) == 5 and table.rows[1].cells[1].text == "市住房和城乡建设局"
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    title_fonts = document.styles["Title"].element.rPr.rFonts
    assert title_fonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert title_fonts.get(qn("w:eastAsiaTheme")) is None


def _check_markdown(text: str, expected: dict[str, int]) -> None:
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert headings == SECTIONS
    assert text.startswith("# 2024年3月份督办工作情况通报")
    assert "### （二）消防工作专报" in text
    assert "| 序号 | 责任单位 | 事项编号 |" in text
    assert _numbers(text) == expected
    assert AHEAD in text and "前到期" not in text


def test_empty_month(session: Session, tmp_path: Path) -> None:
    make_city(session)
    data = build_bulletin(session=session, actor=operator(), period="2023-12", now=NOW)
    assert data.summary == "2023年12月，共登记来源事项0件，未交办督办事项。"
    assert [s.title for s in data.sections] == SECTIONS
    assert data.overdue_units == []
    assert data.sections[3].blocks[0].paragraphs == ["截至2024年4月1日，无近期到期的在办督办事项。"]
    current = build_bulletin(session=session, actor=operator(), period="2024-04", now=NOW)
    assert current.sections[3].blocks[0].paragraphs == ["4月1日至5月31日期间没有到期的在办督办事项。"]
    write_docx(data, tmp_path / "empty.docx")
    assert "本月无领导批示事项" in "\n".join(p.text for p in Document(str(tmp_path / "empty.docx")).paragraphs)


@pytest.mark.parametrize("bad", ["2024-13", "2024-00", "2024/03", "三月", "", "9999-12", "0000-05",
                                 "1999-12", "2200-01"])
def test_bad_period(bad: str) -> None:
    with pytest.raises(InvalidInput, match="统计月份"):
        parse_period(bad, TZ)


def test_period_bounds() -> None:
    dec = parse_period("2024-12", TZ)
    assert (dec.start.isoformat(), dec.end.isoformat(), dec.ahead_end.isoformat()) == (
        "2024-12-01T00:00:00+08:00", "2025-01-01T00:00:00+08:00", "2025-02-01T00:00:00+08:00")
