"""Every command's bad-input path: exit 1 (refused) or 2 (usage), a Chinese message on stderr,
no traceback, and the database exactly as it was (every table dumped before and after).

The cases share one prepared database per backend (a refusal changes nothing — which is what
each case checks; a case that did change it gets the database rebuilt for the next one). Usage
errors never reach the database, so they run on SQLite only.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from engine.files.ingest import Upload
from engine.store.db import make_engine
from engine.tasks.actions import acknowledge, report_progress, request_completion, verify_and_close
from engine.tasks.extensions import decide_extension, request_extension
from models import MilestoneCreate
from tests.cli import assert_refused, drop_everything, dump, invoke
from tests.factories import ISSUED, act, make_city, make_task
from tests.support import samples

N = ["--now", "2024-03-10T10:00"]
T = ["task", "add", "--directive", "1", "--title", "新事项"]
D = ["directive", "add", "--title", "新来源"]
P = ["person", "add", "新人"]
PR = ["task", "progress", "DB-2024-0003", "--as", "张联络", "--text", "整改照片"]
PHOTO = samples.jpeg(8000, seed=3)
STORED = hashlib.sha256(PHOTO).hexdigest()
"""A photo the populated database holds (a progress report of DB-2024-0003, by FIRE)."""

# (id, argv, exit code, a fragment of the message). "{dir}" is the case's scratch directory.
REFUSED: list[tuple[str, list[str], str]] = [
    ("init-missing-config", ["init", "--config", "{dir}/missing.yaml"], "文件不存在"),
    ("init-invalid-config", ["init", "--config", "{dir}/bad.yaml"], "policy.timezone"),
    ("unit-duplicate-code", ["unit", "add", "FIRE", "另一个支队"], "已存在"),
    ("unit-duplicate-name", ["unit", "add", "NEW", "市应急管理局"], "已被代码"),
    ("unit-bad-code", ["unit", "add", "A B", "新单位"], "格式不正确"),
    ("unit-unknown-parent", ["unit", "add", "NEW", "新单位", "--parent", "NOPE"], "未找到单位"),
    ("unit-bad-kind", ["unit", "add", "NEW", "新单位", "--kind", "city"], "允许范围"),
    ("person-unknown-unit", [*P, "--unit", "NOPE", "--role", "unit_contact"], "未找到单位"),
    ("person-bad-role", [*P, "--role", "boss"], "'boss'"),
    ("person-no-role", P, "条目数不足"),
    ("person-contact-without-unit", [*P, "--role", "unit_contact"], "必须指定所属单位"),
    ("person-bad-email", [*P, "--role", "leader", "--email", "x"], "格式不正确"),
    ("person-telegram-taken", [*P, "--role", "leader", "--telegram-chat", "1001"], "已绑定"),
    ("person-duplicate", ["person", "add", "张联络", "--unit", "FIRE", "--role", "unit_contact"],
     "已有人员"),
    ("directive-bad-kind", [*D, "--kind", "memo", *N], "来源类型"),
    ("directive-followup-without-parent", [*D, "--kind", "followup", *N], "上级批示"),
    ("directive-unknown-parent", [*D, "--kind", "followup", "--parent", "99", *N],
     "未找到来源事项"),
    ("directive-unknown-person", [*D, "--kind", "instruction", "--by", "无名氏", *N],
     "未找到人员"),
    ("directive-impossible-at", [*D, "--kind", "instruction", "--at", "2024-02-30", *N], "--at"),
    ("directive-impossible-now", [*D, "--kind", "instruction", "--now", "2024-13-01"], "--now"),
    ("directive-future", [*D, "--kind", "instruction", "--at", "2024-04-01", *N], "晚于当前"),
    ("directive-two-texts", [*D, "--kind", "instruction", "--text", "a", "--text-file",
                             "{dir}/t.txt", *N], "二选一"),
    ("directive-missing-text-file", [*D, "--kind", "instruction", "--text-file",
                                     "{dir}/missing.txt", *N], "不存在"),
    ("directive-leader-instruction", [*D, "--kind", "instruction", "--as", "占明副市长", *N],
     "跟批"),
    ("directive-unit-followup", [*D, "--kind", "followup", "--parent", "1", "--as", "张联络",
                                 *N], "督查室"),
    ("directive-show-unknown", ["directive", "show", "99"], "未找到来源事项"),
    ("task-unknown-lead", [*T, "--lead", "NOPE", "--due", "3月31日前", *N], "未找到单位"),
    ("task-unknown-co", [*T, "--lead", "FIRE", "--co", "NOPE", "--due", "3月31日前", *N],
     "未找到单位"),
    ("task-unknown-directive", ["task", "add", "--directive", "99", "--title", "x", "--lead",
                                "FIRE", "--due", "3月31日前", *N], "未找到来源事项"),
    ("task-impossible-date", [*T, "--lead", "FIRE", "--due", "2月30日前", *N], "日期不存在"),
    ("task-unreadable-date", [*T, "--lead", "FIRE", "--due", "改天再说", *N], "无法识别"),
    ("task-deadline-before-issue", [*T, "--lead", "FIRE", "--due", "2024年3月1日前", *N],
     "早于下达时间"),
    ("task-bad-priority", [*T, "--lead", "FIRE", "--due", "3月31日前", "--priority", "asap",
                           *N], "紧急程度"),
    ("task-unknown-owner", [*T, "--lead", "FIRE", "--due", "3月31日前", "--owner", "无名氏",
                            *N], "未找到人员"),
    ("task-leader-not-leader", [*T, "--lead", "FIRE", "--due", "3月31日前", "--leader",
                                "张联络", *N], "不是领导"),
    ("task-zero-target", [*T, "--lead", "FIRE", "--due", "3月31日前", "--target", "0", *N],
     "目标量"),
    ("task-bad-milestone", [*T, "--lead", "FIRE", "--due", "3月31日前", "--milestone",
                            "没有等号", *N], "标题=时限"),
    ("task-unknown-parent", [*T, "--lead", "FIRE", "--due", "3月31日前", "--parent",
                             "DB-2024-9999", *N], "未找到督办事项"),
    ("task-added-by-unit", [*T, "--lead", "FIRE", "--due", "3月31日前", "--as", "张联络", *N],
     "督查室"),
    ("task-impossible-now", [*T, "--lead", "FIRE", "--due", "3月31日前", "--now",
                             "2024-13-01"], "--now"),
    ("assign-illegal", ["task", "assign", "DB-2024-0002", "--as", "赵督查", *N], "不能“交办”"),
    ("assign-by-unit", ["task", "assign", "DB-2024-0002", "--as", "张联络", *N], "督查室"),
    # A draft is the office's own queue: a unit does not find it yet.
    ("assign-draft-by-unit", ["task", "assign", "DB-2024-0001", "--as", "张联络", *N],
     "未找到督办事项“DB-2024-0001”"),
    ("assign-unknown-task", ["task", "assign", "DB-2024-9999", "--as", "赵督查", *N],
     "未找到督办事项"),
    ("assign-unknown-person", ["task", "assign", "DB-2024-0001", "--as", "无名氏", *N],
     "未找到人员"),
    # Another unit's task is "not found", exactly as a missing one: its existence does not leak.
    ("ack-other-unit", ["task", "ack", "DB-2024-0002", "--as", "孙应急", *N],
     "未找到督办事项“DB-2024-0002”"),
    ("ack-office-without-unit", ["task", "ack", "DB-2024-0002", "--as", "赵督查", *N], "--for"),
    ("ack-for-unit-by-unit", ["task", "ack", "DB-2024-0002", "--as", "张联络", "--for", "住建",
                              *N], "只有督查室可以代签收"),
    ("ack-for-unit-not-on-task", ["task", "ack", "DB-2024-0002", "--as", "赵督查", "--for",
                                  "应急", *N], "不是事项 DB-2024-0002 的承办单位"),
    ("complete-for-co-unit", ["task", "complete", "DB-2024-0003", "--as", "赵督查", "--for",
                              "住建", "--evidence", "x", *N], "配合单位"),
    ("show-other-unit", ["task", "show", "DB-2024-0002", "--as", "孙应急"],
     "未找到督办事项“DB-2024-0002”"),
    ("list-bad-view", ["task", "list", "--view", "all"], "--view"),
    ("list-bad-cursor", ["task", "list", "--limit", "2", "--cursor", "nonsense"], "游标"),
    ("list-bad-sort", ["task", "list", "--sort", "title"], "--sort"),
    ("unit-add-by-unit-person", ["unit", "add", "NEW", "新单位", "--as", "张联络"], "督查室"),
    ("person-add-by-leader", [*P, "--role", "office", "--as", "炳森书记"], "督查室"),
    ("invite-by-unit-person", ["person", "invite", "王炳森", "--as", "张联络"], "督查室"),
    ("outbox-retry-by-unit-person", ["outbox", "retry", "--dead", "--as", "张联络"], "督查室"),
    ("init-config-by-unit-person", ["init", "--config", "{dir}/org.yaml", "--as", "张联络"],
     "督查室"),
    ("ack-draft", ["task", "ack", "DB-2024-0001", "--as", "赵督查", "--for", "消防", *N],
     "不能“签收”"),
    ("ack-by-leader", ["task", "ack", "DB-2024-0002", "--as", "炳森书记", *N], "责任单位"),
    ("ack-twice", ["task", "ack", "DB-2024-0003", "--as", "张联络", *N], "无需重复签收"),
    ("progress-empty", ["task", "progress", "DB-2024-0003", "--as", "张联络", "--text", " ",
                        *N], "进展内容"),
    ("progress-negative", ["task", "progress", "DB-2024-0003", "--as", "张联络", "--text", "x",
                           "--achieved", "-5", *N], "负数"),
    ("progress-unknown-milestone", ["task", "progress", "DB-2024-0003", "--as", "张联络",
                                    "--text", "x", "--milestone", "9", *N], "阶段节点"),
    ("progress-other-unit", ["task", "progress", "DB-2024-0003", "--as", "孙应急", "--text",
                             "x", *N], "未找到督办事项"),
    ("progress-before-ack", ["task", "progress", "DB-2024-0002", "--as", "刘住建", "--text",
                             "x", *N], "不能“反馈进展”"),
    ("progress-closed", ["task", "progress", "DB-2024-0005", "--as", "张联络", "--text", "x",
                         *N], "不能“反馈进展”"),
    ("complete-by-co-unit", ["task", "complete", "DB-2024-0003", "--as", "刘住建", "--evidence",
                             "x", *N], "配合单位"),
    ("complete-draft", ["task", "complete", "DB-2024-0001", "--as", "赵督查", "--for", "消防",
                        "--evidence", "x", *N], "不能“申请办结”"),
    ("complete-empty-evidence", ["task", "complete", "DB-2024-0003", "--as", "张联络",
                                 "--evidence", "", *N], "证明材料"),
    ("complete-nothing", ["task", "complete", "DB-2024-0003", "--as", "张联络", *N],
     "证明材料或附上文件"),
    ("complete-file-other-unit", ["task", "complete", "DB-2024-0003", "--as", "孙应急", "--file",
                                  "{dir}/good.jpg", *N], "未找到督办事项"),
    ("progress-program-as-photo", [*PR, "--file", "{dir}/整改照片.jpg", *N], "Windows 可执行程序"),
    ("progress-oversize", [*PR, "--file", "{dir}/big.jpg", *N], "20 MB 的上限"),
    ("progress-truncated-photo", [*PR, "--file", "{dir}/cut.jpg", *N], "不完整"),
    ("progress-zip-with-program", [*PR, "--file", "{dir}/材料.zip", *N], "可执行程序"),
    ("progress-macros", [*PR, "--file", "{dir}/报告.docx", *N], "宏"),
    ("progress-unrecognised", [*PR, "--file", "{dir}/data.bin", *N], "无法识别"),
    ("progress-empty-file", [*PR, "--file", "{dir}/empty.txt", *N], "空文件"),
    ("progress-missing-file", [*PR, "--file", "{dir}/none.jpg", *N], "无法读取附件"),
    ("progress-good-and-bad", [*PR, "--file", "{dir}/good.jpg", "--file", "{dir}/cut.jpg", *N],
     "不完整"),
    ("progress-too-many-files", [*PR, *(["--file", "{dir}/good.jpg"] * 11), *N], "最多提交 10 个"),
    ("extend-program", ["task", "extend", "DB-2024-0002", "--as", "张联络", "--to", "4月30日前",
                        "--reason", "x", "--file", "{dir}/整改照片.jpg", *N], "可执行程序"),
    ("directive-program", [*D, "--kind", "instruction", "--file", "{dir}/整改照片.jpg", *N],
     "可执行程序"),
    ("file-get-unknown", ["file", "get", "0123456789abcdef", "--as", "赵督查", "--out", "{dir}"],
     "未找到"),
    ("file-get-bad-hash", ["file", "get", "xyz", "--as", "赵督查", "--out", "{dir}"], "无效"),
    ("file-get-other-unit", ["file", "get", STORED[:12], "--as", "孙应急", "--out", "{dir}"],
     "未找到哈希为"),
    ("file-get-no-directory", ["file", "get", STORED[:12], "--as", "赵督查", "--out",
                               "{dir}/nope/x.jpg"], "不存在"),
    ("verify-not-pending", ["task", "verify", "DB-2024-0003", "--as", "赵督查", *N],
     "不能“审核销号”"),
    ("verify-by-unit", ["task", "verify", "DB-2024-0004", "--as", "陈支队", *N], "督查室"),
    ("verify-bad-rating", ["task", "verify", "DB-2024-0004", "--as", "赵督查", "--rating",
                           "很好", *N], "评价"),
    ("return-not-pending", ["task", "return", "DB-2024-0002", "--as", "赵督查", "--reason", "x",
                            *N], "不能“退回”"),
    ("return-empty-reason", ["task", "return", "DB-2024-0004", "--as", "赵督查", "--reason",
                             " ", *N], "理由"),
    ("extend-by-co-unit", ["task", "extend", "DB-2024-0002", "--as", "刘住建", "--to",
                           "4月30日前", "--reason", "x", *N], "配合单位"),
    ("extend-earlier", ["task", "extend", "DB-2024-0002", "--as", "张联络", "--to", "3月20日前",
                        "--reason", "x", *N], "不晚于"),
    ("extend-impossible-date", ["task", "extend", "DB-2024-0002", "--as", "张联络", "--to",
                                "4月31日前", "--reason", "x", *N], "日期不存在"),
    ("extend-while-pending", ["task", "extend", "DB-2024-0003", "--as", "陈支队", "--to",
                              "6月30日前", "--reason", "x", *N], "待审批"),
    ("extend-closed", ["task", "extend", "DB-2024-0005", "--as", "陈支队", "--to", "6月30日前",
                       "--reason", "x", *N], "不能“申请延期”"),
    ("cancel-closed", ["task", "cancel", "DB-2024-0005", "--as", "赵督查", "--reason", "x", *N],
     "不能“撤销”"),
    ("cancel-by-unit", ["task", "cancel", "DB-2024-0002", "--as", "张联络", "--reason", "x",
                        *N], "督查室"),
    ("recheck-open-task", ["task", "recheck", "DB-2024-0003", "--as", "赵督查", *N], "回头看"),
    ("recheck-failed-without-note", ["task", "recheck", "DB-2024-0005", "--as", "赵督查",
                                     "--failed", *N], "写明问题"),
    ("recheck-by-unit", ["task", "recheck", "DB-2024-0005", "--as", "张联络", *N], "督查室"),
    ("recheck-impossible-date", ["task", "recheck", "DB-2024-0005", "--as", "赵督查",
                                 "--schedule", "2月30日前", *N], "日期不存在"),
    ("list-bad-light", ["task", "list", "--light", "purple"], "--light"),
    ("list-bad-status", ["task", "list", "--status", "bogus"], "--status"),
    ("list-unknown-unit", ["task", "list", "--unit", "NOPE"], "未找到单位"),
    ("list-impossible-now", ["task", "list", "--now", "2024-13-01"], "--now"),
    ("show-unknown", ["task", "show", "DB-2024-9999"], "未找到督办事项"),
    ("show-markup-like", ["task", "show", "[/red]"], "[/red]"),
    ("show-impossible-now", ["task", "show", "DB-2024-0001", "--now", "2024-02-30"], "--now"),
    ("approve-unknown", ["extension", "approve", "99", "--as", "赵督查", *N], "未找到延期申请"),
    ("approve-by-unit", ["extension", "approve", "2", "--as", "陈支队", *N], "督查室"),
    ("reject-decided", ["extension", "reject", "1", "--as", "赵督查", *N], "已处理"),
    ("board-impossible-now", ["board", "--now", "2024-13-01"], "--now"),
    # issue 10 §3: every number of a deadline exact, or refused with the reason
    ("task-empty-due", [*T, "--lead", "FIRE", "--due", "", *N], "不能为空"),
    ("task-blank-due", [*T, "--lead", "FIRE", "--due", "  ", *N], "不能为空"),
    ("task-decimal-due", [*T, "--lead", "FIRE", "--due", "1.5个工作日内", *N], "整数"),
    ("task-negative-due", [*T, "--lead", "FIRE", "--due", "-3个工作日内", *N], "大于零"),
    ("task-huge-due", [*T, "--lead", "FIRE", "--due", "99999个工作日内", *N], "过长"),
    ("task-far-due", [*T, "--lead", "FIRE", "--due", "2099年12月31日前", *N], "过远"),
    ("task-iso-far-due", [*T, "--lead", "FIRE", "--due", "9999-12-31", *N], "过远"),
    ("edit-empty-due", ["task", "edit", "DB-2024-0001", "--as", "赵督查", "--due", "", *N],
     "不能为空"),
    ("assign-past-due", ["task", "assign", "DB-2024-0001", "--as", "赵督查", "--now",
                         "2024-04-05T10:00"], "已过"),
    ("add-assign-past-due", [*T, "--lead", "FIRE", "--due", "3月31日前", "--assign", "--as",
                             "赵督查", "--now", "2024-04-05T10:00"], "--allow-past-due"),
    # issue 10 §4: bad text and numbers never crash
    ("task-control-title", [*T[:-1], "开展\x1b[31m整治",
                            "--lead", "FIRE", "--due", "3月31日前", *N], "U+001B"),
    ("task-bidi-title", [*T[:-1], "整治\u202e告通",
                         "--lead", "FIRE", "--due", "3月31日前", *N], "文字方向"),
    ("task-newline-title", [*T[:-1], "第一行\n第二行", "--lead", "FIRE", "--due", "3月31日前",
                            *N], "换行"),
    ("task-huge-title", [*T[:-1], "字" * 10_000, "--lead", "FIRE", "--due", "3月31日前", *N],
     "最多 256 个字"),
    ("task-huge-measure", [*T, "--lead", "FIRE", "--due", "3月31日前", "--target", "5",
                           "--measure", "个" * 40, *N], "计量单位过长"),
    ("task-huge-target", [*T, "--lead", "FIRE", "--due", "3月31日前", "--target", "1e300",
                          *N], "过大"),
    ("edit-huge-title", ["task", "edit", "DB-2024-0001", "--as", "赵督查", "--title", "字" * 300,
                         *N], "最多 256 个字"),
    ("directive-control-title", [*D, "--kind", "instruction", "--title", "来源\x00",
                                 *N], "U+0000"),
    ("directive-huge-title", ["directive", "add", "--kind", "instruction", "--title",
                              "字" * 10_000, *N], "最多 256 个字"),
    ("directive-huge-doc-number", [*D, "--kind", "instruction", "--doc-number", "号" * 100,
                                   *N], "文号过长"),
    ("progress-control-text", ["task", "progress", "DB-2024-0003", "--as", "张联络", "--text",
                               "进展\x1b]0;x\x07", *N],
     "控制字符"),
    ("progress-huge-achieved", ["task", "progress", "DB-2024-0003", "--as", "张联络", "--text",
                                "x", "--achieved", "1e20", *N], "过大"),
    ("person-control-name", ["person", "add", "新\x1b人",
                             "--role", "leader"], "U+001B"),
    ("person-huge-title", [*P, "--role", "leader", "--title", "长" * 100], "过长"),
    ("unit-bidi-name", ["unit", "add", "NEW", "新\u202e单位"],
     "文字方向"),
    ("now-year-one", ["task", "list", "--now", "0001-01-01"], "超出支持的范围"),
    ("now-year-9999", ["task", "list", "--now", "9999-12-31"], "超出支持的范围"),
    ("at-year-one", [*D, "--kind", "instruction", "--at", "0001-01-01", *N], "超出支持的范围"),
    ("show-huge-number", ["task", "show", "99999999999999999999999"], "未找到督办事项"),
    ("extend-control-reason", ["task", "extend", "DB-2024-0002", "--as", "张联络", "--to",
                               "4月30日前", "--reason", "理由\x1b", *N], "控制字符"),
]

USAGE: list[tuple[str, list[str], str]] = [
    ("unit-add-missing-name", ["unit", "add", "NEW"], "缺少参数"),
    ("unit-list-unknown-option", ["unit", "list", "--bogus"], "没有这个选项：--bogus"),
    ("person-bad-telegram", [*P, "--role", "leader", "--telegram-chat", "abc"], "应为整数"),
    ("person-list-extra", ["person", "list", "extra"], "多余的参数：extra"),
    ("directive-missing-title", ["directive", "add", "--kind", "instruction"], "--title"),
    ("directive-show-not-a-number", ["directive", "show", "abc"], "应为整数"),
    ("task-missing-lead", [*T, "--due", "3月31日前"], "缺少参数：--lead"),
    ("task-bad-target", [*T, "--lead", "FIRE", "--due", "3月31日前", "--target", "abc"],
     "应为数字"),
    ("task-missing-value", [*T, "--lead"], "--lead 缺少取值"),
    ("assign-missing-as", ["task", "assign", "DB-2024-0001"], "缺少参数：--as"),
    ("progress-missing-text", ["task", "progress", "DB-2024-0003", "--as", "张联络"], "--text"),
    ("return-missing-reason", ["task", "return", "DB-2024-0004", "--as", "赵督查"], "--reason"),
    ("extend-missing-to", ["task", "extend", "DB-2024-0002", "--as", "张联络", "--reason", "x"],
     "--to"),
    ("cancel-missing-reason", ["task", "cancel", "DB-2024-0002", "--as", "赵督查"], "--reason"),
    ("list-json-with-value", ["task", "list", "--json=yes"], "不接受取值"),
    ("approve-not-a-number", ["extension", "approve", "abc", "--as", "赵督查"], "应为整数"),
    ("reject-missing-as", ["extension", "reject", "2"], "--as"),
    ("board-extra", ["board", "extra"], "多余的参数"),
    ("audit-unknown-option", ["audit", "verify", "--bogus"], "没有这个选项"),
    ("unknown-command", ["bogus"], "没有这个命令"),
    ("unknown-subcommand", ["task", "frobnicate"], "没有这个命令"),
    # issue 10 §4: NaN, infinities and integers beyond 64 bits stop at the command line
    ("progress-nan", ["task", "progress", "DB-2024-0003", "--as", "张联络", "--text", "x",
                      "--achieved", "nan"], "有限的数字"),
    ("progress-inf", ["task", "progress", "DB-2024-0003", "--as", "张联络", "--text", "x",
                      "--achieved", "inf"], "有限的数字"),
    ("progress-1e309", ["task", "progress", "DB-2024-0003", "--as", "张联络", "--text", "x",
                        "--achieved", "1e309"], "有限的数字"),
    ("complete-nan", ["task", "complete", "DB-2024-0003", "--as", "张联络", "--evidence", "x",
                      "--achieved", "-inf"], "有限的数字"),
    ("task-nan-target", [*T, "--lead", "FIRE", "--due", "3月31日前", "--target", "NaN"],
     "有限的数字"),
    ("task-huge-directive", ["task", "add", "--directive", "99999999999999999999999", "--title",
                             "x", "--lead", "FIRE", "--due", "3月31日前"], "超出范围"),
    ("approve-huge", ["extension", "approve", "99999999999999999999999", "--as", "赵督查"],
     "超出范围"),
    ("person-huge-telegram", [*P, "--role", "leader", "--telegram-chat",
                              "99999999999999999999999"], "超出范围"),
    ("directive-show-huge", ["directive", "show", "99999999999999999999999"], "超出范围"),
    ("outbox-retry-huge", ["outbox", "retry", "99999999999999999999999"], "超出范围"),
    ("approve-argument-named", ["extension", "approve", "abc", "--as", "赵督查"], "延期申请编号"),
]


def _populate(url: str) -> None:
    """Tasks in every interesting state: 0001 draft, 0002 assigned (FIRE lead, HOUSING co),
    0003 in progress with a milestone, one approved and one pending extension, 0004 pending
    review, 0005 closed."""
    engine = make_engine(url)
    t0 = ISSUED + timedelta(hours=1)
    try:
        with Session(engine, expire_on_commit=False) as s:
            city = make_city(s)
            make_task(s, city, assign=False)
            make_task(s, city)
            third = make_task(s, city, target=100, measure="个",
                              milestones=[MilestoneCreate(title="摸底", due="3月15日前")])
            later = [make_task(s, city, title=t) for t in ("待审核", "已办结")]
            for task in (third, *later):
                acknowledge(session=s, task=task.code, actor=act(city.fire_contact), now=t0)
            acknowledge(session=s, task=third.code, actor=act(city.housing_contact), now=t0)
            report_progress(session=s, task=third.code, actor=act(city.fire_contact), text="推进中",
                            now=t0, files=[Upload("现场.jpg", io.BytesIO(PHOTO))])
            first = request_extension(session=s, task=third.code, actor=act(city.fire_head),
                                      new_due="4月30日前", reason="工程量大", now=t0)
            decide_extension(session=s, request_id=first.id or 0, actor=act(city.office),
                             approve=True, now=t0)
            request_extension(session=s, task=third.code, actor=act(city.fire_head),
                              new_due="5月31日前", reason="再延", now=t0)
            for task in later:
                request_completion(session=s, task=task.code, actor=act(city.fire_head),
                                   evidence="台账", now=t0)
            verify_and_close(session=s, task=later[1].code, actor=act(city.office), rating="合格",
                             now=t0)
    finally:
        engine.dispose()


@dataclass
class Prepared:
    url: str
    directory: Path
    reset: Any
    pristine: dict[str, Any] = field(default_factory=dict)
    dirty: bool = True

    def ensure(self, capsys: pytest.CaptureFixture[str]) -> None:
        if not self.dirty:
            return
        self.reset()
        assert invoke(capsys, self.url, "init", "--simulation").code == 0
        _populate(self.url)
        self.pristine, self.dirty = dump(self.url), False


def _scratch(directory: Path) -> None:
    (directory / "t.txt").write_text("正文", encoding="utf-8")
    (directory / "good.jpg").write_bytes(samples.jpeg(5000, seed=4))
    (directory / "整改照片.jpg").write_bytes(samples.windows_program())
    (directory / "big.jpg").write_bytes(samples.jpeg(21 * 1024 * 1024, seed=5))
    (directory / "cut.jpg").write_bytes(samples.jpeg(60_000, seed=6)[:40_000])
    (directory / "材料.zip").write_bytes(samples.zip_with_program())
    (directory / "报告.docx").write_bytes(samples.docx_with_macros())
    (directory / "data.bin").write_bytes(bytes(range(256)) * 4)
    (directory / "empty.txt").write_bytes(b"")
    (directory / "bad.yaml").write_text("policy:\n  timezone: Mars/Base\n", encoding="utf-8")
    (directory / "org.yaml").write_text("units:\n  - {code: NEW, name: 新单位}\n",
                                        encoding="utf-8")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def prepared(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared]:
    directory = tmp_path_factory.mktemp(f"bad-input-{request.param}")
    _scratch(directory)
    if request.param == "sqlite":
        path = directory / "duban.db"

        def reset_sqlite() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        yield Prepared(f"sqlite:///{path}", directory, reset_sqlite)
        return
    from sqlmodel import SQLModel

    from tests.conftest import PG_URL, _pg_engine

    engine = _pg_engine()
    yield Prepared(PG_URL, directory, lambda: drop_everything(engine))
    drop_everything(engine)
    SQLModel.metadata.create_all(engine)


def _check(prepared: Prepared, capsys: pytest.CaptureFixture[str], argv: list[str], code: int,
           fragment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(prepared.directory)
    prepared.ensure(capsys)
    args = [a.replace("{dir}", str(prepared.directory)) for a in argv]
    result = invoke(capsys, prepared.url, *args)
    after = dump(prepared.url)
    if after != prepared.pristine:
        prepared.dirty = True
    assert_refused(result, code, fragment)
    assert after == prepared.pristine, "the database changed"
    assert not (prepared.directory / "duban-error.log").exists()


@pytest.mark.parametrize(("argv", "fragment"), [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_refused_leaves_database_unchanged(prepared: Prepared, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch, argv: list[str],
                                           fragment: str) -> None:
    _check(prepared, capsys, argv, 1, fragment, monkeypatch)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One initialised SQLite file for the usage errors, which never reach the database."""
    from cli.main import run

    url = f"sqlite:///{tmp_path_factory.mktemp('usage')}/duban.db"
    assert run(["--db", url, "init", "--json"]) == 0
    return url


