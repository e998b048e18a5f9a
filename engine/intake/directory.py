"""The directory snapshot: the units and people intake knows — its only knowledge of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DirectoryUnit:
    """A unit as the directory knows it; ``kind`` is department|district|town|company."""

    code: str
    name: str
    short_names: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class DirectoryPerson:
    """A person; ``title`` like 副市长, ``unit_code`` the unit the person heads, if any."""

    name: str
    title: str
    aliases: tuple[str, ...]
    unit_code: str | None


@dataclass(frozen=True)
class Directory:
    """A read-only snapshot of units and people, the only knowledge intake has."""

    units: tuple[DirectoryUnit, ...]
    people: tuple[DirectoryPerson, ...]
