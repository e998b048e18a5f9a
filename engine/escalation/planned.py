"""What a pass queued, as ``duban tick --json`` lists it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Planned:
    """One queued message (or created occurrence) with its de-duplication key."""

    kind: str
    task_id: int | None
    level: int
    recipient: str
    dedupe_key: str


def planned_json(items: list[Planned]) -> list[dict[str, Any]]:
    return [asdict(p) for p in items]
