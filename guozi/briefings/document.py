"""A brief as one document, rendered four ways: print-ready HTML, PDF, Word and an .xlsx
appendix of its figures.

A `Document` is a cover and a list of `Part`s (a heading, the analyst's text, points, tables,
charts and notes), built from the data by `compose.py`; the renderers here know nothing of tours.
Charts are drawn on the server from the same `Chart` the web pages give ECharts, once per
document as PNG images (`chart_images`) that the HTML, the PDF and Word all show. Tables are
`presenters.Table`, so the appendix is the indicator pages' export (`write_tables`).
"""

import base64
import io
from dataclasses import dataclass, field, replace

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from guozi.indicators.exports import write_tables
from guozi.indicators.presenters import Table, text_cell
from guozi.lib.charts import Chart, render_png
from guozi.lib.pdf import cjk_font, html_to_pdf

CHART_WIDTH_CM = 16
CHART_DPI = 200  # sharp on paper at the chart's printed width


@dataclass
class Part:
    key: str
    title: str
    level: int = 2  # 1: a chapter (the overview, a stop), starting on a new page; 2 and 3 below
    paragraphs: list[str] = field(default_factory=list)
    points: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    empty: str = ""  # shown when the part has nothing else
    label: str = ""  # prefix of its tables' sheet names in the appendix, e.g. "2"

    @property
    def has_content(self) -> bool:
        return bool(self.paragraphs or self.points or self.tables or self.charts)


@dataclass
class Document:
    title: str
    subtitle: str
    facts: list[tuple[str, str]]  # the cover's facts: supervisor, dates, period, author
    parts: list[Part]
    watermark: str  # who generated it and when, on every page

    def tables(self) -> list[Table]:
        """Every table of the document, each named after its part (for the appendix)."""
        found = []
        for part in self.parts:
            for table in part.tables:
                title = f"{part.label} {table.title}".strip() if part.label else table.title
                found.append(replace(table, title=title, notes=[part.title, *table.notes]))
        return found


def paragraphs(text: str) -> list[str]:
    """Paragraphs of an edited text: blocks separated by blank lines."""
    blocks = [block.strip() for block in (text or "").replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block]


def points_table(rows: list[tuple[str, str]]) -> Table:
    """The points to raise of every stop, for the appendix."""
    return Table(
        key="points",
        title=_("Points to raise"),
        headers=[_("Stop"), _("Point")],
        rows=[[text_cell(stop), text_cell(point)] for stop, point in rows],
    )


# -- HTML and PDF ------------------------------------------------------------------------------


def chart_images(document: Document, *, progress=None) -> dict[int, bytes]:
    """Every chart of the document drawn once, as PNG, by the chart's id()."""
    images = {}
    for part in document.parts:
        for chart in part.charts:
            images[id(chart)] = render_png(chart, dpi=CHART_DPI)
            if progress:
                progress()
    return images


def render_html(document: Document, images: dict[int, bytes]) -> str:
    """A standalone, print-ready HTML page (its own styles, the charts inline)."""
    font = cjk_font()
    parts = []
    for part in document.parts:
        charts = [
            {
                "title": chart.title,
                "src": "data:image/png;base64," + base64.b64encode(images[id(chart)]).decode(),
                "notes": chart.notes,
            }
            for chart in part.charts
        ]
        parts.append({"part": part, "charts": charts})
    return render_to_string(
        "briefings/document.html",
        {"document": document, "parts": parts, "font": font, "font_css": font.css()},
    )


def render_pdf(html: str) -> bytes:
    return html_to_pdf(html)


# -- Word --------------------------------------------------------------------------------------


def render_docx(document: Document, images: dict[int, bytes]) -> bytes:
    """The document as .docx, the form government offices edit: headings, paragraphs,
    bulleted points, tables and charts (PNG), the watermark and page numbers in the footer."""
    from docx import Document as WordDocument
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm, Pt

    family = cjk_font().family
    word = WordDocument()
    section = word.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for margin in ("left_margin", "right_margin"):
        setattr(section, margin, Cm(2.2))
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet"):
        _east_asian_font(word.styles[name], family)
    word.styles["Normal"].font.size = Pt(10.5)
    _footer(section, document.watermark)

    word.add_paragraph(document.title, style="Title")
    if document.subtitle:
        word.add_paragraph(document.subtitle)
    for label, value in document.facts:
        line = word.add_paragraph()
        line.add_run(f"{label}：").bold = True
        line.add_run(value)
    first = True
    for part in document.parts:
        if part.level == 1 and not first:
            word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        first = False
        word.add_heading(part.title, level=min(part.level, 3))
        for text in part.paragraphs:
            word.add_paragraph(text)
        for point in part.points:
            word.add_paragraph(point, style="List Bullet")
        for chart in part.charts:
            word.add_picture(io.BytesIO(images[id(chart)]), width=Cm(CHART_WIDTH_CM))
        for table in part.tables:
            _table(word, table)
        for note in part.notes:
            word.add_paragraph(note).runs[0].italic = True
        if not part.has_content and part.empty:
            word.add_paragraph(part.empty).runs[0].italic = True
    stream = io.BytesIO()
    word.save(stream)
    return stream.getvalue()


def _east_asian_font(style, family: str) -> None:
    from docx.oxml.ns import qn

    style.font.name = family
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), family)


def _table(word, table: Table) -> None:
    from docx.shared import Pt

    if table.title:
        word.add_paragraph(table.title).runs[0].bold = True
    for note in table.notes:
        word.add_paragraph(note).runs[0].italic = True
    if not table.rows:
        return
    headers = [str(header) for header in table.headers]
    grid = word.add_table(rows=1, cols=len(headers))
    grid.style = "Table Grid"
    for cell, header in zip(grid.rows[0].cells, headers, strict=True):
        cell.text = header
        cell.paragraphs[0].runs[0].bold = True
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=False):
            cell.text = value.text
    for row in grid.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)


def _footer(section, watermark: str) -> None:
    """The watermark and "page N" in every page's footer."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.text = f"{watermark} · "
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


# -- the .xlsx appendix ------------------------------------------------------------------------


def render_xlsx(document: Document, extra: list[Table] = ()) -> bytes:
    """The figures of the document, one table a sheet, with what they are above each."""
    stream = io.BytesIO()
    write_tables(stream, [*extra, *document.tables()])
    return stream.getvalue()
