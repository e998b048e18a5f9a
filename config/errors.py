"""The error of reading settings and the org/policy file.

Configuration is read before the engine does anything, and ``config/`` imports nothing of the
engine: this error is its own. Front ends treat it like the engine's
:class:`engine.errors.InvalidInput` (a refusal, exit 1); its ``str()`` is a complete Chinese
sentence naming the file, the field and the bad value.
"""

from __future__ import annotations

COMMAND_LINE = "命令行参数"
"""The "file" of values typed as command-line options (their messages say 参数, not 配置文件)."""


WHOLE_FILE = "（文件）"
"""The "field" of a file that cannot be read at all (its message says so, without a value)."""


class ConfigError(ValueError):
    """The org/policy configuration is invalid; names the file, the line when known, the field
    and the bad value."""

    def __init__(self, file: str, field: str, value: object, reason: str,
                 line: int | None = None) -> None:
        at = f"第 {line} 行" if line is not None else ""
        where = f"参数 {field}" if file == COMMAND_LINE else f"配置文件 {file} {at}中字段 {field}"
        if field == WHOLE_FILE:
            self.message = f"配置文件 {file} 无法读取：{reason}"
        else:
            self.message = f"{where} 的值 {value!r} 无效：{reason}"
        super().__init__(self.message)
        self.file = file
        self.field = field
        self.value = value
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        return self.message
