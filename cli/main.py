"""The ``duban`` command: Typer app, global options and the error boundary.

Guarantees: a user never sees a Python traceback. Refusals (``DubanError``) print their Chinese
message on stderr and exit 1; usage errors exit 2; an unexpected error is logged to
``duban-error.log`` and reported in one Chinese line with exit 3.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

# Typer vendors its own click: its exceptions are the ones raised.
from typer._click import exceptions as click_errors

from cli.runtime import err_console, set_database

app = typer.Typer(
    name="duban",
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


def _register() -> None:
    from cli import (  # noqa: F401
        commands_actions,
        commands_bot,
        commands_ops,
        commands_org,
        commands_tasks,
        commands_views,
    )


_USAGE_MESSAGES = {
    click_errors.NoSuchOption: lambda e: f"没有这个选项：{e.option_name}",
    click_errors.MissingParameter: lambda e: f"缺少参数：{e.param.opts[0] if e.param and e.param.opts else (e.param_hint or '')}",
    click_errors.BadParameter: lambda e: f"参数 {e.param.opts[0] if e.param and e.param.opts else (e.param_hint or '')} 的值无效：{e.message}",
}


def _usage_text(exc: click_errors.UsageError) -> str:
    for kind, render in _USAGE_MESSAGES.items():
        if isinstance(exc, kind):
            return render(exc)  # type: ignore[no-untyped-call]
    message = exc.format_message()
    if message.startswith("No such command"):
        return f"没有这个命令：{message.split(' ', 3)[-1]}"
    return message


def run(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns (and exits with) the exit code."""
    from engine.errors import DubanError

    _register()
    code = 0
    try:
        result = app(args=argv, standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except DubanError as exc:
        err_console.print(f"[red]错误：[/red]{exc}")
        code = 1
    except click_errors.UsageError as exc:
        err_console.print(f"[red]用法错误：[/red]{_usage_text(exc)}（用 --help 查看用法）")
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

    if isinstance(exc, OperationalError):
        err_console.print("[red]错误：[/red]无法访问数据库，请检查 --db 或 DUBAN_DATABASE_URL")
        return 1
    with open("duban-error.log", "a", encoding="utf-8") as log:
        log.write("".join(traceback.format_exception(exc)))
    err_console.print("[red]内部错误：[/red]操作未完成，数据库未改动；详情已记录到 duban-error.log")
    return 3
