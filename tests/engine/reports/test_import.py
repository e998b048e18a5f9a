"""Importing a 任务清单 from Excel: flexible headers, all errors at once, all rows or none."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session, col, func, select

from engine.errors import InvalidInput, PermissionDenied, PolicyViolation
from engine.reports import importer
from engine.reports.importer import import_task_list, normalise_header, read_task_table
from engine.tasks.directives import create_directive
from models import AuditEvent, Counter, DirectiveCreate, Task, TaskUnit
from tests.factories import ISSUED, act, at, make_city

NOW = at("2024-03-05", "09:00")


def write_xlsx(path: Path, rows: list[list[Any]], *, sheet: str = "任务清单") -> Path:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


GOOD: list[list[Any]] = [
    ["2024年度全市消防工作任务清单"],
    [],
    ["序号", "工作任务", " 责任 单位 ", "协办单位（多个用顿号分隔）", "完成时限＊", "责任人", "分管领导",
     "目标量", "计量单位"],
    [1, "新建市政消火栓", "消防支队", "住建、应急局", "年底前", None, "李占明", 100, "个"],
    [2, "开展高层住宅消防通道专项整治", "住建局", "消防，应急", datetime(2024, 4, 30), "刘住建"],
    [None, None, None, None, None],
    [3, "加强消防队站建设", "FIRE", "无", "三月中旬前"],
]


def _id(row: Any) -> int:
    assert row.id is not None
    return int(row.id)


def _counts(session: Session) -> tuple[int, int, int, int]:
    def count(model: Any) -> int:
        return int(session.exec(select(func.count()).select_from(model)).one())

    return count(Task), count(TaskUnit), count(AuditEvent), count(Counter)


def test_good_file_creates_all_tasks(session: Session, tmp_path: Path) -> None:
    city = make_city(session)
    path = write_xlsx(tmp_path / "清单.xlsx", GOOD)
    tasks = import_task_list(session=session, path=path, directive_id=_id(city.directive), actor=act(city.office),
                             now=NOW)
    assert [t.title for t in tasks] == ["新建市政消火栓", "开展高层住宅消防通道专项整治", "加强消防队站建设"]
    assert [t.code for t in tasks] == ["DB-2024-0001", "DB-2024-0002", "DB-2024-0003"]
    assert all(t.status == "draft" for t in tasks)
    hydrants, corridors, stations = tasks
    assert hydrants.target == 100 and hydrants.measure == "个"
    assert hydrants.leader_id == city.vice_mayor.id and hydrants.due_text == "年底前"
    assert corridors.owner_id == city.housing_contact.id
    assert corridors.due_text == "2024年4月30日前"
    assert stations.due_text == "三月中旬前"
    session.expire_all()
    links = session.exec(select(TaskUnit).order_by(col(TaskUnit.id))).all()
    roles: list[tuple[int | None, str]] = [(link.task_id, link.role) for link in links]
    assert roles.count((hydrants.id, "co")) == 2 and roles.count((corridors.id, "co")) == 2
    assert (stations.id, "co") not in roles
    assert session.exec(select(func.count()).select_from(Task)).one() == 3


BAD: list[list[Any]] = [
    ["任务名称", "牵头部门", "配合部门", "办结时限", "分管领导", "目标量"],
    ["排查九小场所", "消防", "住建", "3月31日前", None, None],             # row 2 is fine
    [None, "消防", None, "3月31日前"],                                       # row 3
    ["整治电动车充电", "水务局", None, "3月31日前"],                           # row 4
    ["清理楼道杂物", "消防", "交通局、消防", "择机"],                           # row 5
    ["回头看", "住建", None, "2024年2月1日前", "张联络", "很多"],              # row 6
]


def test_bad_rows_all_reported_nothing_written(session: Session, tmp_path: Path) -> None:
    city = make_city(session)
    before = _counts(session)
    path = write_xlsx(tmp_path / "bad.xlsx", BAD)
    with pytest.raises(InvalidInput) as caught:
        import_task_list(session=session, path=path, directive_id=_id(city.directive), actor=act(city.office),
                         now=NOW)
    lines = str(caught.value).split("\n")
    assert lines[0] == "任务清单校验未通过，共7处错误，未导入任何任务："
    assert lines[1:] == [
        "第3行“任务内容”：不能为空",
        "第4行“牵头单位”：未找到单位“水务局”",
        "第5行“配合单位”：未找到单位“交通局”；“消防”已是牵头单位，不能同时作为配合单位",
        "第5行“完成时限”：无法识别的完成时限“择机”：未找到可识别的时间表达",
        "第6行“完成时限”：时限“2024年2月1日前”早于来源事项的下达时间（2024年3月4日）",
        "第6行“分管领导”：张联络 不是领导，不能作为分管领导",
        "第6行“目标量”：“很多”不是数字",
    ]
    session.rollback()
    assert _counts(session) == before


def test_failure_while_creating_rolls_back_every_row(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation passed, then the third row fails inside the transaction: no task remains."""
    city = make_city(session)
    before = _counts(session)
    real = importer.create_task_in_transaction
    calls: list[int] = []

    def flaky(**kwargs: Any) -> Task:
        calls.append(1)
        if len(calls) == 3:
            raise PolicyViolation("模拟故障")
        return real(**kwargs)

    monkeypatch.setattr(importer, "create_task_in_transaction", flaky)
    path = write_xlsx(tmp_path / "ok.xlsx", GOOD)
    with pytest.raises(InvalidInput, match="第7行：模拟故障"):
        import_task_list(session=session, path=path, directive_id=_id(city.directive), actor=act(city.office),
                         now=NOW)
    assert _counts(session) == before


