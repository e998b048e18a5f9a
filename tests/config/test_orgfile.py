"""The org/policy file: the documented example loads, and every kind of mistake is reported as a
``ConfigError`` naming the file, the field and the bad value, with a Chinese reason."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.errors import ConfigError
from config.orgfile import load_org_file, parse_org_data

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.yaml"
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_PYDANTIC = re.compile(r"Input should|Field required|Value error|String should|Tuple")


def test_example_loads_and_is_consistent() -> None:
    org = load_org_file(EXAMPLE)
    codes = {u.code for u in org.units}
    assert len(org.units) >= 5 and len(org.people) >= 5
    assert all(p.unit in codes for p in org.people if p.unit)
    roles = {r for p in org.people for r in p.roles}
    assert roles == {"admin", "office", "leader", "unit_head", "unit_contact"}
    assert org.policy is not None and org.policy.timezone == "Asia/Shanghai"
    assert org.policy.summary.time == "15:00"
    assert org.policy.escalation.urgent.unit == "minutes"
    assert "#" in EXAMPLE.read_text(encoding="utf-8")  # documented with comments


def test_empty_file_changes_nothing(tmp_path: Path) -> None:
    """No policy section: the stored policy (the defaults on a new database) is kept."""
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    org = load_org_file(path)
    assert org.units == [] and org.people == [] and org.policy is None


def _base() -> dict[str, Any]:
    return {
        "units": [{"code": "FIRE", "name": "市消防救援支队"},
                  {"code": "D1", "name": "东城区", "kind": "district"}],
        "people": [{"name": "王炳森", "title": "书记", "roles": ["leader"]},
                   {"name": "张联络", "unit": "FIRE", "roles": ["unit_contact"]}],
        "policy": {"timezone": "Asia/Shanghai"},
    }


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set ``path`` ("people.1.unit") in ``data``; returns ``data``."""
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        key: Any = int(part) if part.isdigit() else part
        if isinstance(node, dict) and key not in node:
            node[key] = {}
        node = node[key]
    last: Any = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
    node[last] = value
    return data


