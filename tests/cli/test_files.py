"""``--file`` on the CLI, ``task show`` listing files, ``duban file get`` writing one out."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.cli import db_url, invoke  # noqa: F401  (fixture)
from tests.cli.test_cli import Duban
from tests.support import samples

N = ["--now", "2024-03-06T10:00"]


def _setup(duban: Duban) -> None:
    duban.json("init", "--simulation")
    duban.ok("unit", "add", "FIRE", "市消防救援支队")
    duban.ok("unit", "add", "EMERG", "市应急管理局")
    duban.ok("person", "add", "赵督查", "--title", "督查室主任", "--role", "office")
    duban.ok("person", "add", "王炳森", "--title", "书记", "--role", "leader", "--top")
    duban.ok("person", "add", "陈支队", "--unit", "FIRE", "--title", "支队长", "--role", "unit_head")
    duban.ok("person", "add", "孙应急", "--unit", "EMERG", "--title", "科长", "--role", "unit_contact")


def test_files_from_the_cli_and_back(db_url: str, tmp_path: Path,  # noqa: F811
                                     capsys: pytest.CaptureFixture[str]) -> None:
    duban = Duban(capsys, db_url)
    _setup(duban)
    scan, before, after = tmp_path / "批示.pdf", tmp_path / "整改前.jpg", tmp_path / "整改后.jpg"
    scan.write_bytes(samples.pdf("scan"))
    before.write_bytes(samples.jpeg(30_000, seed=1))
    after.write_bytes(samples.jpeg(700_000, seed=2))
    directive = duban.json("directive", "add", "--kind", "instruction", "--title", "消防通道整治",
                           "--by", "炳森书记", "--at", "2024-03-04", "--file", str(scan), *N)
    assert [f["name"] for f in directive["files"]] == ["批示.pdf"]
    assert "附 1 个文件" in duban.ok("directive", "add", "--kind", "meeting", "--title", "推进会",
                                    "--file", str(scan), *N)
    duban.ok("task", "add", "--directive", "1", "--title", "清理消防通道", "--lead", "FIRE", "--due",
             "3月31日前", "--assign", *N)
    duban.ok("task", "ack", "DB-2024-0001", "--as", "陈支队", *N)
    duban.ok("task", "progress", "DB-2024-0001", "--as", "陈支队", "--text", "整改前",
             "--file", str(before), *N)
    row = duban.json("task", "complete", "DB-2024-0001", "--as", "陈支队", "--file", str(after),
                     "--file", str(before), *N)
    assert row["status"] == "pending_review"
    detail = duban.json("task", "show", "DB-2024-0001", *N)
    files = [(f["name"], f["size"], f["purpose"]) for f in detail["files"]]
    assert files == [("整改前.jpg", 30_000, "progress"), ("整改后.jpg", 700_000, "completion"),
                     ("整改前.jpg", 30_000, "completion")]
    sha = hashlib.sha256(after.read_bytes()).hexdigest()
    assert detail["files"][1]["sha256"] == sha
    shown = duban.ok("task", "show", "DB-2024-0001", *N)
    assert "证明材料与附件（3）" in shown and sha in shown and "683.6 KB" in shown
    out = tmp_path / "导出"
    out.mkdir()
    done = duban.ok("file", "get", sha[:12], "--as", "王炳森", "--out", str(out))
    assert "哈希校验一致" in done and (out / "整改后.jpg").read_bytes() == after.read_bytes()
    got = duban.json("file", "get", sha, "--as", "赵督查", "--out", str(tmp_path / "copy.jpg"))
    assert got["size"] == 700_000 and Path(got["path"]).read_bytes() == after.read_bytes()
    refused = invoke(capsys, db_url, "file", "get", sha, "--as", "孙应急", "--out", str(out))
    assert refused.code == 1 and "未找到哈希为" in refused.err  # outside the scope: not found
