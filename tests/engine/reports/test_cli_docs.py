"""``duban export`` / ``duban import`` / ``duban report`` in-process, good and bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import Session, func, select

from cli.main import run
from engine.store.db import make_engine
from models import Task
from tests.engine.reports.test_import import BAD, GOOD, write_xlsx
from tests.factories import make_city, make_task

NOW = "2024-03-15T10:00"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised database with a small city and two tasks, built once per module."""
    path = tmp_path_factory.mktemp("cli") / "template.db"
    assert run(["--db", f"sqlite:///{path}", "init", "--simulation"]) == 0
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine, expire_on_commit=False) as session:
        city = make_city(session)
        make_task(session, city, title="排查九小场所", due="3月10日前")
        make_task(session, city, title="整治消防通道", due="3月31日前", lead="HOUSING", co=["EMERG"])
    engine.dispose()
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private copy of the template; the working directory is the test's own."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(template, tmp_path / "duban.db")
    yield f"sqlite:///{tmp_path / 'duban.db'}"


def _tasks(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = int(session.exec(select(func.count()).select_from(Task)).one())
    engine.dispose()
    return count


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str], code: int, *words: str) -> None:
    assert run(argv) == code
    out, err = capsys.readouterr()
    flat = err.replace("\n", "")
    assert "Traceback" not in out + err
    for word in words:
        assert word in flat, err


def test_export(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "台账.xlsx"
    assert run(["--db", db, "export", str(path), "--now", NOW]) == 0
    assert "已导出督办台账 2 条" in capsys.readouterr().out
    ws = load_workbook(path).active
    assert ws["A2"].value == "序号" and ws.max_row == 4 and ws.freeze_panes == "A3"
    assert run(["--db", db, "export", str(path), "--unit", "应急局", "--now", NOW, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"path": str(path), "rows": 1}
    assert run(["--db", db, "export", str(path), "--status", "已办结", "--now", NOW, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 0


def test_export_bad_input(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.xlsx"
    _refused(capsys, ["--db", db, "export", str(target), "--unit", "水务局"], 1, "错误", "未找到单位“水务局”")
    _refused(capsys, ["--db", db, "export", str(target), "--status", "逾期"], 1, "办理状态“逾期”无效")
    _refused(capsys, ["--db", db, "export", str(tmp_path / "out.csv")], 1, "应以 .xlsx 结尾")
    _refused(capsys, ["--db", db, "export", str(tmp_path / "no" / "x.xlsx")], 1, "目录", "不存在")
    _refused(capsys, ["--db", db, "export"], 2, "缺少参数")
    assert not target.exists() and not list(tmp_path.glob("*.xlsx"))


def test_import(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_xlsx(tmp_path / "清单.xlsx", GOOD)
    argv = ["--db", db, "import", str(path), "--directive", "1", "--as", "赵督查", "--now", NOW]
    assert run([*argv, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["title"] for r in rows] == ["新建市政消火栓", "开展高层住宅消防通道专项整治", "加强消防队站建设"]
    assert {r["status_label"] for r in rows} == {"待交办"}
    assert _tasks(db) == 5
    _refused(capsys, argv, 1, "该任务清单已于", "登记过", "--again")  # the same list again
    assert _tasks(db) == 5
    assert run([*argv, "--again"]) == 0
    assert "已从 清单.xlsx 导入 3 项" in capsys.readouterr().out.replace("\n", "")
    assert _tasks(db) == 8


def test_import_bad_rows_write_nothing(db: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = write_xlsx(tmp_path / "bad.xlsx", BAD)
    _refused(capsys, ["--db", db, "import", str(path), "--directive", "1", "--now", NOW], 1,
             "共7处错误，未导入任何任务", "第3行“任务内容”：不能为空",
             "第4行“牵头单位”：未找到单位“水务局”", "第6行“目标量”：“很多”不是数字")
    assert _tasks(db) == 2


def test_import_bad_files(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--db", db, "import"]
    _refused(capsys, [*base, str(tmp_path / "none.xlsx"), "--directive", "1"], 1, "不存在")
    text = tmp_path / "list.txt"
    text.write_text("任务内容", encoding="utf-8")
    _refused(capsys, [*base, str(text), "--directive", "1"], 1, "不是 Excel 工作簿")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 truncated")
    _refused(capsys, [*base, str(broken), "--directive", "1"], 1, "无法读取 Excel 文件")
    good = write_xlsx(tmp_path / "ok.xlsx", GOOD)
    _refused(capsys, [*base, str(good), "--directive", "99"], 1, "未找到来源事项“99”")
    _refused(capsys, [*base, str(good), "--directive", "1", "--as", "张联络"], 1, "只有督查室")
    _refused(capsys, [*base, str(good)], 2, "缺少参数", "--directive")
    assert _tasks(db) == 2


def test_report(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docx_path, md_path = tmp_path / "通报.docx", tmp_path / "通报.md"
    assert run(["--db", db, "report", "--period", "2024-03", "--out", str(docx_path),
                "--now", "2024-04-01T10:00"]) == 0
    assert "已生成《2024年3月份督办工作情况通报》" in capsys.readouterr().out.replace("\n", "")
    headings = [p.text for p in Document(str(docx_path)).paragraphs
                if p.style is not None and p.style.name == "Heading 1"]
    assert headings[0] == "一、领导批示办理情况" and len(headings) == 5
    assert run(["--db", db, "report", "--period", "2024-03", "--out", str(md_path),
                "--now", "2024-04-01T10:00", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["total"], summary["overdue"]) == (2, 2)
    assert md_path.read_text(encoding="utf-8").startswith("# 2024年3月份督办工作情况通报")


def test_report_bad_input(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "b.docx")
    base = ["--db", db, "report"]
    _refused(capsys, [*base, "--period", "2024-13", "--out", out], 1, "统计月份“2024-13”无效")
    _refused(capsys, [*base, "--period", "三月", "--out", out], 1, "统计月份")
    _refused(capsys, [*base, "--period", "2024-03", "--out", str(tmp_path / "b.pdf")], 1,
             "应以 .docx 或 .md 结尾")
    _refused(capsys, [*base, "--out", out], 2, "缺少参数", "--period")
    missing = ["--db", f"sqlite:///{tmp_path / 'absent.db'}", "report", "--period", "2024-03",
               "--out", out]
    _refused(capsys, missing, 1, "不存在", "duban init")
    assert not list(tmp_path.glob("b.*"))


def test_now_is_parsed(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, ["--db", db, "export", str(tmp_path / "x.xlsx"), "--now", "昨天"], 1,
             "--now 的值“昨天”不是有效的日期或时间")