# (path to change, bad value, field named in the error, value named, a word of the reason)
CASES: list[tuple[str, Any, str, Any, str]] = [
    ("unit", [], "unit", [], "不认识的字段"),
    ("units", "FIRE", "units", "FIRE", "列表"),
    ("units.0.code", "A B", "units[0].code", "A B", "格式"),
    ("units.0.code", "", "units[0].code", "", "不能为空"),
    ("units.0.name", "长" * 200, "units[0].name", "长" * 200, "过长"),
    ("units.1.kind", "city", "units[1].kind", "city", "允许范围"),
    ("units.1.parent", "NOPE", "units[1].parent", "NOPE", "上级单位代码不存在"),
    ("units.1.code", "FIRE", "units[1].code", "FIRE", "重复"),
    ("units.1.name", "市消防救援支队", "units[1].name", "市消防救援支队", "重复"),
    ("units.1.colour", "red", "units[1].colour", "red", "不认识的字段"),
    ("people.0", "王炳森", "people[0]", "王炳森", "键值映射"),
    ("people.0.roles", [], "people[0].roles", [], "条目数不足"),
    ("people.0.roles", ["boss"], "people[0].roles[0]", "boss", "允许范围"),
    ("people.1.unit", "NOPE", "people[1].unit", "NOPE", "单位代码不存在"),
    ("people.0.supervises", ["FIRE", "NOPE"], "people[0].supervises[1]", "NOPE", "不存在"),
    ("people.0.email", "not-an-email", "people[0].email", "not-an-email", "格式"),
    ("people.0.telegram_chat", "abc", "people[0].telegram_chat", "abc", "整数"),
    ("people.0.telegram_chat", 1.5, "people[0].telegram_chat", 1.5, "整数"),
    ("people.0.top_leader", "maybe", "people[0].top_leader", "maybe", "true 或 false"),
    ("people.0.channels", ["abc"], "people[0].channels", ["abc"], "Apprise"),
    ("people.0.name", None, "people[0].name", None, "文本"),
    ("policy.timezone", "Mars/Base", "policy.timezone", "Mars/Base", "时区"),
    ("policy.warning_window_workdays", 100, "policy.warning_window_workdays", 100, "过大"),
    ("policy.warning_window_workdays", 2.5, "policy.warning_window_workdays", 2.5, "整数"),
    ("policy.extension_cap", -1, "policy.extension_cap", -1, "过小"),
    ("policy.recheck_after_days", "soon", "policy.recheck_after_days", "soon", "整数"),
    ("policy.quiet_hours.start", "25:00", "policy.quiet_hours.start", "25:00", "HH:MM"),
    ("policy.summary.time", 1500, "policy.summary.time", 1500, "文本"),
    ("policy.summary.days", "weekly", "policy.summary.days", "weekly", "允许范围"),
    ("policy.escalation.normal.unit", "hours", "policy.escalation.normal.unit", "hours",
     "允许范围"),
    ("policy.escalation.normal.level_after", [5, 2, 1], "policy.escalation.normal.level_after",
     [5, 2, 1], "依次不减"),
    ("policy.escalation.normal.level_after", [1, 2, 3, 4],
     "policy.escalation.normal.level_after", [1, 2, 3, 4], "过多"),
    ("policy.escalation.high.reminders_before", [0], "policy.escalation.high.reminders_before",
     [0], "正数"),
    ("policy.escalation.urgent.due_day_morning", "9点", "policy.escalation.urgent.due_day_morning",
     "9点", "HH:MM"),
    ("policy.dispatch.max_attempts", 0, "policy.dispatch.max_attempts", 0, "过小"),
    ("policy.dispatch.backoff_base_seconds", "x", "policy.dispatch.backoff_base_seconds", "x",
     "数字"),
    ("policy.holiday_overrides.holidays", ["2027-02-30"], "policy.holiday_overrides.holidays[0]",
     "2027-02-30", "日期"),
    ("policy.holiday_overrides", {"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]},
     "policy.holiday_overrides", None, "既是假日又是工作日"),
    ("policy.summer", 1, "policy.summer", 1, "不认识的字段"),
]


@pytest.mark.parametrize(("path", "bad", "field", "value", "reason"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_mistake_names_file_field_and_value(
    tmp_path: Path, path: str, bad: Any, field: str, value: Any, reason: str
) -> None:
    file = tmp_path / "org.yaml"
    file.write_text(yaml.safe_dump(_set(_base(), path, bad), allow_unicode=True),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_org_file(file)
    err = info.value
    message = str(err)
    assert err.file == str(file) and str(file) in message
    assert err.field == field and field in message
    if value is not None:
        assert err.value == value
        assert repr(value) in message
    reason_text = message.split("无效：", 1)[1]
    assert reason in reason_text
    assert CJK.search(reason_text) and not ENGLISH_PYDANTIC.search(message)


def test_missing_required_field(tmp_path: Path) -> None:
    data = _base()
    del data["units"][0]["code"]
    with pytest.raises(ConfigError) as info:
        parse_org_data(data, file="org.yaml")
    assert info.value.field == "units[0].code"
    assert "缺少必填字段" in str(info.value) and "org.yaml" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_org_file(path)
    assert "文件不存在" in str(info.value) and str(path) in str(info.value)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("units:\n  - {code: FIRE, name: 消防\n people: [\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_org_file(path)
    assert "YAML 语法错误" in str(info.value) and str(path) in str(info.value)
    assert re.search(r"第 \d+ 行", info.value.field)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_org_file(path)
    assert info.value.field == "（顶层）" and "键值映射" in str(info.value)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("units: []\n# 中文\n".encode("gbk"))
    with pytest.raises(ConfigError) as info:
        load_org_file(path)
    assert "无法读取" in str(info.value)
