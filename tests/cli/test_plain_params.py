"""Plain ``str``/``bool`` parameters skip Typer's pydantic adapter; other types keep it."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main

from cli import plain_params
from cli.catalog import load_all
from cli.main import app, run


def _command(*path: str) -> Any:
    load_all()
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


def test_text_and_flag_parameters_pass_through_and_others_keep_their_adapter() -> None:
    plain_params.install()
    kinds = {p.name: type(p.get_runtime_param()).__name__ for p in _command("task", "list").params}
    assert kinds["unit"] == kinds["now"] == kinds["overdue"] == kinds["json_out"] == "PlainRuntimeParam"
    [number] = [p for p in _command("directive", "show").params if p.name == "directive_id"]
    # Numbers keep Typer's adapter, inside the range check of cli.plain_params.
    checked = number.get_runtime_param()
    assert type(checked).__name__ == "CheckedNumberParam"
    assert type(checked.inner).__name__ == "AdapterRuntimeParam"


def test_numbers_beyond_64_bits_or_not_finite_are_usage_errors(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert plain_params.number_problem(2**63) and plain_params.number_problem(-(2**63) - 1)
    assert plain_params.number_problem(2**63 - 1) is None
    assert plain_params.number_problem(float("nan")) and plain_params.number_problem(float("inf"))
    assert plain_params.number_problem(1e308) is None and plain_params.number_problem(True) is None
    assert run(["directive", "show", str(2**64)]) == 2
    assert "超出范围" in capsys.readouterr().err


def test_a_flag_given_as_text_still_goes_through_typers_coercion() -> None:
    plain_params.install()
    [flag] = [p for p in _command("task", "list").params if p.name == "overdue"]
    runtime = flag.get_runtime_param()
    assert runtime._coerce_value("true", param=flag, ctx=None) is True
    assert runtime._coerce_value(False, param=flag, ctx=None) is False


def test_integer_arguments_are_still_checked_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["directive", "show", "abc"]) == 2
    assert "应为整数" in capsys.readouterr().err
