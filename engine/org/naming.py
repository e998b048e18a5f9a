"""How documents and users name a person: "炳森书记", "邢鹏市长", "希锋同志" (one rule for the
directory lookup and for document intake)."""

from __future__ import annotations

from collections.abc import Iterable


def given_name(name: str) -> str:
    """The given name of a three-character name ("王炳森" → "炳森"); other lengths are kept whole
    (two-character names are used in full, four-character ones usually have a double surname)."""
    return name[1:] if len(name) == 3 else name


def title_forms(name: str, titles: Iterable[str]) -> list[str]:
    """For each non-empty title, in order: full name + title, then given name + title."""
    given = given_name(name)
    forms: list[str] = []
    for title in filter(None, titles):
        forms += [name + title, given + title]
    return forms
