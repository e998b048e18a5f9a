"""The bulletin as a document: its parts (built by :mod:`engine.reports.bulletin`) and the two
renderers, Markdown and Word.

The Word file follows the usual layout of government documents: A4; title in 方正小标宋简体 二号
(22 pt) centred, with 黑体 registered as its substitute in the font table for machines without
it; section headings (一、…) in 黑体 and sub-headings (（一）…) in 楷体_GB2312, both real
Heading 1 / Heading 2 styles so the outline works; body in 仿宋_GB2312 三号 (16 pt) with a
two-character first-line indent; the overdue list as a gridded table. Chinese fonts are set on
``w:rFonts/@w:eastAsia`` (the attribute Word uses for CJK text), theme fonts removed.
python-docx is imported only when a Word file is written.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.inputs import one_line, printable

TITLE_FONT, TITLE_FALLBACK = "方正小标宋简体", "黑体"
BODY_FONT, HEADING_FONT, SUBHEADING_FONT = "仿宋_GB2312", "黑体", "楷体_GB2312"
LATIN_FONT = "Times New Roman"


@dataclass
class Stats:
    """Counts of the period's tasks and its directives by kind (definitions: the docstring of
    :mod:`engine.reports.bulletin`); ``closed + in_progress + overdue == total``, and
    ``overdue + carried_overdue`` is section 五's total."""

    directives: dict[str, int]
    total: int
    closed: int
    in_progress: int
    overdue: int
    carried_overdue: int = 0
    """Tasks of earlier periods overdue at the same moment (section 五 counts both)."""

    @property
    def rate(self) -> float | None:
        """办结率 in percent, ``None`` when there is no task."""
        return 100.0 * self.closed / self.total if self.total else None


@dataclass
class Table:
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass
class Block:
    """A part of a section: an optional heading (numbered （一）（二）… when rendered),
    paragraphs, an optional table."""

    heading: str = ""
    paragraphs: list[str] = field(default_factory=list)
    table: Table | None = None


@dataclass
class Section:
    title: str
    blocks: list[Block]


@dataclass
class BulletinData:
    title: str
    date_line: str
    summary: str
    stats: Stats
    sections: list[Section]
    overdue_units: list[tuple[str, int]]
    """(unit name, overdue tasks) in the order section 五 names them."""
    anchor: str = ""
    """The audit chain's anchor ("审计锚点：SEQ:HASH") printed at the end: published outside the
    database, it lets anyone check later that the records behind the bulletin were not rewritten."""


def ordinal(n: int) -> str:
    """1 → （一）, 12 → （十二）, 25 → （二十五）; from 100 on, Arabic digits."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if n >= 100:
        return f"（{n}）"
    word = (digits[tens] if tens > 1 else "") + ("十" if tens else "") + (digits[ones] if ones else "")
    return f"（{word}）"


def headings(section: Section) -> list[str]:
    """Each block's heading as shown: numbered in order among the blocks that have one."""
    shown, n = [], 0
    for block in section.blocks:
        n += bool(block.heading)
        shown.append(f"{ordinal(n)}{block.heading}" if block.heading else "")
    return shown


def render_markdown(data: BulletinData) -> str:
    """Title (#), date line, statistics paragraph, sections (##), sub-parts (###), the table.

    Text from the database goes through :func:`engine.inputs.printable` (headings and cells also
    through :func:`engine.inputs.one_line`): no stored character can break the file.
    """
    lines = [f"# {one_line(data.title)}", "", data.date_line, "", printable(data.summary), ""]
    for section in data.sections:
        lines += [f"## {section.title}", ""]
        for block, heading in zip(section.blocks, headings(section), strict=True):
            if heading:
                lines += [f"### {one_line(heading)}", ""]
            for paragraph in block.paragraphs:
                lines += [printable(paragraph), ""]
            if block.table is not None and block.table.rows:
                lines += [_md_row(block.table.headers), "|" + "---|" * len(block.table.headers)]
                lines += [_md_row(r) for r in block.table.rows] + [""]
    if data.anchor:
        lines += [f"`{data.anchor}`", ""]
    return "\n".join(lines)


def _md_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(one_line(c).replace("|", "｜") for c in cells) + " |"


