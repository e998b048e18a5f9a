"""Primary keys of stored rows, typed."""

from __future__ import annotations

from typing import Protocol


class _HasId(Protocol):
    id: int | None


def pk(row: _HasId) -> int:
    """The id of a row that has been flushed (SQLModel types it optional until then)."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush before reading it")
    return row.id