@pytest.mark.parametrize(("argv", "fragment"), [c[1:] for c in USAGE], ids=[c[0] for c in USAGE])
def test_usage_error_exit_2(initialised: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch, argv: list[str],
                            fragment: str) -> None:
    monkeypatch.chdir(tmp_path)
    before = dump(initialised)
    result = invoke(capsys, initialised, *argv)
    assert_refused(result, 2, fragment)
    assert dump(initialised) == before


COMMANDS_ON_EMPTY = [
    ["unit", "add", "FIRE", "消防"], ["unit", "list"], ["person", "add", "甲", "--role", "office"],
    ["person", "list"], ["directive", "add", "--kind", "instruction", "--title", "t"],
    ["directive", "show", "1"], [*T, "--lead", "FIRE", "--due", "3月31日前"],
    ["task", "assign", "DB-2024-0001", "--as", "甲"], ["task", "list"], ["task", "show", "x"],
    ["extension", "approve", "1", "--as", "甲"], ["board"], ["audit", "verify"],
]


def test_uninitialised_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "missing.db"
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    for argv in COMMANDS_ON_EMPTY:
        assert_refused(invoke(capsys, f"sqlite:///{missing}", *argv), 1, "请先运行 duban init")
        assert not missing.exists()
        assert_refused(invoke(capsys, f"sqlite:///{empty}", *argv), 1, "尚未初始化")
        assert dump(f"sqlite:///{empty}") == {}
    assert not (tmp_path / "duban-error.log").exists()


def test_uninitialised_postgresql(pg_engine: Any, capsys: pytest.CaptureFixture[str],
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlmodel import SQLModel

    from tests.conftest import PG_URL

    monkeypatch.chdir(tmp_path)
    drop_everything(pg_engine)
    try:
        for argv in COMMANDS_ON_EMPTY:
            assert_refused(invoke(capsys, PG_URL, *argv), 1, "尚未初始化")
        assert dump(PG_URL) == {}
    finally:
        SQLModel.metadata.create_all(pg_engine)


@pytest.mark.parametrize("url", ["foo://bar", "postgresql://127.0.0.1:notaport/x",
                                 "postgresql://127.0.0.1:1/unreachable"])
def test_bad_database_address(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for argv in (["task", "list"], ["init"]):
        result = invoke(capsys, url, *argv)
        assert_refused(result, 1, "数据库")
    assert not (tmp_path / "duban-error.log").exists()
    assert list(tmp_path.iterdir()) == []
