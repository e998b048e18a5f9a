"""Loading and validating the org/policy YAML file; every error names file, field and value."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from config.errors import WHOLE_FILE, ConfigError
from config.policy import Policy

ROLES = ("admin", "office", "leader", "unit_head", "unit_contact")
UNIT_KINDS = ("department", "district", "town", "company")

_REASONS = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段（请检查拼写）",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "date_from_datetime_parsing": "应为日期，如 2027-01-01",
    "date_parsing": "应为日期，如 2027-01-01",
    "date_type": "应为日期，如 2027-01-01",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "tuple_type": "应为列表",
    "too_short": "条目数不足",
    "too_long": "条目数过多",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _one_line(value: Any) -> Any:
    """Names, titles and aliases are one line without control or bidi characters."""
    from config.text import UNSAFE_LINE, describe_char

    for text in value if isinstance(value, list) else [value]:
        found = UNSAFE_LINE.search(text) if isinstance(text, str) else None
        if found is not None:
            raise ValueError(f"第 {found.start() + 1} 个字符是{describe_char(found.group())}，不能使用")
    return value


class UnitSpec(_Strict):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")
    name: str = Field(min_length=1, max_length=128)
    kind: Literal["department", "district", "town", "company"] = "department"
    parent: str | None = None
    short_names: list[str] = []

    _text = field_validator("name", "short_names")(classmethod(lambda cls, v: _one_line(v)))


class PersonSpec(_Strict):
    name: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=64)
    unit: str | None = None
    roles: list[Literal["admin", "office", "leader", "unit_head", "unit_contact"]] = Field(
        min_length=1
    )
    aliases: list[str] = []
    supervises: list[str] = []
    top_leader: bool = False
    # Telegram chat ids are 52-bit at most; the column holds 64 bits.
    telegram_chat: int | None = Field(default=None, ge=-(2**63), le=2**63 - 1)
    email: str | None = Field(default=None, max_length=256,
                              pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    channels: list[str] = []

    _text = field_validator("name", "title", "aliases")(classmethod(lambda cls, v: _one_line(v)))

    @field_validator("channels")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if "://" not in url:
                raise ValueError("通知渠道应为 Apprise 地址，如 mailto://user:pass@host")
        return value


class OrgFile(_Strict):
    """The whole file: org directory plus policy.

    ``policy`` is ``None`` when the file has no ``policy`` section: the stored policy is then
    kept as it is; a partial section changes only the settings it names
    (:func:`config.policy.merge_policy`).
    """

    units: list[UnitSpec] = []
    people: list[PersonSpec] = []
    policy: Policy | None = None

    @model_validator(mode="after")
    def _references(self) -> OrgFile:
        codes = [u.code for u in self.units]
        _no_duplicates(codes, "units", "code")
        _no_duplicates([u.name for u in self.units], "units", "name")
        # People are matched by name when the file is loaded again: one entry per name.
        _no_duplicates([p.name for p in self.people], "people", "name")
        known = set(codes)
        for i, unit in enumerate(self.units):
            if unit.parent is not None and unit.parent not in known:
                raise _RefError(f"units[{i}].parent", unit.parent, "上级单位代码不存在")
        for i, person in enumerate(self.people):
            if person.unit is not None and person.unit not in known:
                raise _RefError(f"people[{i}].unit", person.unit, "单位代码不存在")
            for j, code in enumerate(person.supervises):
                if code not in known:
                    raise _RefError(f"people[{i}].supervises[{j}]", code, "单位代码不存在")
        return self


class _RefError(ValueError):
    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(reason)
        self.field, self.value, self.reason = field, value, reason


def _no_duplicates(values: list[str], section: str, field: str) -> None:
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        if value in seen:
            raise _RefError(f"{section}[{i}].{field}", value,
                            f"与 {section}[{seen[value]}] 重复（每项只能写一次）")
        seen[value] = i


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "（顶层）"


def parse_org_data(data: Any, *, file: str) -> OrgFile:
    """Validate already-parsed YAML data; raise :class:`ConfigError` on the first problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(file, "（顶层）", type(data).__name__, "文件顶层应为键值映射")
    try:
        return OrgFile.model_validate(data)
    except ValidationError as exc:
        raise translate_validation_error(exc, file) from None


def translate_validation_error(exc: ValidationError, file: str) -> ConfigError:
    err = exc.errors()[0]
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _RefError):
        return ConfigError(file, ctx_error.field, ctx_error.value, ctx_error.reason)
    reason = _REASONS.get(err["type"])
    if reason is None:
        # Our validators raise Chinese ValueErrors; pydantic's own messages are English.
        reason = str(ctx_error) if ctx_error is not None else "格式或取值不正确"
    if err["type"] == "string_pattern_mismatch":
        reason = "格式不正确"
    return ConfigError(file, _field_path(tuple(err["loc"])), err.get("input"), reason)


def _read(path: Path) -> str:
    name = str(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(name, WHOLE_FILE, name, "文件不存在") from None
    except IsADirectoryError:
        raise ConfigError(name, WHOLE_FILE, name, "这是一个目录，不是配置文件") from None
    except PermissionError:
        raise ConfigError(name, WHOLE_FILE, name, "没有读取权限") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(name, WHOLE_FILE, name,
                          f"不是 UTF-8 编码的文本（第 {exc.start + 1} 个字节无法解码），"
                          "请另存为 UTF-8 后重试") from None
    except OSError as exc:
        raise ConfigError(name, WHOLE_FILE, name, f"无法读取（{exc.strerror}）") from None


def load_org_file(path: Path) -> OrgFile:
    """Read and validate the org/policy YAML file at ``path``; an error names the line."""
    name = str(path)
    text = _read(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else "（未知位置）"
        raise ConfigError(name, where, "", "YAML 语法错误") from None
    try:
        return parse_org_data(data, file=name)
    except ConfigError as exc:
        line = _line_of(text, exc.field)
        if line is None:
            raise
        raise ConfigError(name, exc.field, exc.value, exc.reason, line=line) from None


def _line_of(text: str, field: str) -> int | None:
    """The 1-based line of ``field`` ("people[3].name") in the YAML ``text`` (``None``: unknown)."""
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", field)]
    try:
        node: Any = yaml.compose(text)
    except yaml.YAMLError:
        return None
    for part in parts:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            return None
    return int(node.start_mark.line) + 1 if node is not None else None
