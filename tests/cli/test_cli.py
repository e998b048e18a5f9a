"""Every ``duban`` command on its happy path, on SQLite and PostgreSQL, mostly with ``--json``;
and a few runs of the real console script in a subprocess to prove there is no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli import CJK, Result, assert_refused, db_url, invoke  # noqa: F401  (fixture)

TASK_KEYS = {"id", "code", "title", "status", "light", "overdue", "due_at", "due_text",
             "original_due_at", "lead_unit", "co_units", "escalation_level", "target",
             "achieved"}


class Duban:
    """``duban --db URL …`` in-process; ``json`` parses stdout and insists on exit 0."""

    def __init__(self, capsys: pytest.CaptureFixture[str], url: str) -> None:
        self.capsys, self.url = capsys, url

    def __call__(self, *args: str) -> Result:
        result = invoke(self.capsys, self.url, *args)
        assert "Traceback" not in result.out + result.err
        return result

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.code == 0, (args, result.err)
        assert result.err == "", result.err
        return result.out

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))


def _offset(value: str) -> str:
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None
    return value[-6:]


def _check_task(row: dict[str, Any]) -> None:
    assert set(row) >= TASK_KEYS
    assert _offset(row["due_at"]) == "+08:00" and _offset(row["original_due_at"]) == "+08:00"


def _org(duban: Duban) -> None:
    init = duban.json("init", "--simulation")
    assert init["simulation"] is True
    assert init["revision"]
    assert duban.json("unit", "add", "FIRE", "市消防救援支队", "--short", "消防")["code"] == "FIRE"
    duban.ok("unit", "add", "HOUSING", "市住房和城乡建设局", "--short", "住建")
    duban.ok("unit", "add", "EMERG", "市应急管理局")
    row = duban.json("unit", "add", "D1", "东城区", "--kind", "district", "--parent", "EMERG")
    assert (row["kind"], row["parent"]) == ("district", "EMERG")
    units = duban.json("unit", "list")
    assert [u["code"] for u in units] == ["D1", "EMERG", "FIRE", "HOUSING"]
    assert "市消防救援支队" in duban.ok("unit", "list")
    duban.ok("person", "add", "赵督查", "--title", "督查室主任", "--role", "office")
    duban.ok("person", "add", "王炳森", "--title", "书记", "--role", "leader", "--top")
    person = duban.json("person", "add", "李占明", "--title", "副市长", "--role", "leader",
                        "--supervises", "FIRE", "--supervises", "EMERG")
    assert person["roles"] == ["leader"]
    duban.ok("person", "add", "张联络", "--unit", "FIRE", "--title", "科员", "--role",
             "unit_contact", "--telegram-chat", "1001")
    duban.ok("person", "add", "陈支队", "--unit", "消防", "--title", "支队长", "--role",
             "unit_head", "--alias", "陈队")
    duban.ok("person", "add", "刘住建", "--unit", "HOUSING", "--title", "科长", "--role",
             "unit_contact", "--email", "liu@example.org")
    people = {p["name"]: p for p in duban.json("person", "list")}
    assert "炳森书记" in people["王炳森"]["aliases"] and "陈队" in people["陈支队"]["aliases"]
    assert people["张联络"]["telegram_bound"] is True
    assert "督查室主任" in duban.ok("person", "list")


def _directives(duban: Duban, tmp: Path) -> None:
    root = duban.json("directive", "add", "--kind", "instruction", "--title", "九小场所消防隐患整治",
                      "--by", "炳森书记", "--at", "2024-03-04", "--now", "2024-03-04T10:00",
                      "--text", "请消防支队牵头，住建局配合，3月底前完成。", "--doc-number", "市委督〔2024〕3号")
    assert (root["id"], root["issued_by"], root["issued_at"]) == (
        1, "王炳森", "2024-03-04T09:00:00+08:00")
    first = duban.json("directive", "add", "--kind", "followup", "--title", "请占明同志督促落实",
                       "--parent", "1", "--by", "占明副市长", "--as", "占明副市长",
                       "--at", "2024-03-05", "--now", "2024-03-05T10:00")
    assert first["parent_id"] == 1
    body = tmp / "followup.txt"
    body.write_text("再跟批：每周报进展。", encoding="utf-8")
    second = duban.json("directive", "add", "--kind", "followup", "--title", "每周报送进展",
                        "--parent", str(first["id"]), "--text-file", str(body),
                        "--at", "2024-03-06", "--now", "2024-03-06T10:00")
    assert second["text"] == "再跟批：每周报进展。"
    assert "已登记来源事项" in duban.ok("directive", "add", "--kind", "meeting", "--title",
                                     "常务会议", "--now", "2024-03-06T10:00")


def _add_tasks(duban: Duban) -> dict[str, Any]:
    task = duban.json("task", "add", "--directive", "1", "--title", "排查整改九小场所", "--lead",
                      "FIRE", "--co", "住建", "--due", "3月31日前", "--priority", "high",
                      "--target", "100", "--measure", "处", "--owner", "陈支队",
                      "--leader", "占明副市长", "--milestone", "完成摸底=3月15日前",
                      "--requirement", "逐一建立台账", "--now", "2024-03-04T10:00")
    _check_task(task)
    assert task["code"] == "DB-2024-0001" and task["status"] == "draft"
    assert (task["due_at"], task["due_text"]) == ("2024-03-31T23:59:59+08:00", "3月31日前")
    assert task["original_due_at"] == task["due_at"]
    assert (task["lead_unit"], task["co_units"]) == ("市消防救援支队", ["市住房和城乡建设局"])
    # A draft (待交办) has no light: it is not yet any unit's work.
    assert (task["light"], task["overdue"], task["escalation_level"]) == (None, False, 0)
    assert (task["target"], task["achieved"], task["measure"]) == (100, None, "处")
    assert (task["owner"], task["leader"], task["priority"]) == ("陈支队", "李占明", "high")
    second = duban.json("task", "add", "--directive", "3", "--title", "报送周进展", "--lead",
                        "FIRE", "--due", "3个工作日内", "--assign", "--now", "2024-03-06T10:00")
    assert second["status"] == "assigned" and second["due_at"] == "2024-03-11T23:59:59+08:00"
    sub = duban.json("task", "add", "--directive", "1", "--title", "东城区排查", "--lead", "D1",
                     "--due", "3月20日前", "--parent", "DB-2024-0001", "--assign",
                     "--now", "2024-03-04T11:00")
    assert sub["parent_id"] == task["id"] and sub["leader"] == "李占明"
    out = duban.ok("task", "add", "--directive", "1", "--title", "文字输出", "--lead", "EMERG",
                   "--due", "一个月内", "--now", "2024-03-04T11:00")
    assert "已创建事项 DB-2024-0004" in out and "一个月内" in out
    tree = duban.json("directive", "show", "3", "--now", "2024-03-06T10:00")
    assert tree["id"] == 1 and [t["code"] for t in tree["tasks"]] == [
        "DB-2024-0001", "DB-2024-0003", "DB-2024-0004"]
    assert tree["children"][0]["id"] == 2
    assert tree["children"][0]["children"][0]["id"] == 3
    assert tree["children"][0]["children"][0]["tasks"][0]["code"] == "DB-2024-0002"
    _check_task(tree["tasks"][0])
    shown = duban.ok("directive", "show", "2")
    assert "九小场所消防隐患整治" in shown and "每周报送进展" in shown
    return task


def _walk(duban: Duban) -> None:
    code = "DB-2024-0001"
    now = ["--now", "2024-03-10T10:00"]
    assert duban.json("task", "assign", code, "--as", "赵督查", *now)["status"] == "assigned"
    assert duban.json("task", "ack", code, "--as", "刘住建", *now)["status"] == "assigned"
    assert duban.json("task", "ack", code, "--as", "张联络", *now)["status"] == "acknowledged"
    row = duban.json("task", "progress", code, "--as", "张联络", "--text", "已排查40处",
                     "--achieved", "40", "--milestone", "1", *now)
    assert (row["status"], row["achieved"]) == ("in_progress", 40)
    row = duban.json("task", "extend", code, "--as", "陈队", "--to", "4月30日前", "--reason",
                     "部分场所需停业整改", *now)
    assert row["status"] == "in_progress" and row["due_text"] == "3月31日前"
    decision = duban.json("extension", "approve", "1", "--as", "赵督查", "--note", "同意", *now)
    assert decision["status"] == "approved"
    assert decision["requested_due_at"] == "2024-04-30T23:59:59+08:00"
    detail = duban.json("task", "show", code, *now)
    _check_task(detail)
    assert (detail["due_at"], detail["due_text"]) == ("2024-04-30T23:59:59+08:00", "4月30日前")
    assert detail["original_due_at"] == "2024-03-31T23:59:59+08:00"
    assert detail["extension_count"] == 1 and detail["extensions"][0]["status"] == "approved"
    assert [u["acknowledged_at"] is not None for u in detail["units"]] == [True, True]
    assert detail["milestones"][0]["done_at"] is not None
    text_out = duban.ok("task", "show", code, *now)
    assert "原定时限" in text_out and "市住房和城乡建设局" in text_out
    row = duban.json("task", "complete", code, "--as", "陈支队", "--evidence", "整改台账",
                     "--achieved", "100", *now)
    assert (row["status"], row["achieved"]) == ("pending_review", 100)
    row = duban.json("task", "return", code, "--as", "赵督查", "--reason", "缺少照片", *now)
    assert row["status"] == "in_progress"
    assert "已申请办结" in duban.ok("task", "complete", code, "--as", "陈支队", "--evidence",
                                 "补充照片", *now)
    row = duban.json("task", "verify", code, "--as", "赵督查", "--rating", "优秀", *now)
    assert (row["status"], row["rating"], row["light"]) == ("closed", "excellent", None)
    duban.json("task", "recheck", code, "--as", "赵督查", "--schedule", "6月30日前", *now)
    row = duban.json("task", "recheck", code, "--as", "赵督查", "--failed", "--note", "隐患反弹",
                     "--now", "2024-05-10T10:00")
    assert row["status"] == "in_progress"
    other = "DB-2024-0002"
    duban.ok("task", "extend", other, "--as", "张联络", "--to", "3月29日前", "--reason", "人手",
             *now)
    assert duban.json("extension", "reject", "2", "--as", "赵督查", *now)["status"] == "rejected"
    assert "已撤销" in duban.ok("task", "cancel", other, "--as", "赵督查", "--reason", "并入",
                             *now)


def _views(duban: Duban) -> None:
    # 04-26: working days left to 04-30 are 04-28 (a make-up Sunday), 04-29 and 04-30.
    late = ["--now", "2024-04-26T10:00"]
    rows = duban.json("task", "list", *late)
    assert [r["code"] for r in rows] == ["DB-2024-0002", "DB-2024-0003", "DB-2024-0004",
                                         "DB-2024-0001"]
    for row in rows:
        _check_task(row)
    by_code = {r["code"]: r for r in rows}
    assert by_code["DB-2024-0003"]["overdue"] and by_code["DB-2024-0003"]["light"] == "red"
    assert by_code["DB-2024-0001"]["light"] == "yellow"
    assert by_code["DB-2024-0002"]["light"] is None  # cancelled
    codes = [r["code"] for r in duban.json("task", "list", "--unit", "住建", *late)]
    assert codes == ["DB-2024-0001"]
    # DB-2024-0004 is a draft past its deadline: it has no light and is not overdue (issue 10).
    assert by_code["DB-2024-0004"]["light"] is None and not by_code["DB-2024-0004"]["overdue"]
    assert [r["code"] for r in duban.json("task", "list", "--light", "red", *late)] == [
        "DB-2024-0003"]
    assert [r["code"] for r in duban.json("task", "list", "--light", "红灯", *late)] == [
        "DB-2024-0003"]
    assert [r["code"] for r in duban.json("task", "list", "--overdue", *late)] == [
        "DB-2024-0003"]
    assert [r["code"] for r in duban.json("task", "list", "--status", "cancelled")] == [
        "DB-2024-0002"]
    assert [r["code"] for r in duban.json("task", "list", "--status", "已撤销")] == [
        "DB-2024-0002"]
    assert "督办事项（4）" in duban.ok("task", "list", *late)
    board = {r["unit"]: r for r in duban.json("board", *late)}
    assert board["东城区"]["red"] == 1 and board["市消防救援支队"]["yellow"] == 1
    assert "红灯" in duban.ok("board", *late)
    assert duban.json("audit", "verify")["ok"] is True
    assert "审计链完整" in duban.ok("audit", "verify")


def test_every_command_happy_path(capsys: pytest.CaptureFixture[str], db_url: str,  # noqa: F811
                                  tmp_path: Path) -> None:
    duban = Duban(capsys, db_url)
    _org(duban)
    _directives(duban, tmp_path)
    _add_tasks(duban)
    _walk(duban)
    _views(duban)
    assert not (tmp_path / "duban-error.log").exists()


def test_init_twice_and_with_the_example_config(capsys: pytest.CaptureFixture[str],
                                                db_url: str) -> None:  # noqa: F811
    duban = Duban(capsys, db_url)
    example = Path(__file__).resolve().parents[2] / "config" / "example.yaml"
    first = duban.json("init", "--config", str(example))
    assert first["units_added"] > 5 and first["people_added"] > 5
    again = duban.json("init", "--config", str(example))
    assert again["revision"] == first["revision"]
    assert again["units_added"] == 0 and again["units_updated"] == first["units_added"]
    assert "已载入配置" in duban.ok("init", "--config", str(example))
    assert duban.json("audit", "verify")["ok"] is True


# -- the real console script -------------------------------------------------------------------

DUBAN = Path(sys.executable).with_name("duban")


def _script(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DUBAN_DATABASE_URL": f"sqlite:///{tmp}/sub.db", "COLUMNS": "200"}
    return subprocess.run([str(DUBAN), *args], capture_output=True, text=True, cwd=tmp, env=env,
                          timeout=60, check=False)


def test_console_script_without_traceback(tmp_path: Path) -> None:
    """A handful of real processes (each costs a Python start-up): help, an uninitialised
    database, init, a refusal and a usage error."""
    assert DUBAN.exists()
    help_run = _script(tmp_path, "--help")
    assert help_run.returncode == 0 and "督办" in help_run.stdout
    missing = _script(tmp_path, "task", "list")
    assert not (tmp_path / "sub.db").exists()
    assert _script(tmp_path, "init").returncode == 0
    runs = [
        (missing, 1, "duban init"),
        (_script(tmp_path, "unit", "add", "BAD CODE", "名称"), 1, "格式不正确"),
        (_script(tmp_path, "task", "list", "--bogus"), 2, "没有这个选项"),
    ]
    for run, code, fragment in runs:
        assert run.returncode == code, run.stderr
        assert "Traceback" not in run.stdout + run.stderr
        assert CJK.search(run.stderr) and fragment in run.stderr.replace("\n", "")
        assert run.stdout == ""
    assert not (tmp_path / "duban-error.log").exists()


def test_no_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke(capsys, None, "task")
    assert_refused(result, 2, "请指定子命令")
