"""The top-level commands of ``duban``, known without importing the modules that define them.

``duban --help`` must answer in well under 0.3 s: importing the eight command modules and letting
Typer turn every signature into a click command costs more than that on its own. So the top-level
group is a :class:`LazyGroup`: it lists and describes its commands from :data:`CATALOG` and imports
a command's modules only when that command is run (or its own help is asked for).

Guarantee: every command the modules register appears here with the same one-line help, in the
order the help screen shows; ``tests/cli/test_catalog.py`` fails when they drift apart.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

from typer._click import Context, HelpFormatter
from typer._click import exceptions as click_errors
from typer.core import TyperGroup


class Entry(NamedTuple):
    modules: tuple[str, ...]
    """``cli.<module>`` files that register the command (a group may span several)."""
    help: str
    """The line the top-level help shows: the command's own first docstring/help line."""


CATALOG: dict[str, Entry] = {
    "init": Entry(("commands_org",), "创建或升级数据库结构；可同时载入组织与规则配置文件。"),
    "demo": Entry(("commands_views",), "演示：建一个示例城市，登记批示、会议、督查事项，模拟一个月的办理与督办。"),
    "directive": Entry(("commands_tasks",), "来源事项（批示、跟批、会议、督查……）"),
    "task": Entry(("commands_tasks", "commands_actions"), "督办事项"),
    "extension": Entry(("commands_tasks", "commands_actions"), "延期申请审批"),
    "file": Entry(("commands_files",), "证明材料与附件文件"),
    "unit": Entry(("commands_org",), "单位管理"),
    "person": Entry(("commands_org", "commands_accounts"), "人员管理"),
    "ingest": Entry(("commands_intake",), "识别文件中的批示、跟批、会议议定事项、督查问题，生成待交办事项供督查室确认。"),
    "import": Entry(("commands_docs",), "导入任务清单：逐行校验，全部通过才一次性创建待交办事项，否则一条也不创建。"),
    "export": Entry(("commands_docs",), "导出督办台账（Excel：红黄绿灯、冻结表头、筛选）。"),
    "report": Entry(("commands_docs",), "生成月度督办工作情况通报（Word 或 Markdown），默认截至该月末。"),
    "board": Entry(("commands_views",), "各单位红黄绿灯看板。"),
    "summary": Entry(("commands_ops",), "生成每日调度（全市及各分管领导范围），保存 Markdown 报告，可 --send 推送。"),
    "tick": Entry(("commands_ops",), "执行一次提醒与升级督办（到期提醒、催办、督办、通报、进展滞后、回头看、周期任务）。"),
    "dispatch": Entry(("commands_ops",), "投递发件箱中到期的通知（失败自动退避重试，超过次数转为死信）。"),
    "outbox": Entry(("commands_ops",), "通知发件箱"),
    "serve": Entry(("commands_ops",), "常驻运行：内置调度器（提醒升级、每日 15:00 调度、回头看）、通知投递、机器人和网页控制台。"),
    "deploy": Entry(("commands_deploy",), "部署到 Prefect 服务器：创建工作池 duban，按 prefect.yaml 部署定时任务，并把数据库、通知渠道和报告目录写入部署。"),
    "web": Entry(("commands_web",), "运行网页控制台（督查室、领导和责任单位登录使用；Ctrl-C 停止）。"),
    "bot": Entry(("commands_bot",), "运行 Telegram 机器人，供责任单位签收、反馈、申请办结和延期（Ctrl-C 停止）。"),
    "audit": Entry(("commands_views",), "审计"),
}

SELF_CONTAINED: dict[tuple[str, str], str] = {("task", "list"): "commands_tasks"}
"""Subcommands defined wholly in one module: running one imports only that module, so that
``duban task list`` does not pay for the action commands of the same group."""


def load(modules: tuple[str, ...] | list[str]) -> None:
    """Import ``cli.<module>`` for each name (registering its commands on the app)."""
    for module in modules:
        importlib.import_module(f"cli.{module}")


def load_all() -> None:
    """Import every command module (for callers that want the whole tree built up front)."""
    load(sorted({module for entry in CATALOG.values() for module in entry.modules}))


def _build(name: str) -> Any:
    """The click command Typer builds for ``name`` from what is registered now."""
    import typer.main

    from cli.main import app

    return typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]


def _build_part(group: str, sub: str) -> Any:
    """The click group ``group`` holding only its subcommand ``sub`` (Typer turns no other
    signature of the group into a click command)."""
    import copy

    import typer.main

    from cli.main import app

    info = copy.copy(next(i for i in app.registered_groups if i.name == group))
    assert info.typer_instance is not None
    info.typer_instance = copy.copy(info.typer_instance)
    info.typer_instance.registered_commands = [
        c for c in info.typer_instance.registered_commands if c.name == sub]
    info.typer_instance.registered_groups = []
    top = copy.copy(app)
    top.registered_groups, top.registered_commands = [info], []
    return typer.main.get_command(top).commands[group]  # type: ignore[attr-defined]


class LazyGroup(TyperGroup):
    """Top-level group that imports a command's modules on first use (see module docstring)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._complete: set[str] = set()
        """Commands built after all of their modules were imported (not a SELF_CONTAINED part)."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(CATALOG)

    def get_command(self, ctx: Context, cmd_name: str) -> Any:
        entry = CATALOG.get(cmd_name)
        if entry is None:
            return None
        if cmd_name not in self._complete:
            load(entry.modules)
            self.commands[cmd_name] = _build(cmd_name)
            self._complete.add(cmd_name)
        return self.commands[cmd_name]

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:
        part = SELF_CONTAINED.get((args[0], args[1])) if len(args) > 1 else None
        if part is not None and args[0] not in self.commands:
            # Built from one module only: kept, but not marked complete, so a later call for
            # another subcommand of the same group (in-process callers) rebuilds it whole.
            load((part,))
            self.commands[args[0]] = _build_part(args[0], args[1])
            return args[0], self.commands[args[0]], args[1:]
        try:
            return super()._click_resolve_command(ctx, args)
        except click_errors.UsageError as error:
            # Typer's own suggestion only knows the commands built so far; this knows them all
            # (same wording as Typer's, which cli.main translates for every group).
            from difflib import get_close_matches  # only on this error path, not at start-up

            guesses = get_close_matches(args[0], list(CATALOG)) if args else []
            if guesses:
                names = ", ".join(repr(guess) for guess in guesses)
                error.message = f"{error.message.rstrip('.')}. Did you mean {names}?"
            raise

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        from typer.core import _

        with formatter.section(_("Commands")):
            formatter.write_dl([(name, entry.help) for name, entry in CATALOG.items()])
