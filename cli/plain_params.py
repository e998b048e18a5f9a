"""Text and flag parameters without a pydantic adapter each.

Typer (0.29, pinned) coerces every parameter's value through a pydantic ``TypeAdapter`` that it
builds on first use: the first costs ~70 ms (pydantic's start-up), later ones 10–15 ms — a tenth
of a second for one ``duban task list``. Parameters typed ``str`` (Typer strips the ``| None``)
already get a string from the command line, and flags already get a bool: there is nothing to
validate. This module passes those through and builds Typer's adapter only for a value that is
not already of the type; every other type keeps Typer's own coercion and error messages. If a
Typer upgrade moves the hook, nothing is patched and Typer behaves as before.

Numbers get one more check at this boundary (:func:`number_problem`): an integer beyond 64 bits
or a float that is not finite ("nan", "inf", "1e309") is a usage error (exit 2) in Chinese, so
no command ever hands one to the engine or the database.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args, get_origin

PLAIN_TYPES: tuple[type, ...] = (str, bool)
INT_LIMIT = 2**63 - 1
"""Integers beyond 64 bits fit no id, count or chat id the database holds."""


def number_problem(value: Any) -> str | None:
    """Why a number typed on the command line cannot be used (``None`` when it can)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not -INT_LIMIT - 1 <= value <= INT_LIMIT:
        return "数值超出范围"
    if isinstance(value, float) and not math.isfinite(value):
        return "应为有限的数字（不接受 nan、inf 或超出范围的数）"
    return None


def _numeric(annotation: Any) -> bool:
    if annotation in (int, float):
        return True
    return get_origin(annotation) in (list, tuple) and any(a in (int, float)
                                                          for a in get_args(annotation))


def install() -> None:
    """Route ``str`` and ``bool`` parameters around the adapter (idempotent)."""
    try:
        import typer.core as typer_core
        from typer._click.exceptions import BadParameter
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

    @dataclass(frozen=True)
    class CheckedNumberParam(RuntimeParam):  # type: ignore[misc]
        inner: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            result = self.inner._coerce_value(value, param=param, ctx=ctx)
            for item in result if isinstance(result, list | tuple) else (result,):
                problem = number_problem(item)
                if problem is not None:
                    raise BadParameter(problem, ctx=ctx, param=param)
            return result

    def build_runtime_param(descriptor: Any) -> Any:
        info = descriptor.parameter_info
        custom = getattr(info, "parser", None) or getattr(info, "click_type", None)
        if descriptor.file_annotation is None and not custom and descriptor.annotation in PLAIN_TYPES:
            return PlainRuntimeParam(annotation=descriptor.annotation, parameter_info=info,
                                     descriptor=descriptor)
        built = original(descriptor)
        if _numeric(descriptor.annotation):
            return CheckedNumberParam(annotation=descriptor.annotation, parameter_info=info,
                                      inner=built)
        return built

    build_runtime_param._duban = True  # type: ignore[attr-defined]
    typer_core.build_runtime_param = build_runtime_param
