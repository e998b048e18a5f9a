"""Where tests find the project and the shared material beside it (seeds, corpus)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository's root."""

SHARED = ROOT.parent / "shared"
"""``../shared`` beside the clone: the seed documents and the labelled corpus."""
