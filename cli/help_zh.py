"""Chinese headings for the help screens Typer draws (用法 / 参数 / 选项 / 命令 / 必填 / 默认).

Typer (0.29, pinned) vendors click and writes a few fixed English words into every help page;
everything else on those pages is ours and already Chinese. This module swaps those words when
the CLI starts. If a Typer upgrade moves them, the patch does nothing rather than fail.
"""

from __future__ import annotations

from typing import Any

HEADINGS = {
    "Options": "选项", "Arguments": "参数", "Commands": "命令", "required": "必填",
    "default: {default}": "默认：{default}", "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）", "Aborted!": "已中止",
}
USAGE = "用法："
HELP_TEXT = "显示帮助并退出。"


def translate(message: str) -> str:
    return HEADINGS.get(message, message)


def install() -> None:
    """Patch Typer's help headings, usage prefix and ``--help`` text (idempotent)."""
    try:
        import typer.core as typer_core
        from typer._click import core as click_core
        from typer._click import formatting
    except ImportError:  # pragma: no cover - a future Typer without these modules
        return
    setattr(typer_core, "_", translate)  # noqa: B010 - replacing the module's gettext alias
    _patch_usage(formatting.HelpFormatter)
    _patch_help_option(click_core.Command)


def _patch_usage(formatter: Any) -> None:
    original = formatter.write_usage
    if getattr(original, "_duban", False):
        return

    def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        original(self, prog, args, USAGE if prefix is None else prefix)

    write_usage._duban = True  # type: ignore[attr-defined]
    formatter.write_usage = write_usage


def _patch_help_option(command: Any) -> None:
    original = command.get_help_option
    if getattr(original, "_duban", False):
        return

    def get_help_option(self: Any, ctx: Any) -> Any:
        option = original(self, ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option

    get_help_option._duban = True  # type: ignore[attr-defined]
    command.get_help_option = get_help_option