def test_refusals_before_reading_rows(session: Session, tmp_path: Path) -> None:
    city = make_city(session)
    path = write_xlsx(tmp_path / "ok.xlsx", GOOD)
    with pytest.raises(PermissionDenied, match="只有督查室可以导入任务清单"):
        import_task_list(session=session, path=path, directive_id=_id(city.directive),
                         actor=act(city.fire_contact), now=NOW)
    read_only = create_directive(
        session=session, data=DirectiveCreate(kind="instruction", title="圈阅件", read_only=True,
                                              issued_at=ISSUED), actor=act(city.office), now=NOW)
    with pytest.raises(PolicyViolation, match="阅示"):
        import_task_list(session=session, path=path, directive_id=_id(read_only), actor=act(city.office), now=NOW)
    assert session.exec(select(func.count()).select_from(Task)).one() == 0


@pytest.mark.parametrize(("raw", "expected"), [
    (" 任务 内容 ", "任务内容"), ("牵头单位（部门）", "牵头单位"), ("完成时限*", "完成时限"),
    ("ＡＢ：", "AB"), ("配合单位\n(可多个)", "配合单位"),
])
def test_normalise_header(raw: str, expected: str) -> None:
    assert normalise_header(raw) == expected


def test_header_problems(tmp_path: Path) -> None:
    no_header = write_xlsx(tmp_path / "a.xlsx", [["甲", "乙"], [1, 2]])
    with pytest.raises(InvalidInput, match="未找到任务清单表头"):
        read_task_table(no_header)
    no_due = write_xlsx(tmp_path / "b.xlsx", [["标题"], ["事项", "责任单位", "备注"], ["x", "消防"]])
    with pytest.raises(InvalidInput, match="第2行的表头缺少“完成时限”列"):
        read_task_table(no_due)
    twice = write_xlsx(tmp_path / "c.xlsx", [["任务内容", "牵头单位", "责任单位", "时限"]])
    with pytest.raises(InvalidInput, match="“牵头单位”列出现了两次（第B列和第C列）"):
        read_task_table(twice)
    empty = write_xlsx(tmp_path / "d.xlsx", [["任务内容", "牵头单位", "时限"], [None, None, None]])
    with pytest.raises(InvalidInput, match="表头以下没有任务行"):
        read_task_table(empty)


def test_header_on_a_later_sheet(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["说明：本清单由市消安委印发"])
    second = book.create_sheet("清单")
    second.append(["事项", "牵头单位", "完成时间"])
    second.append(["加强队站建设", "消防", "3月31日前"])
    book.save(tmp_path / "two.xlsx")
    table = read_task_table(tmp_path / "two.xlsx")
    assert table.sheet == "清单" and table.rows == [
        (2, {"title": "加强队站建设", "lead": "消防", "due": "3月31日前"})]


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="不存在"):
        read_task_table(tmp_path / "missing.xlsx")
    text = tmp_path / "list.csv"
    text.write_text("任务内容,牵头单位\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="不是 Excel 工作簿"):
        read_task_table(text)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip at all")
    with pytest.raises(InvalidInput, match="无法读取 Excel 文件"):
        read_task_table(broken)


def test_numbers_and_text_a_task_list_may_not_hold(session: Session, tmp_path: Path) -> None:
    """NaN, infinities and absurd targets, and a bidi override in a title, are row errors;
    a line break typed inside a cell (Alt+Enter) joins; a folder is not a file."""
    city = make_city(session)
    before = _counts(session)
    rows = [["任务内容", "牵头单位", "完成时限", "目标量"],
            ["甲", "消防", "3月31日前", "nan"],
            ["乙", "消防", "3月31日前", "inf"],
            ["丙", "消防", "3月31日前", "1e309"],
            ["丁", "消防", "3月31日前", "1e300"],
            ["戊\u202e反向", "消防", "3月31日前", "5"]]
    path = write_xlsx(tmp_path / "numbers.xlsx", rows)
    with pytest.raises(InvalidInput) as caught:
        import_task_list(session=session, path=path, directive_id=_id(city.directive), actor=act(city.office),
                         now=NOW)
    lines = str(caught.value).split("\n")[1:]
    assert [line.split("：")[0] for line in lines] == [
        "第2行“目标量”", "第3行“目标量”", "第4行“目标量”", "第5行“目标量”", "第6行“任务内容”"]
    assert "不是有效的数字" in lines[0] and "过大" in lines[3] and "文字方向" in lines[4]
    session.rollback()
    assert _counts(session) == before
    joined = write_xlsx(tmp_path / "joined.xlsx", [["任务内容", "牵头单位", "完成时限"],
                                                  ["排查九小\n场所", "消防", "3月31日\n前"]])
    (task,) = import_task_list(session=session, path=joined, directive_id=_id(city.directive),
                               actor=act(city.office), now=NOW)
    assert (task.title, task.due_text) == ("排查九小场所", "3月31日前")
    with pytest.raises(InvalidInput, match="是一个目录"):
        read_task_table(tmp_path)
