"""The lazy top-level group: its catalog matches the registered commands, and help imports nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from cli.catalog import CATALOG, SELF_CONTAINED, load_all
from cli.main import app, run

ROOT = Path(__file__).resolve().parents[2]


def _full_tree() -> dict[str, object]:
    load_all()
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _callback_modules(command: object) -> set[str]:
    callback = getattr(command, "callback", None)
    if callback is not None:
        return {callback.__module__.removeprefix("cli.")}
    subcommands = getattr(command, "commands", {}).values()
    return set().union(*(_callback_modules(sub) for sub in subcommands))


def test_catalog_lists_every_registered_command_with_its_own_help_line() -> None:
    tree = _full_tree()
    assert set(CATALOG) == set(tree)
    for name, entry in CATALOG.items():
        first_line = (getattr(tree[name], "help", None) or "").strip().splitlines()[0]
        assert entry.help == first_line, name
        assert _callback_modules(tree[name]) <= set(entry.modules), name


def test_self_contained_subcommands_live_in_the_named_module() -> None:
    tree = _full_tree()
    for (group, sub), module in SELF_CONTAINED.items():
        command = tree[group].commands[sub]  # type: ignore[attr-defined]
        assert _callback_modules(command) == {module}


def _imports_after(*argvs: list[str]) -> dict[str, object]:
    """Run ``cli.main.run`` in a fresh interpreter for each argv in turn; report exit codes and
    which command modules and database libraries got imported."""
    script = (
        "import json, sys\n"
        "from cli.main import run\n"
        "codes = [run(argv) for argv in json.loads(sys.argv[1])]\n"
        "mods = sorted(m for m in sys.modules if m.startswith(('cli.commands', 'sqlalchemy', 'engine')))\n"
        "print(json.dumps({'codes': codes, 'modules': mods}), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, json.dumps(list(argvs))], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stderr.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_top_level_help_imports_no_command_module_nor_the_database_layer() -> None:
    report = _imports_after(["--help"])
    assert report["codes"] == [0]
    # engine.errors (the refusals the boundary catches) is all of the engine it may touch
    assert report["modules"] == ["engine", "engine.errors"]


def test_task_list_imports_only_its_module_yet_the_whole_group_works_afterwards() -> None:
    report = _imports_after(["task", "list", "--help"], ["task", "assign", "--help"], ["extension", "--help"])
    assert report["codes"] == [0, 0, 0]
    commands = [m for m in report["modules"] if isinstance(m, str) and m.startswith("cli.commands")]  # type: ignore[attr-defined]
    assert commands == ["cli.commands_actions", "cli.commands_tasks"]
    alone = _imports_after(["task", "list", "--help"])
    assert [m for m in alone["modules"] if m.startswith("cli.commands")] == ["cli.commands_tasks"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("argv", "expected"), [
    (["tsk"], "没有这个命令：tsk（是否要用：task）"),
    (["task", "lst"], "没有这个命令：lst（是否要用：list）"),
    (["nothing-like-it"], "没有这个命令：nothing-like-it（用 --help"),
])
def test_unknown_commands_are_refused_in_chinese_with_a_suggestion(
        argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Did you mean" not in err and "No such command" not in err
