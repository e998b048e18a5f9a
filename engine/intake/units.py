"""Units as intake knows them, under the import path callers use: the directory snapshot
(:mod:`.directory`), unit names found in text (:mod:`.unit_names`) and the roles units take in
a requirement (:mod:`.roles`).
"""

from __future__ import annotations

from engine.intake.directory import Directory, DirectoryPerson, DirectoryUnit
from engine.intake.roles import Roles, assign_roles, cell_units
from engine.intake.unit_names import GENERIC, GROUPS, ORG_SUFFIXES, UnitMatcher, UnitMention

__all__ = ["GENERIC", "GROUPS", "ORG_SUFFIXES", "Directory", "DirectoryPerson", "DirectoryUnit",
           "Roles", "UnitMatcher", "UnitMention", "assign_roles", "cell_units"]
