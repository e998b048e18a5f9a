"""Scoring document intake on the shared corpus of real texts (``../shared/corpus``).

Every document is ingested into a fresh database twice: with a directory that already holds
every unit its labels name ("known") and with an empty one ("blank"). The analysis is read in
its ``--json`` form (the one the CLI prints) and the drafts are applied, as an office would.

- A labelled task is **found** when its key text lies in one produced task's title, requirement
  or source text; the matching is one-to-one (one produced task answers one label), so a
  paragraph returned as one task finds one of its requirements, not all.
- **Precision**: produced tasks that found a label, over produced tasks; a produced task that
  only holds a ``soft`` (borderline) item is left out of both counts.
- **Units** (over found tasks whose label names units): every labelled unit is among the task's
  lead, cooperating or proposed units, by code (known directory) or by any accepted spelling.
- **Deadlines** (over found tasks): a labelled recurrence needs a recurrence; otherwise the
  produced due date equals the labelled ISO date, and an undated label wants no date.

The module reads the corpus; nothing of it is copied into the project.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel

from tests.paths import SHARED

CORPUS = SHARED / "corpus"
TZ = ZoneInfo("Asia/Shanghai")
SETTINGS = ("known", "blank")

CLASSES: dict[str, tuple[int, ...]] = {
    "会议报道": (2, 3, 4, 5, 6, 7, 8, 9),
    "批示/交办": (10, 11, 12, 13),
    "督办/整改通知": (14, 15, 16, 17, 18),
    "督查通报": (1, 19, 20, 21),
    "分工方案/任务分解": (22, 23, 24, 25, 26),
    "消防与安全生产": (15, 16, 27, 28),
    "周期报送": (6, 18, 23, 28, 29, 30),
}
"""Classes of document as the corpus README lists them (a document may be in several)."""


def required() -> bool:
    """Whether a missing corpus is a failure (CI) rather than a skip."""
    return os.environ.get("CI") == "true" or os.environ.get("DUBAN_REQUIRE_PG") == "1"


@dataclass
class Doc:
    name: str
    number: int
    body: str
    labels: dict[str, Any]


def load_docs() -> list[Doc]:
    """Every labelled document with its body (the text after the ``# source`` line)."""
    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))["docs"]
    docs = []
    for name in sorted(labels):
        raw = (CORPUS / "docs" / name).read_text(encoding="utf-8")
        body = raw.split("\n", 1)[1] if raw.startswith("# source") else raw
        docs.append(Doc(name, int(name[:2]), body, labels[name]))
    return docs


# -- the directory -----------------------------------------------------------------------------

def label_entries(labels: dict[str, Any]) -> list[tuple[str, ...]]:
    """The distinct units the labels name, each as its accepted spellings (spaces removed)."""
    entries: list[tuple[str, ...]] = []
    for task in labels["tasks"]:
        for entry in [*task["lead"], *task["co"]]:
            spellings = tuple(dict.fromkeys(s.replace(" ", "") for s in entry.split("|")))
            if spellings not in entries:
                entries.append(spellings)
    return entries


def _kind(name: str) -> str:
    if re.search(r"(街道|街道办事处|镇|乡|村|社区)$", name):
        return "town"
    if re.search(r"(县|区|市)$|(县|区|市)政府$", name):
        return "district"
    return "department"


def directory_units(labels: dict[str, Any]) -> list[tuple[str, str, str, set[str]]]:
    """(code, name, kind, spellings) of the known directory: entries sharing a spelling are one
    unit, named by its longest spelling (the most official form)."""
    groups: list[set[str]] = []
    for entry in label_entries(labels):
        merged = set(entry)
        for group in [g for g in groups if g & merged]:
            merged |= group
            groups.remove(group)
        groups.append(merged)
    out = []
    for k, group in enumerate(groups, start=1):
        name = max(sorted(group), key=len)
        out.append((f"U{k:03d}", name, _kind(name), group))
    return out


