"""The 督办台账 export, read back with openpyxl."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel

from engine.errors import InvalidInput, NotFound
from engine.files.ingest import Upload
from engine.read.filters import TaskFilters
from engine.reports.ledger import HEADERS, LIGHT_FILLS, display_width, export_ledger
from engine.store.db import make_engine
from engine.tasks.actions import acknowledge, report_progress, request_completion, verify_and_close
from engine.tasks.extensions import decide_extension, request_extension
from engine.values import Light
from tests.conftest import mark_simulation
from tests.factories import ISSUED, act, at, make_city, make_task, operator
from tests.support import samples

NOW = at("2024-03-15", "10:00")


@pytest.fixture
def lite() -> Iterator[Session]:
    """SQLite only: for layout checks that do not depend on the backend (keeps the suite fast)."""
    engine = make_engine("sqlite://", poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    mark_simulation(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def _month(session: Session) -> dict[str, Any]:
    """Red, yellow, green, closed, extended and quantified tasks, seen on 2024-03-15."""
    city = make_city(session)
    red = make_task(session, city, title="排查九小场所", due="3月10日前")
    acknowledge(session=session, task=red.code, actor=act(city.fire_contact), now=ISSUED + timedelta(hours=2))
    report_progress(session=session, task=red.code, actor=act(city.fire_contact), text="已排查12处",
                    now=at("2024-03-06"))
    report_progress(session=session, task=red.code, actor=act(city.fire_contact), text="已排查30处",
                    now=at("2024-03-08"))
    yellow = make_task(session, city, title="整治高层住宅消防通道", due="3月18日前", lead="HOUSING",
                       co=["FIRE", "EMERG"])
    green = make_task(session, city, title="新建市政消火栓", due="年底前", co=[], target=100,
                      measure="个")
    closed = make_task(session, city, title="约谈物业企业", due="3月31日前", co=[])
    acknowledge(session=session, task=closed.code, actor=act(city.fire_contact), now=at("2024-03-05"))
    report_progress(session=session, task=red.code, actor=act(city.fire_contact), text="",
                    now=at("2024-03-09"), files=[Upload("现场.jpg", io.BytesIO(samples.jpeg(3000)))])
    request_completion(session=session, task=closed.code, actor=act(city.fire_head), evidence="约谈记录",
                       now=at("2024-03-06"),
                       files=[Upload("约谈记录.pdf", io.BytesIO(samples.pdf("talk"))),
                              Upload("签到表.png", io.BytesIO(samples.png()))])
    verify_and_close(session=session, task=closed.code, actor=act(city.office), rating="良好",
                     now=at("2024-03-07"))
    extended = make_task(session, city, title="完善长效机制", due="3月12日前", co=[])
    request = request_extension(session=session, task=extended.code, actor=act(city.fire_head),
                                new_due="4月30日前", reason="需省厅审批", now=at("2024-03-08"))
    assert request.id is not None
    decide_extension(session=session, request_id=request.id, actor=act(city.office), approve=True,
                     now=at("2024-03-09"))
    return {"city": city, "red": red, "yellow": yellow, "green": green, "closed": closed,
            "extended": extended}


def _sheet(path: Path) -> Any:
    return load_workbook(path).active


def _rows_by_code(ws: Any) -> dict[str, dict[str, Any]]:
    headers = [c.value for c in ws[2]]
    out = {}
    for row in ws.iter_rows(min_row=3):
        values = {h: c for h, c in zip(headers, row, strict=True)}
        out[values["编号"].value] = values
    return out


def test_layout_headers_freeze_filter_widths(lite: Session, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    session = lite
    tasks = _month(session)
    path = tmp_path / "台账.xlsx"
    assert export_ledger(session=session, actor=operator(), path=path, now=NOW) == 5
    ws = _sheet(path)
    assert tuple(c.value for c in ws[2]) == HEADERS
    assert ws["A1"].value.startswith("督办台账")
    assert "A1:P1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:P7"
    assert ws.max_row == 7
    assert [ws.cell(row=r, column=1).value for r in range(3, 8)] == [1, 2, 3, 4, 5]
    widths = {h: ws.column_dimensions[chr(ord("A") + i)].width for i, h in enumerate(HEADERS)}
    # 任务内容 fits its longest title (CJK counts 2) plus a margin; every column is capped.
    longest = max(display_width(t.title) for t in tasks.values() if hasattr(t, "title"))
    assert widths["任务内容"] == longest + 2
    assert widths["完成量/目标量"] >= display_width("完成量/目标量")
    assert all(w <= 60 for w in widths.values())
    assert ws["D3"].alignment.wrap_text
    # Streamed in batches of 2, the same rows come out, numbered on.
    import engine.reports.ledger as ledger

    monkeypatch.setattr(ledger, "BATCH", 2)
    again = tmp_path / "batched.xlsx"
    assert export_ledger(session=session, actor=operator(), path=again, now=NOW) == 5
    batched = _sheet(again)
    assert [[c.value for c in row] for row in batched.iter_rows(min_row=2)] == [
        [c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert batched.auto_filter.ref == "A2:P7"


def test_values_lights_fills_and_filters(session: Session, tmp_path: Path) -> None:
    tasks = _month(session)
    path = tmp_path / "ledger.xlsx"
    export_ledger(session=session, actor=operator(), path=path, now=NOW)
    rows = _rows_by_code(_sheet(path))
    red = rows[tasks["red"].code]
    assert red["红黄绿灯"].value == "红灯"
    assert red["红黄绿灯"].fill.fgColor.rgb == LIGHT_FILLS["red"]
    assert red["逾期天数"].value == 5
    assert red["完成时限"].value == "3月10日前（2024-03-10）"
    assert red["最新进展"].value == "3月9日：（见证明材料）"
    assert red["证明材料"].value == "1个：现场.jpg"
    assert red["牵头单位"].value == "市消防救援支队"
    assert red["配合单位"].value == "市住房和城乡建设局"
    assert red["分管领导"].value == "李占明"
    assert red["来源"].value == "批示：九小场所消防隐患整治"
    assert red["办理状态"].value == "办理中"
    yellow = rows[tasks["yellow"].code]
    assert yellow["红黄绿灯"].fill.fgColor.rgb == LIGHT_FILLS["yellow"]
    assert yellow["配合单位"].value == "市消防救援支队、市应急管理局"
    assert yellow["逾期天数"].value is None
    green = rows[tasks["green"].code]
    assert green["红黄绿灯"].fill.fgColor.rgb == LIGHT_FILLS["green"]
    assert green["完成量/目标量"].value == "0/100个"
    closed = rows[tasks["closed"].code]
    assert closed["办理状态"].value == "已办结" and closed["红黄绿灯"].value == "—"
    assert closed["证明材料"].value == "2个：约谈记录.pdf、签到表.png"
    assert green["证明材料"].value in (None, "")
    assert closed["红黄绿灯"].fill.fill_type is None
    extended = rows[tasks["extended"].code]
    assert extended["完成时限"].value == "4月30日前（2024-04-30）"
    assert extended["原定时限"].value == "3月12日前（2024-03-12）"
    assert red["原定时限"].value in (None, "")
    _check_filters(session, tasks, tmp_path / "filtered.xlsx")


def _check_filters(session: Session, tasks: dict[str, Any], path: Path) -> None:
    # 市应急管理局 only cooperates on the yellow task.
    assert export_ledger(session=session, actor=operator(), path=path, now=NOW, unit="应急局") == 1
    assert set(_rows_by_code(_sheet(path))) == {tasks["yellow"].code}
    assert _sheet(path)["A1"].value.startswith("督办台账（市应急管理局）")
    assert export_ledger(session=session, actor=operator(), path=path, now=NOW, status="已办结") == 1
    assert set(_rows_by_code(_sheet(path))) == {tasks["closed"].code}
    assert export_ledger(session=session, actor=operator(), path=path, now=NOW, unit="FIRE", status="in_progress") == 1
    assert export_ledger(session=session, actor=operator(), path=path, now=NOW, status="cancelled") == 0
    assert _sheet(path).auto_filter.ref == "A2:P2"
    _check_list_filters(session, tasks, path)


def _check_list_filters(session: Session, tasks: dict[str, Any], path: Path) -> None:
    # The task list's filters and chosen codes, within what the reader may see.
    red = TaskFilters(light=Light.RED)
    assert export_ledger(session=session, actor=operator(), path=path, now=NOW, filters=red) == 1
    assert set(_rows_by_code(_sheet(path))) == {tasks["red"].code}
    chosen = [tasks["yellow"].code, tasks["green"].code.lower()]
    assert export_ledger(session=session, actor=operator(), path=path, now=NOW, codes=chosen) == 2
    assert "选定 2 项" in _sheet(path)["A1"].value
    # 市应急管理局 sees only the yellow task it cooperates on, whatever codes it names.
    emerg = act(tasks["city"].emerg_contact)
    assert export_ledger(session=session, actor=emerg, path=path, now=NOW,
                         codes=[t.code for k, t in tasks.items() if k != "city"]) == 1
    assert set(_rows_by_code(_sheet(path))) == {tasks["yellow"].code}
    assert export_ledger(session=session, actor=emerg, path=path, now=NOW,
                         filters=TaskFilters(text=tasks["red"].code)) == 0


def test_bad_filters_write_nothing(lite: Session, tmp_path: Path) -> None:
    session = lite
    make_city(session)
    path = tmp_path / "x.xlsx"
    with pytest.raises(NotFound, match="未找到单位“水务局”"):
        export_ledger(session=session, actor=operator(), path=path, now=NOW, unit="水务局")
    with pytest.raises(InvalidInput, match="办理状态“逾期”无效"):
        export_ledger(session=session, actor=operator(), path=path, now=NOW, status="逾期")
    bad: dict[str, Any]
    for bad in ({"codes": []}, {"codes": ["DB-1\x00"]},
                {"filters": TaskFilters(text="\x1b[2J")}):
        with pytest.raises(InvalidInput):
            export_ledger(session=session, actor=operator(), path=path, now=NOW, **bad)
    with pytest.raises(InvalidInput, match=r"\.xlsx"):
        export_ledger(session=session, actor=operator(), path=tmp_path / "x.csv", now=NOW)
    assert list(tmp_path.iterdir()) == []


def test_display_width_counts_cjk_double() -> None:
    assert display_width("abc") == 3
    assert display_width("督办") == 4
    assert display_width("ＡＢ") == 4
    assert display_width("短\n较长的一行") == 10
