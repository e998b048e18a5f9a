"""What a user reads is Chinese and says what happened (issue 10 §6): kinds of message,
extension states, statuses and priorities in Chinese on input and output, codes instead of ids,
the deadline without "None", the 退回 reason and the rating in ``task show``, a completion the
office recorded shown as the office's, the extension request's date and reason, a first summary
that claims no previous one, the console channel showing the whole message, people of the same
name, and configuration files refused or merged with the line and the settings named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli import Result, assert_refused, invoke

NOW = ["--now", "2024-03-05T10:00"]


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str], url: str) -> None:
        self.capsys, self.url = capsys, url

    def ok(self, *args: str) -> str:
        result = invoke(self.capsys, self.url, *args)
        assert result.code == 0, (args, result.err)
        return result.out.replace("\n", "")

    def json(self, *args: str) -> Any:
        return json.loads(invoke(self.capsys, self.url, *args, "--json").out)

    def __call__(self, *args: str) -> Result:
        return invoke(self.capsys, self.url, *args)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.chdir(tmp_path)
    c = Cli(capsys, f"sqlite:///{tmp_path}/duban.db")
    c.ok("init", "--simulation")
    c.ok("unit", "add", "FIRE", "市消防救援支队", "--short", "消防")
    c.ok("unit", "add", "HOUSING", "市住建局")
    c.ok("person", "add", "赵督查", "--role", "office")
    c.ok("person", "add", "钱主任", "--role", "admin", "--role", "office")
    c.ok("person", "add", "张联络", "--unit", "FIRE", "--role", "unit_contact")
    c.ok("person", "add", "陈支队", "--unit", "FIRE", "--role", "unit_head")
    c.ok("directive", "add", "--kind", "instruction", "--title", "批示", "--at", "2024-03-04",
         "--now", "2024-03-04T10:00")
    return c


def test_words_a_user_reads(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    added = cli.ok("task", "add", "--directive", "1", "--title", "排查", "--lead", "FIRE",
                   "--due", "3月31日前", "--priority", "特急", "--assign", "--as", "赵督查", *NOW)
    assert "None" not in added and "完成时限：3月31日前，即 2024-03-31 23:59" in added
    assert cli.json("task", "show", "DB-2024-0001")["priority_label"] == "特急"
    cli.ok("task", "ack", "DB-2024-0001", "--as", "张联络", *NOW)
    cli.ok("task", "extend", "DB-2024-0001", "--as", "陈支队", "--to", "4月30日前", "--reason",
           "工程量大", *NOW)
    listed = cli.ok("outbox", "list")
    assert "交办通知" in listed and "延期待审批" in listed and "assigned" not in listed
    request = next(m for m in cli.json("outbox", "list")["messages"]
                   if m["kind"] == "extension_request")
    assert request["kind_label"] == "延期待审批" and request["task_code"] == "DB-2024-0001"
    shown = cli.ok("task", "show", "DB-2024-0001")
    assert "延期申请 #1（待审批）：申请延至 4月30日前（2024-04-30 23:59），理由：工程量大" in shown
    assert "pending" not in shown and "时限起算：2024-03-05 10:00（督查室录入时间）" in shown
    assert [r["code"] for r in cli.json("task", "list", "--status", "已签收")] == [
        "DB-2024-0001"]
    ticked = cli.ok("tick", "--now", "2024-04-02T10:00")
    assert "DB-2024-0001" in ticked and "升级督办" in ticked
    # The office (an admin) records the completion itself: shown as such, not as the unit's.
    cli.ok("extension", "reject", "1", "--as", "赵督查", *NOW)
    cli.ok("task", "complete", "DB-2024-0001", "--as", "钱主任", "--for", "FIRE", "--evidence",
           "照片", *NOW)
    cli.ok("task", "return", "DB-2024-0001", "--as", "赵督查", "--reason", "照片不清晰", *NOW)
    cli.ok("task", "complete", "DB-2024-0001", "--as", "陈支队", "--evidence", "新照片", *NOW)
    cli.ok("task", "verify", "DB-2024-0001", "--as", "赵督查", "--rating", "良好", *NOW)
    shown = cli.ok("task", "show", "DB-2024-0001")
    assert "督查室钱主任代申请办结：照片" in shown and "市消防救援支队 申请办结：新照片" in shown
    assert "市消防救援支队 申请办结：照片" not in shown
    assert "退回办结申请，理由：照片不清晰" in shown and "销号评价：良好" in shown
    assert "已驳回" in shown


def test_the_extension_request_message_and_the_console_channel(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from config.settings import reset_settings

    cli.ok("task", "add", "--directive", "1", "--title", "排查", "--lead", "FIRE", "--due",
           "3月31日前", "--assign", *NOW)
    cli.ok("task", "extend", "DB-2024-0001", "--as", "陈支队", "--to", "4月30日前", "--reason",
           "工程量大", *NOW)
    monkeypatch.setenv("DUBAN_NOTIFIERS", '["console"]')
    reset_settings()
    try:
        out = cli.ok("dispatch", "--now", "2024-03-05T10:01")
    finally:
        monkeypatch.delenv("DUBAN_NOTIFIERS")
        reset_settings()
    assert "→ 赵督查：延期申请待审批：DB-2024-0001 排查" in out
    assert "申请延至 4月30日前（2024-04-30 23:59）；理由：工程量大" in out  # the whole text
    assert "完成时限：3月31日前" in out


def test_the_first_summary_claims_no_previous_one(cli: Cli, tmp_path: Path) -> None:
    first = cli.ok("summary", "--now", "2024-03-05T15:00", "--reports", str(tmp_path / "r"))
    assert "首次调度" in first and "上次调度" not in first
    second = cli.ok("summary", "--now", "2024-03-06T15:00", "--reports", str(tmp_path / "r"))
    assert "上次调度 2024-03-05 15:00" in second


def test_people_of_the_same_name_stay_reachable(cli: Cli) -> None:
    assert_refused(cli("person", "add", "张联络", "--unit", "HOUSING", "--role", "unit_contact"),
                   1, "--allow-same-name")
    assert cli.ok("task", "list", "--unit", "FIRE") is not None
    cli.ok("task", "add", "--directive", "1", "--title", "排查", "--lead", "FIRE", "--due",
           "3月31日前", "--assign", *NOW)
    cli.ok("task", "ack", "DB-2024-0001", "--as", "张联络", *NOW)  # still the one 张联络
    cli.ok("person", "add", "张联络", "--unit", "HOUSING", "--role", "unit_contact",
           "--allow-same-name")
    refused = cli("task", "progress", "DB-2024-0001", "--as", "张联络", "--text", "x", *NOW)
    assert_refused(refused, 1, "张联络@FIRE 或 张联络@HOUSING")
    assert "请写全名" not in refused.err
    cli.ok("task", "progress", "DB-2024-0001", "--as", "张联络@FIRE", "--text", "x", *NOW)
    cli.ok("task", "progress", "DB-2024-0001", "--as", "张联络@消防", "--text", "y", *NOW)


def test_config_files_refused_with_the_line_or_merged(cli: Cli, tmp_path: Path) -> None:
    twice = tmp_path / "twice.yaml"
    twice.write_text("units:\n  - {code: FIRE, name: 市消防救援支队}\npeople:\n"
                     "  - {name: 王一, roles: [office]}\n"
                     "  - {name: 李二, roles: [office]}\n"
                     "  - {name: 王一, roles: [leader]}\n", encoding="utf-8")
    refused = cli("init", "--config", str(twice))
    assert_refused(refused, 1, "第 6 行")
    assert "people[2].name" in refused.err_line and "与 people[0] 重复" in refused.err_line
    policy = tmp_path / "policy.yaml"
    policy.write_text("policy:\n  extension_cap: 5\n  quiet_hours: {start: '23:00'}\n",
                      encoding="utf-8")
    out = cli.ok("init", "--config", str(policy))
    assert "policy.extension_cap" in out and "policy.quiet_hours.start" in out
    units_only = tmp_path / "units.yaml"
    units_only.write_text("units:\n  - {code: NEW, name: 新单位}\n", encoding="utf-8")
    out = cli.ok("init", "--config", str(units_only))
    assert "原有规则保持不变" in out
    from sqlmodel import Session

    from engine.store.db import make_engine
    from engine.store.policy import get_policy

    engine = make_engine(cli.url)
    with Session(engine) as session:
        kept = get_policy(session)
    engine.dispose()
    assert kept.extension_cap == 5 and kept.quiet_hours.start == "23:00"
    assert kept.quiet_hours.end == "07:00"  # the part the file did not name
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("units: []\n# 中文\n".encode("gbk"))
    refused = cli("init", "--config", str(gbk))
    assert_refused(refused, 1, "不是 UTF-8 编码")
    assert "UnicodeDecodeError" not in refused.err
    assert_refused(cli("init", "--config", str(tmp_path)), 1, "是一个目录")