def fresh_session(labels: dict[str, Any], setting: str) -> tuple[Session, Any]:
    """A new in-memory database with an office clerk and, when ``known``, the labels' units."""
    from config.orgfile import PersonSpec, UnitSpec
    from engine.org.setup import add_person, add_unit
    from engine.store.db import make_engine
    from engine.store.mode import set_simulation
    from tests.factories import act, operator

    engine = make_engine("sqlite://", poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    session = Session(engine, expire_on_commit=False)
    set_simulation(session, wall_clock=datetime.now(TZ))  # the documents' own dates are "now"
    session.commit()
    moment = datetime(2000, 1, 1, tzinfo=TZ)
    if setting == "known":
        for code, name, kind, _ in directory_units(labels):
            add_unit(session=session, spec=UnitSpec(code=code, name=name, kind=kind),  # type: ignore[arg-type]
                     actor=operator(), now=moment)
    office = add_person(session=session, spec=PersonSpec(name="督查员", roles=["office"]),
                        actor=operator(), now=moment)
    return session, act(office)


# -- running one document ------------------------------------------------------------------------

@dataclass
class Run:
    """The ``--json`` form of one document's analysis and what applying it gave."""

    data: dict[str, Any]
    applied: dict[str, Any] | None
    error: str | None


def ingest(doc: Doc, setting: str) -> Run:
    """Analyse and apply ``doc`` in a fresh database, on the day it was given (or a fixed day)."""
    from engine.errors import DubanError
    from engine.intake.apply import analyse, apply_drafts, result_json
    from engine.store.policy import get_policy, zone_for

    ref = date.fromisoformat(doc.labels["ref_date"]) if doc.labels["ref_date"] else None
    session, office = fresh_session(doc.labels, setting)
    try:
        result = analyse(session=session, actor=office, text=doc.body, ref_date=ref)
        data = result_json(result, zone_for(get_policy(session)))
        day = result.doc_date or ref or date(2024, 6, 1)
        now = datetime.combine(day, time(18, 0), tzinfo=TZ)
        try:
            report = apply_drafts(session=session, result=result, actor=office, now=now)
            return Run(data, report.as_dict(), None)
        except DubanError as exc:
            return Run(data, None, str(exc))
    finally:
        session.close()


# -- scoring ---------------------------------------------------------------------------------------

@dataclass
class Figures:
    """Counts of one document (or a sum of documents)."""

    labelled: int = 0
    found: int = 0
    produced: int = 0
    correct: int = 0
    with_units: int = 0
    units_ok: int = 0
    deadlines_ok: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for key in ("labelled", "found", "produced", "correct", "with_units", "units_ok",
                    "deadlines_ok"):
            setattr(self, key, getattr(self, key) + getattr(other, key))

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.produced if self.produced else 1.0

    @property
    def units(self) -> float:
        return self.units_ok / self.with_units if self.with_units else 1.0

    @property
    def deadlines(self) -> float:
        return self.deadlines_ok / self.found if self.found else 1.0

    def row(self) -> str:
        return (f"recall {self.recall:.2f} ({self.found}/{self.labelled})  "
                f"units {self.units:.2f} ({self.units_ok}/{self.with_units})  "
                f"deadlines {self.deadlines:.2f} ({self.deadlines_ok}/{self.found})  "
                f"precision {self.precision:.2f} ({self.correct}/{self.produced})")


def task_text(body: str, task: dict[str, Any]) -> str:
    start, end = task["source_span"]
    return "\n".join((task["title"], task["requirement"], body[start:end]))


def _matching(labels: list[dict[str, Any]], texts: list[str]) -> dict[int, int]:
    """Maximum one-to-one matching label index → produced task index (augmenting paths)."""
    edges = [[j for j, text in enumerate(texts) if lab["key"] in text] for lab in labels]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(labels)):
        augment(i, set())
    return {i: j for j, i in owner.items()}


