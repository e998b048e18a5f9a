"""The review of a document's drafts as the console shows it (文件识别), and reading the office's
corrections back from the review form.

The review is built from :func:`engine.intake.apply.result_json` — the very data ``duban ingest
--json`` prints — so the console and the CLI show the same drafts; the source text is cut into
pieces, each marked with the drafts whose evidence it is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from engine.intake.apply import ApplyChoices, DraftEdit
from web.source_forms import names

EDIT_FIELDS = ("title", "lead", "co", "due", "leader")


@dataclass
class ReviewRow:
    """One draft in the review: what was read, what the office typed, and the messages."""

    index: int
    directive_key: str
    read: dict[str, str]
    typed: dict[str, str]
    skip: bool
    proposed: list[dict[str, Any]]
    owner: str | None
    due_at: str | None
    quantity: str
    confidence: float
    low_confidence: bool
    excerpt: str
    errors: dict[str, str] = field(default_factory=dict)
    derived_leader: str | None = None
    """With no leader typed: the leader the stored task gets from its lead unit (the engine's
    :func:`engine.org.leaders.unit_leader_names`), shown as a hint."""


def read_values(task: dict[str, Any]) -> dict[str, str]:
    """The editable fields of a draft as read from the document (known units only: a proposed
    unit is not in the directory and cannot be stored until the office adds or replaces it)."""
    leads = [u["name"] for u in task["lead_units"]]
    co = leads[1:] + [u["name"] for u in task["co_units"]]
    due = task["recurrence"] or task["due_text"] or ""
    return {"title": task["title"], "lead": leads[0] if leads else "", "co": "、".join(co),
            "due": due, "leader": ""}


def review_rows(data: dict[str, Any], text: str, form: FormData | None = None) -> list[ReviewRow]:
    """The rows of the review table; with ``form``, what the office typed replaces what was read."""
    rows = []
    for task in data["tasks"]:
        k, read = task["index"], read_values(task)
        typed = dict(read)
        skip = False
        if form is not None:
            # A field the form does not carry keeps what was read; one sent empty is cleared.
            typed = {name: read[name] if form.get(f"{name}-{k}") is None
                     else str(form.get(f"{name}-{k}")).strip()[:500] for name in EDIT_FIELDS}
            skip = bool(form.get(f"skip-{k}"))
        start, end = task["source_span"]
        quantity = f"{task['quantity']:g}{task['measure'] or ''}" if task["quantity"] else ""
        rows.append(ReviewRow(
            index=k, directive_key=task["directive_key"], read=read, typed=typed, skip=skip,
            proposed=task["proposed_units"], owner=task["owner"],
            due_at=(task["due_at"] or "")[:16].replace("T", " ") or None, quantity=quantity,
            confidence=task["confidence"], low_confidence=task["low_confidence"],
            excerpt=text[start:end][:120]))
    return rows


def choices_from(rows: list[ReviewRow], *, again: bool, source: str) -> ApplyChoices:
    """What the office decided: skipped rows, deadlines typed anew, other corrections."""
    due: dict[int, str] = {}
    edits: dict[int, DraftEdit] = {}
    for row in rows:
        if row.skip:
            continue
        if row.typed["due"] != row.read["due"] and row.typed["due"]:
            due[row.index] = row.typed["due"]
        units_changed = (row.typed["lead"], row.typed["co"]) != (row.read["lead"], row.read["co"])
        title = row.typed["title"] if row.typed["title"] != row.read["title"] else None
        leader = row.typed["leader"] if row.typed["leader"] != row.read["leader"] else None
        if units_changed or title is not None or leader is not None:
            edits[row.index] = DraftEdit(
                title=title,
                lead_unit=row.typed["lead"] if units_changed else None,
                co_units=tuple(names(row.typed["co"])) if units_changed else None,
                leader=leader)
    return ApplyChoices(skip=frozenset(r.index for r in rows if r.skip), due=due, edits=edits,
                        again=again, source=source)


def highlighted(text: str, data: dict[str, Any]) -> list[tuple[str, list[int]]]:
    """``text`` cut at every draft's evidence span: (piece, numbers of the drafts it backs)."""
    spans = [(t["source_span"][0], t["source_span"][1], t["index"]) for t in data["tasks"]
             if t["source_span"][1] > t["source_span"][0]]
    cuts = sorted({0, len(text), *(s for s, _e, _k in spans), *(e for _s, e, _k in spans)})
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if b <= a or a >= len(text):
            continue
        backing = [k for s, e, k in spans if s <= a and b <= e]
        pieces.append((text[a:b], backing))
    return pieces


def digest(data: dict[str, Any]) -> str:
    """What the review showed, in short: applying re-reads the text and must find the same."""
    shown = [(t["index"], t["title"], t["source_span"], t["lead_units"], t["co_units"],
              t["due_text"]) for t in data["tasks"]]
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()[:32]
