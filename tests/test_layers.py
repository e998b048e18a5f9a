"""The architecture's layer rules, read from the source with ``ast`` (imports inside functions
count too). A failure names the file, the line and the rule.

- ``engine/`` imports no front end (``cli``, ``bot``, ``web``, ``flows``), no notifier and no UI
  or runner library (rich, telegram, typer, prefect);
- ``models/`` imports nothing of the project but itself;
- ``config/`` imports neither the engine nor any front end;
- no module outside ``engine/`` writes: no ``session.add/commit/delete/flush/merge``, no write
  transaction (``engine.begin()``), no INSERT / UPDATE / DELETE executed — the one write path is
  the engine's services.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.paths import ROOT

PROJECT = ("bench", "bot", "cli", "config", "demo", "engine", "flows", "migrations", "models",
           "notifiers", "tests", "web")
FRONT_ENDS = ("bot", "cli", "flows", "web", "demo")
WRITERS_OUTSIDE = ("bot", "cli", "config", "demo", "flows", "models", "notifiers", "web")
"""Packages that must leave every write to the engine (bench and tests load data on purpose)."""
SESSION_WRITES = frozenset({"add", "add_all", "commit", "delete", "flush", "merge",
                            "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings"})
SQL_WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "TRUNCATE")


@dataclass(frozen=True)
class Rule:
    package: str
    forbidden: tuple[str, ...]
    why: str


RULES = [
    Rule("engine", ("bot", "cli", "demo", "flows", "notifiers", "web", "rich", "telegram",
                    "typer", "prefect", "apprise"),
         "engine/ imports no front end, notifier or UI/runner library"),
    Rule("models", tuple(p for p in PROJECT if p != "models"),
         "models/ imports nothing of the project but itself"),
    Rule("config", ("engine", *FRONT_ENDS, "notifiers"),
         "config/ imports neither the engine nor a front end"),
]


def modules(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def imported(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every imported module name with its line (absolute imports; the project has no relative
    ones)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


def import_violations(rule: Rule) -> list[str]:
    found = []
    for path in modules(rule.package):
        for line, name in imported(ast.parse(path.read_text(encoding="utf-8"))):
            if name.split(".")[0] in rule.forbidden:
                found.append(f"{path.relative_to(ROOT)}:{line}: imports {name} — {rule.why}")
    return found


@pytest.mark.parametrize("rule", RULES, ids=[r.package for r in RULES])
def test_imports_point_inwards(rule: Rule) -> None:
    violations = import_violations(rule)
    assert not violations, "\n".join(violations)


def _writes_sql(node: ast.Call) -> bool:
    """``x.execute(<insert/update/delete …>)`` or raw SQL text that changes data."""
    if not node.args:
        return False
    arg = node.args[0]
    for call in ast.walk(arg):  # insert(T).values(…).returning(…): any link of the chain
        if not isinstance(call, ast.Call):
            continue
        callee = call.func
        name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        if name in ("insert", "update", "delete"):
            return True
    if isinstance(arg, ast.Call) and getattr(arg.func, "id", "") == "text" and arg.args:
        arg = arg.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value.lstrip().upper().startswith(SQL_WRITES)
    return False


def write_violations(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = ast.unparse(node.func.value)
        method = node.func.attr
        what = None
        if method in SESSION_WRITES and "session" in owner.lower():
            what = f"{owner}.{method}()"
        elif method == "begin" and "engine" in owner.lower():
            what = f"{owner}.begin() (a write transaction)"
        elif method in ("execute", "exec", "exec_driver_sql") and _writes_sql(node):
            what = f"{owner}.{method}() of a data-changing statement"
        if what:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {what} — only engine "
                         "services write")
    return found


@pytest.mark.parametrize("package", WRITERS_OUTSIDE)
def test_only_the_engine_writes(package: str) -> None:
    violations = [v for path in modules(package) for v in write_violations(path)]
    assert not violations, "\n".join(violations)


def test_the_rules_find_what_they_forbid(tmp_path: Path) -> None:
    """The checks themselves catch a bad import and each kind of write (else they prove
    nothing)."""
    source = ("import rich\nfrom cli.runtime import console\n"
              "def f(session, engine, conn):\n"
              "    session.add(1)\n    session.commit()\n    engine.begin()\n"
              "    conn.execute(text('UPDATE task SET title = 1'))\n"
              "    session.execute(insert(Task).values())\n"
              "    session.execute(select(Task))\n")
    tree = ast.parse(source)
    names = [name for _line, name in imported(tree)]
    assert [n for n in names if n.split(".")[0] in RULES[0].forbidden] == ["rich", "cli.runtime"]
    bad = tmp_path / "bad.py"
    bad.write_text(source, encoding="utf-8")
    lines = [int(v.split(":")[1]) for v in write_violations_at(bad, tmp_path)]
    assert lines == [4, 5, 6, 7, 8]


def write_violations_at(path: Path, root: Path) -> list[str]:
    """:func:`write_violations` for a file outside the repository (paths relative to ``root``)."""
    import tests.test_layers as me

    saved = me.ROOT
    me.ROOT = root
    try:
        return write_violations(path)
    finally:
        me.ROOT = saved
