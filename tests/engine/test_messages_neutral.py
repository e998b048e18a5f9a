"""The engine's messages name no front end's controls: no CLI option ("--as", "--for"), no
``duban`` command. What would resolve a refusal travels as a :class:`Remedy`, and each front end
adds its own hint at its boundary (the CLI: :mod:`cli.hints`)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from cli.hints import HINTS, with_hint
from engine.errors import InvalidInput, NotFound, Remedy, RowsRefused
from tests.paths import ROOT

CLI_WORDS = re.compile(r"(?<![\w-])--[a-z]|\bduban [a-z]")
OPERATOR_ONLY = {"engine/tasks/audit_key.py"}
"""The server's own setup (its audit key file), told to whoever starts it: no web user sees it
(the console does not start without the key)."""


def _texts(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant of a module but those standing alone as a
    statement (docstrings, attribute docstrings): f-strings' pieces included."""
    alone = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in alone:
            yield node.lineno, node.value


def test_engine_texts_name_no_cli_option_or_command() -> None:
    found = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in OPERATOR_ONLY:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{name}:{line}: {text}" for line, text in _texts(tree) if CLI_WORDS.search(text)]
    assert found == []


def test_every_remedy_has_a_cli_hint() -> None:
    assert set(HINTS) == set(Remedy)


def test_the_cli_adds_its_option_to_the_engines_words() -> None:
    refused = InvalidInput("跟批必须指明所跟的上级批示", remedy=Remedy.PARENT_DIRECTIVE)
    assert with_hint(refused) == "跟批必须指明所跟的上级批示（--parent）"
    assert with_hint(NotFound("未找到督办事项“X”")) == "未找到督办事项“X”"
    items = RowsRefused({3: "时限无效", 2: "单位不存在"}, "事项", "以下事项未能登记",
                        remedy=Remedy.SKIP_OR_FIX_ITEMS)
    assert with_hint(items).endswith("如 --skip 2 或 --due 2=新时限")
    assert "--" not in str(items)
