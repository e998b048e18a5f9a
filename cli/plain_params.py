"""Text and flag parameters without a pydantic adapter each.

Typer (0.29, pinned) coerces every parameter's value through a pydantic ``TypeAdapter`` that it
builds on first use: the first costs ~70 ms (pydantic's start-up), later ones 10–15 ms — a tenth
of a second for one ``duban task list``. Parameters typed ``str`` (Typer strips the ``| None``)
already get a string from the command line, and flags already get a bool: there is nothing to
validate. This module passes those through and builds Typer's adapter only for a value that is
not already of the type; every other type keeps Typer's own coercion and error messages. If a
Typer upgrade moves the hook, nothing is patched and Typer behaves as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PLAIN_TYPES: tuple[type, ...] = (str, bool)


def install() -> None:
    """Route ``str`` and ``bool`` parameters around the adapter (idempotent)."""
    try:
        import typer.core as typer_core
        from typer._coercion import RuntimeParam
    except ImportError:  # pragma: no cover - a future Typer without these modules
        return
    found = getattr(typer_core, "build_runtime_param", None)
    if found is None or getattr(found, "_duban", False):
        return
    original: Callable[[Any], Any] = found

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):  # type: ignore[misc]
        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if isinstance(value, self.annotation):
                return value
            return original(self.descriptor)._coerce_value(value, param=param, ctx=ctx)

    def build_runtime_param(descriptor: Any) -> Any:
        info = descriptor.parameter_info
        custom = getattr(info, "parser", None) or getattr(info, "click_type", None)
        if descriptor.file_annotation is None and not custom and descriptor.annotation in PLAIN_TYPES:
            return PlainRuntimeParam(annotation=descriptor.annotation, parameter_info=info,
                                     descriptor=descriptor)
        return original(descriptor)

    build_runtime_param._duban = True  # type: ignore[attr-defined]
    typer_core.build_runtime_param = build_runtime_param
