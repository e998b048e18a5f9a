"""The saved reports' Markdown as blocks a template renders (and autoescapes).

Only the subset the engine's report writers produce (:func:`engine.summary.render.render_markdown`)
is understood — headings ``#``/``##``, list items ``- ``, pipe tables with their ``|---|`` rule,
a line in backticks (the audit anchor), paragraphs; anything else stays a paragraph of plain
text. No HTML is produced here: every text goes to the template as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Block:
    kind: str
    """``h1``, ``h2``, ``p``, ``ul``, ``table`` or ``code``."""
    text: str = ""
    items: list[str] = field(default_factory=list)
    """List items (``ul``) or the header cells (``table``)."""
    rows: list[list[str]] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _is_rule(line: str) -> bool:
    return set(line.strip()) <= {"|", "-", ":", " "} and "-" in line


def blocks(markdown: str) -> list[Block]:
    """``markdown`` as a list of blocks, in order."""
    out: list[Block] = []
    for raw in markdown.splitlines():
        line = raw.rstrip()
        last = out[-1] if out else None
        if not line.strip():
            out.append(Block("gap"))
        elif line.startswith("## ") or line.startswith("# "):
            out.append(Block("h2" if line.startswith("## ") else "h1", line.lstrip("#").strip()))
        elif line.startswith("- "):
            if last is None or last.kind != "ul":
                last = Block("ul")
                out.append(last)
            last.items.append(line[2:].strip())
        elif line.lstrip().startswith("|"):
            if last is not None and last.kind == "table":
                if not _is_rule(line):
                    last.rows.append(_cells(line))
            else:
                out.append(Block("table", items=_cells(line)))
        elif len(line) > 1 and line.startswith("`") and line.endswith("`"):
            out.append(Block("code", line.strip("`")))
        else:
            out.append(Block("p", line.strip()))
    return [b for b in out if b.kind != "gap"]
