"""The ``duban`` command: Typer app, global options and the error boundary.

Guarantees: a user never sees a Python traceback. Refusals (``DubanError``) print their Chinese
message on stderr, with the CLI's hint for their remedy (:mod:`cli.hints`), and exit 1; usage
errors exit 2; an unexpected error is logged to ``duban-error.log`` and reported in one Chinese
line with exit 3.
"""

from __future__ import annotations

import gc
import re
import sys
from typing import Annotated, Any

# A command's process allocates a few hundred thousand long-lived objects while it imports
# (SQLAlchemy, pydantic, the models) and then builds its rows; with the default thresholds the
# collector re-walks all of them again and again: 20–70 ms of a 0.7 s `duban task list` at 1M
# tasks (0.11 s with collection off). Collect young objects fifty times less often; cycles are
# still reclaimed, and a long-running `serve` still collects (every 35,000 net allocations
# instead of every 700).
gc.set_threshold(35_000, 20, 20)

import typer  # noqa: E402 - after the collector is tuned, so that its import benefits

# Typer vendors its own click: its exceptions are the ones raised.
from typer._click import exceptions as click_errors  # noqa: E402

from cli.catalog import LazyGroup  # noqa: E402
from cli.runtime import err_console, set_database  # noqa: E402

app = typer.Typer(
    name="duban",
    cls=LazyGroup,
    help="督办 —— 把领导批示、会议议定事项、督查发现问题变成可追踪、可升级、可销号的督办事项。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global(
    db: Annotated[str | None, typer.Option("--db", help="数据库地址（默认 DUBAN_DATABASE_URL 或 sqlite:///duban.db）")] = None,
) -> None:
    """督办引擎命令行。"""
    set_database(db)


def escape(text: str) -> str:
    """``rich.markup.escape``, imported only when an error is printed."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


_ARGUMENT_NAMES = {"request_id": "延期申请编号", "directive_id": "来源事项编号", "ids": "死信编号",
                   "task": "事项编号", "code": "单位代码", "name": "名称", "path": "文件",
                   "source": "文件"}
"""Positional arguments as a user knows them (their Python names mean nothing to a reader)."""


def _param(e: click_errors.BadParameter | click_errors.MissingParameter) -> str:
    if e.param is not None and e.param.param_type_name == "argument":
        return f"“{_ARGUMENT_NAMES.get(e.param.name or '', e.param.name)}”"
    if e.param is not None and e.param.opts:
        return str(e.param.opts[0])
    hint = e.param_hint
    return "/".join(hint) if isinstance(hint, list | tuple) else str(hint or "")


# Typer converts option values with pydantic: its error types, in Chinese.
_VALUE_REASONS = {
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
}
_RANGE_REASONS = {
    "greater_than_equal": ("ge", "应不小于 {}"),
    "greater_than": ("gt", "应大于 {}"),
    "less_than_equal": ("le", "应不大于 {}"),
    "less_than": ("lt", "应小于 {}"),
}
"""Typer's range checks (``min=`` / ``max=``), with the bound they name."""


def _bad_value(e: click_errors.BadParameter) -> str:
    errors = getattr(e.__cause__, "errors", None)
    if not callable(errors):
        # Our own checks (cli.plain_params) give a Chinese reason; Typer's English ones do not.
        reason = f"：{e.message}" if re.search(r"[\u4e00-\u9fff]", e.message or "") else ""
        return f"参数 {_param(e)} 的值无效{reason}"
    first = errors()[0]
    reason = _VALUE_REASONS.get(first.get("type", ""), "格式不正确")
    if first.get("type") in _RANGE_REASONS:
        key, text = _RANGE_REASONS[first["type"]]
        reason = text.format((first.get("ctx") or {}).get(key, ""))
    return f"参数 {_param(e)} 的值“{first.get('input')}”无效：{reason}"


_USAGE_MESSAGES = {
    click_errors.NoSuchOption: lambda e: f"没有这个选项：{e.option_name}",
    click_errors.MissingParameter: lambda e: f"缺少参数：{_param(e)}",
    click_errors.BadParameter: _bad_value,
}


def _usage_text(exc: click_errors.UsageError) -> str:
    for kind, render in _USAGE_MESSAGES.items():
        if isinstance(exc, kind):
            return render(exc)  # type: ignore[no-untyped-call,operator]
    message = exc.format_message()
    option = getattr(exc, "option_name", None) or ""
    if message.startswith("No such command"):
        return _no_such_command(message)
    if "requires an argument" in message:
        return f"选项 {option} 缺少取值"
    if "does not take a value" in message:
        return f"选项 {option} 不接受取值"
    if message.startswith("Got unexpected extra argument"):
        return f"多余的参数：{message.rpartition('(')[2].rstrip(')')}"
    return f"命令格式不正确（{message}）"


def _no_such_command(message: str) -> str:
    # "No such command 'tsk'. Did you mean 'task'?" (click, with Typer's suggestion)
    found = re.match(r"No such command '(.*?)'\.(?: Did you mean (.*)\?)?$", message)
    if found is None:
        return f"没有这个命令：{message}"
    name, guesses = found.groups()
    if not guesses:
        return f"没有这个命令：{name}"
    names = "、".join(re.findall(r"'(.*?)'", guesses))
    return f"没有这个命令：{name}（是否要用：{names}）"


_COMMANDS: list[object] = []


def _command() -> Any:
    """The top-level click group, built once per process (Typer would rebuild it on every call);
    its commands are built on first use (:class:`cli.catalog.LazyGroup`)."""
    if not _COMMANDS:
        _COMMANDS.append(typer.main.get_command(app))
    return _COMMANDS[0]


def run(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns (and exits with) the exit code."""
    from cli.help_zh import install as chinese_help
    from cli.hints import with_hint
    from cli.plain_params import install as plain_text_params
    from config.errors import ConfigError
    from engine.errors import DubanError

    chinese_help()
    plain_text_params()
    code = 0
    try:
        result = _command()(args=argv, standalone_mode=False, prog_name="duban")
        code = result if isinstance(result, int) else 0
    except (DubanError, ConfigError) as exc:
        # Messages quote what the user typed: never let it be read as rich markup. The engine's
        # name no option: the CLI adds its own for the remedy an error carries.
        err_console.print(f"[red]错误：[/red]{escape(with_hint(exc))}")
        code = 1
    except click_errors.NoArgsIsHelpError as exc:
        err_console.print(f"[red]用法错误：[/red]请指定子命令\n{escape(exc.format_message())}")
        code = 2
    except click_errors.UsageError as exc:
        err_console.print(f"[red]用法错误：[/red]{escape(_usage_text(exc))}（用 --help 查看用法）")
        code = 2
    except typer.Exit as exc:
        code = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("已中止")
        code = 130
    except Exception as exc:  # noqa: BLE001 - the boundary: log it, show one Chinese line
        code = _internal_error(exc)
    if argv is None:
        sys.exit(code)
    return code


def _internal_error(exc: Exception) -> int:
    import traceback

    from sqlalchemy.exc import OperationalError

    from cli.runtime import database_problem

    problem = database_problem(exc)
    if problem is not None:
        err_console.print(f"[red]错误：[/red]{escape(problem)}")
        return 1
    if isinstance(exc, OperationalError):
        err_console.print("[red]错误：[/red]无法访问数据库，请检查 --db 或 DUBAN_DATABASE_URL")
        return 1
    with open("duban-error.log", "a", encoding="utf-8") as log:
        log.write("".join(traceback.format_exception(exc)))
    err_console.print("[red]内部错误：[/red]操作未完成，数据库未改动；详情已记录到 duban-error.log")
    return 3
