"""The intake scorer on the shared corpus of real texts from many offices (``../shared/corpus``).

Every document is ingested into a fresh database with a directory that knows its units and with
an empty one; the figures per document, per class of document and overall are printed, and the
overall figures must stay above the floors. The corpus lives beside the repository: where it is
absent the test skips, except under CI (``CI=true`` or ``DUBAN_REQUIRE_PG=1``), where it fails.
See :mod:`tests.intake.shared_corpus` for how each figure is counted.
"""

from __future__ import annotations

import pytest

from tests.engine.intake.shared_corpus import (
    CORPUS,
    Figures,
    load_docs,
    report,
    required,
    score_all,
)

FLOORS: dict[str, dict[str, float]] = {
    "known": {"recall": 0.90, "units": 0.90, "deadlines": 0.90, "precision": 0.90},
    "blank": {"recall": 0.90, "units": 0.80, "deadlines": 0.90, "precision": 0.90},
}
"""Overall floors per directory setting (the targets of issue 13)."""


@pytest.fixture(scope="module")
def scores() -> dict[str, dict[str, Figures]]:
    if not (CORPUS / "labels.json").exists():
        if required():
            pytest.fail(f"shared corpus missing at {CORPUS}")
        pytest.skip("shared corpus not available")
    return score_all(load_docs())


def test_shared_corpus_figures(scores: dict[str, dict[str, Figures]],
                               capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("\n" + report(scores))
    for setting, floors in FLOORS.items():
        overall = scores[setting]["overall"]
        for figure, floor in floors.items():
            assert getattr(overall, figure) >= floor, (setting, figure, overall.row())


def test_every_document_applies(scores: dict[str, dict[str, Figures]]) -> None:
    """Applying what the analysis found succeeds for every document on its own date."""
    refused = [f"{name}: {note}" for setting in scores.values() for name, fig in setting.items()
               for note in fig.notes if note.startswith("apply refused")]
    assert refused == []


def test_no_document_is_scored_twice() -> None:
    if not (CORPUS / "labels.json").exists():
        pytest.skip("shared corpus not available")
    names = [doc.name for doc in load_docs()]
    assert len(names) == len(set(names)) == 30
