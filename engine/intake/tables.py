"""Tables a web copy flattened to one cell per line.

A 任务分解表 pasted from a page often arrives as its header cells one under the other ("序号 |",
"目标与任务 |", "牵头责任单位 |" …), then each row the same way, with the section headings of
the table ("二、全力以赴扩投资…") between rows. :func:`vertical_header` recognises such a header
(at least three column names, among them a task and a lead column, and a 序号 column first);
:class:`VerticalRows` then gathers the cells of each row, which starts with its number. A row the
copy cut off before its last cell is dropped: its units are unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.intake.segment import Block, Span, column_role, header_columns

_NUMBER = re.compile(r"\d{1,3}")
_TRAILING_BAR = re.compile(r"[\s|｜]+$")


def cell_span(text: str, block: Block) -> Span:
    """The block as one cell: without the "|" a flattened table leaves after it."""
    m = _TRAILING_BAR.search(text, block.start, block.end)
    return block.start, m.start() if m else block.end


def vertical_header(text: str, body: list[Block], k: int) -> tuple[dict[str, int], int] | None:
    """Column roles and the number of columns when ``body[k]`` starts a header written one cell
    per line."""
    names: list[str] = []
    for block in body[k:k + 12]:
        a, b = cell_span(text, block)
        if column_role(text[a:b]) is None:
            break
        names.append(text[a:b])
    columns = header_columns(names) if names and column_role(names[0]) == "no" else None
    return (columns, len(names)) if columns else None


@dataclass
class VerticalRows:
    """Gathers the rows of a one-cell-per-line table after its header (``skip`` lines)."""

    columns: dict[str, int]
    width: int
    skip: int
    cells: list[Span] = field(default_factory=list)

    def take(self, text: str, block: Block) -> str | list[Span]:
        """"more" while a row is being read, the cells of a finished row, or "out" when the
        block is no part of the table."""
        if self.skip:
            self.skip -= 1
            return "more"
        a, b = cell_span(text, block)
        if not self.cells:
            numbered = block.level == 3 and a == b  # "80 |": the number read as a list marker
            if numbered or _NUMBER.fullmatch(text, a, b):
                self.cells.append((a, b))
                return "more"
            return "more" if block.level else "out"  # a section heading between rows
        self.cells.append((a, b))
        if len(self.cells) < self.width:
            return "more"
        row, self.cells = self.cells, []
        return row