def _names(task: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(codes, names) of every unit a produced task names: lead, co and proposed."""
    codes, names = set(), set()
    for unit in [*task["lead_units"], *task["co_units"]]:
        codes.add(unit["code"])
        names.add(unit["name"])
    names |= {p["name"] for p in task.get("proposed_units", [])}
    return codes, {n.replace(" ", "") for n in names}


def _units_ok(labels: dict[str, Any], label: dict[str, Any], task: dict[str, Any],
              setting: str) -> bool:
    directory = {frozenset(s): code for code, _, _, s in directory_units(labels)} \
        if setting == "known" else {}
    codes, names = _names(task)
    for entry in [*label["lead"], *label["co"]]:
        spellings = {s.replace(" ", "") for s in entry.split("|")}
        code = next((c for group, c in directory.items() if spellings <= group), None)
        if not (spellings & names or (code is not None and code in codes)):
            return False
    return True


def _deadline_ok(label: dict[str, Any], task: dict[str, Any]) -> bool:
    if label.get("recurrence"):
        return bool(task.get("recurrence"))
    due = datetime.fromisoformat(task["due_at"]).astimezone(TZ).date().isoformat() \
        if task.get("due_at") else None
    return due == label.get("due")


def score(doc: Doc, run: Run, setting: str) -> Figures:
    """The figures of one document in one setting, with a line per miss."""
    labels, tasks = doc.labels["tasks"], run.data["tasks"]
    texts = [task_text(doc.body, t) for t in tasks]
    pairs = _matching(labels, texts)
    fig = Figures(labelled=len(labels), found=len(pairs))
    matched = set(pairs.values())
    for j, text in enumerate(texts):
        if j in matched:
            fig.produced += 1
            fig.correct += 1
        elif not any(s in text for s in doc.labels["soft"]):
            fig.produced += 1
            fig.notes.append(f"extra: {tasks[j]['title']}")
    for i, label in enumerate(labels):
        if i not in pairs:
            fig.notes.append(f"missed: {label['key']}")
            continue
        task = tasks[pairs[i]]
        if label["lead"] or label["co"]:
            fig.with_units += 1
            if _units_ok(doc.labels, label, task, setting):
                fig.units_ok += 1
            else:
                got = sorted(_names(task)[1])
                fig.notes.append(f"units: {label['key']} want {label['lead'] + label['co']} got {got}")
        if _deadline_ok(label, task):
            fig.deadlines_ok += 1
        else:
            fig.notes.append(f"deadline: {label['key']} want {label.get('due')}"
                             f"/{label.get('recurrence')} got {task.get('due_at')}"
                             f"/{task.get('recurrence')}")
    if run.error:
        fig.notes.append(f"apply refused: {run.error}")
    return fig


def score_all(docs: list[Doc]) -> dict[str, dict[str, Figures]]:
    """Figures per setting: per document (by name), per class (by class name) and "overall"."""
    out: dict[str, dict[str, Figures]] = {}
    for setting in SETTINGS:
        figures: dict[str, Figures] = {"overall": Figures()}
        figures.update({f"[{c}]": Figures() for c in CLASSES})
        for doc in docs:
            fig = score(doc, ingest(doc, setting), setting)
            figures[doc.name] = fig
            figures["overall"].add(fig)
            for cls, numbers in CLASSES.items():
                if doc.number in numbers:
                    figures[f"[{cls}]"].add(fig)
        out[setting] = figures
    return out


def report(scores: dict[str, dict[str, Figures]], *, details: bool = True) -> str:
    """A printable report: per document (with its misses), per class, overall."""
    lines = []
    for setting, figures in scores.items():
        lines.append(f"== {setting} directory")
        for name, fig in figures.items():
            if name[0].isdigit():
                lines.append(f"  {name[:34]:34s} {fig.row()}")
                lines += [f"      - {n}" for n in fig.notes] if details else []
        for name, fig in figures.items():
            if not name[0].isdigit():
                lines.append(f"  {name:34s} {fig.row()}")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m tests.engine.intake.shared_corpus [-q]
    import sys

    print(report(score_all(load_docs()), details="-q" not in sys.argv))