def write_docx(data: BulletinData, path: Path) -> None:
    """Write the bulletin as a .docx at ``path`` (through a temporary file beside it, so a
    failure leaves no partial file)."""
    from docx import Document

    document = Document()
    _setup(document)
    # Word's XML cannot hold control characters: every text goes in through printable().
    document.add_paragraph(one_line(data.title), style="Title")
    document.add_paragraph(data.date_line, style="Date Line")
    document.add_paragraph(printable(data.summary))
    for section in data.sections:
        document.add_heading(section.title, level=1)
        for block, heading in zip(section.blocks, headings(section), strict=True):
            if heading:
                document.add_heading(one_line(heading), level=2)
            for paragraph in block.paragraphs:
                document.add_paragraph(printable(paragraph))
            if block.table is not None and block.table.rows:
                _table(document, block.table)
    if data.anchor:
        document.add_paragraph(data.anchor, style="Anchor")
    document.core_properties.title = one_line(data.title)
    document.core_properties.language = "zh-CN"
    path = Path(path)
    handle, temp = tempfile.mkstemp(suffix=".docx", prefix=".bulletin-", dir=path.parent)
    os.close(handle)
    try:
        document.save(temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _setup(document: Any) -> None:
    """A4 with official margins; the styles described in the module docstring."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    page = document.sections[0]
    page.page_width, page.page_height = Mm(210), Mm(297)
    page.top_margin, page.bottom_margin = Mm(37), Mm(35)
    page.left_margin, page.right_margin = Mm(28), Mm(26)
    styles = document.styles
    normal = styles["Normal"]
    _font(normal, BODY_FONT, 16)
    normal.paragraph_format.first_line_indent = Pt(32)
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    title = styles["Title"]
    _font(title, TITLE_FONT, 22)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.first_line_indent = Pt(0)
    title.paragraph_format.space_after = Pt(12)
    _drop(title.element.pPr, "w:pBdr")
    date_line = styles.add_style("Date Line", WD_STYLE_TYPE.PARAGRAPH)
    date_line.base_style = normal
    date_line.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    date_line.paragraph_format.first_line_indent = Pt(0)
    anchor = styles.add_style("Anchor", WD_STYLE_TYPE.PARAGRAPH)
    anchor.base_style = normal
    anchor.font.size = Pt(9)
    anchor.paragraph_format.first_line_indent = Pt(0)
    anchor.paragraph_format.space_before = Pt(24)
    for name, font in (("Heading 1", HEADING_FONT), ("Heading 2", SUBHEADING_FONT)):
        heading = styles[name]
        _font(heading, font, 16, bold=False)
        heading.paragraph_format.first_line_indent = Pt(32)
        heading.paragraph_format.space_before = Pt(6)
    _register_fallback(document, TITLE_FONT, TITLE_FALLBACK)


def _font(style: Any, east_asian: str, size: float, *, bold: bool | None = None) -> None:
    """Set the style's CJK font (``w:eastAsia``), Latin font, size and black colour; theme
    fonts and colours of the template are removed so they cannot override these."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font = style.font
    font.name = LATIN_FONT
    font.size = Pt(size)
    font.color.rgb = RGBColor(0, 0, 0)
    if bold is not None:
        font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    color = rpr.find(qn("w:color"))
    for attr in ("w:themeColor", "w:themeShade", "w:themeTint"):
        color.attrib.pop(qn(attr), None)


def _drop(parent: Any, tag: str) -> None:
    from docx.oxml.ns import qn

    if parent is not None:
        for child in parent.findall(qn(tag)):
            parent.remove(child)


def _register_fallback(document: Any, name: str, alternative: str) -> None:
    """Declare ``name`` in the font table with ``alternative`` as its ``w:altName``: Word uses
    the alternative where ``name`` is not installed."""
    from docx.oxml.ns import qn
    from lxml import etree

    part = next(p for p in document.part.package.iter_parts()
                if str(p.partname) == "/word/fontTable.xml")
    root = etree.fromstring(part.blob)
    font = etree.SubElement(root, qn("w:font"), {qn("w:name"): name})
    etree.SubElement(font, qn("w:altName"), {qn("w:val"): alternative})
    etree.SubElement(font, qn("w:charset"), {qn("w:val"): "86"})  # GB2312
    etree.SubElement(font, qn("w:family"), {qn("w:val"): "auto"})
    etree.SubElement(font, qn("w:pitch"), {qn("w:val"): "variable"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _table(document: Any, table: Table) -> None:
    """A gridded table, header row bold and repeated on each page, cells not indented."""
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    grid = document.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, table.headers, strict=True):
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
    header = grid.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))
    for values in table.rows:
        for cell, text in zip(grid.add_row().cells, values, strict=True):
            cell.paragraphs[0].add_run(one_line(text))
    for row in grid.rows:
        for cell in row.cells:
            fmt = cell.paragraphs[0].paragraph_format
            fmt.first_line_indent, fmt.line_spacing = Pt(0), 1.0
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(12)
