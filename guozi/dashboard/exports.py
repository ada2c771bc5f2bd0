"""The whole cockpit as one file: an .xlsx workbook with one sheet per card, or a PDF with each
card's chart and table. Both carry a watermark naming the user and the time (a note above each
sheet and the sheets' printed footer; the PDF's page footer), and both are written to the audit
log with the query that scoped them.
"""

import io

from django.http import HttpResponse
from django.template.loader import render_to_string

from guozi.audit.services import audit_record
from guozi.indicators.exports import CONTENT_TYPE, FILE_NAME_CHARS, write_tables
from guozi.indicators.presenters import Table
from guozi.lib.charts import render_svg
from guozi.lib.pdf import cjk_font, html_to_pdf
from guozi.registry.exports import watermark

from .cards import Card
from .state import CockpitState


def _file_name(state: CockpitState, extension: str) -> str:
    name = f"cockpit-{state.choices.form.code}-{state.period or 'none'}"
    return FILE_NAME_CHARS.sub("_", name) + "." + extension


def _audit(user, state: CockpitState, query: dict, fmt: str, cards: list[Card]) -> None:
    audit_record(
        actor=user,
        action="export",
        instance=state.choices.form,
        after={
            "event": "cockpit_export",
            "format": fmt,
            "query": query,
            "cards": [card.key for card in cards],
            "rows": sum(len(card.table.rows) for card in cards),
        },
        enterprise_id=state.focus.id if state.focus else None,
    )


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def workbook(cards: list[Card], mark: str) -> bytes:
    """One sheet per card; the watermark is each sheet's first note, its printed footer and
    its last line."""
    tables = [
        Table(c.table.key, c.title, c.table.headers, c.table.rows, [mark, *c.notes]) for c in cards
    ]
    stream = io.BytesIO()
    write_tables(stream, tables, stamp=mark)
    return stream.getvalue()


def xlsx_response(user, state: CockpitState, cards: list[Card], query: dict) -> HttpResponse:
    content = workbook(cards, watermark(user))
    _audit(user, state, query, "xlsx", cards)
    return _download(content, CONTENT_TYPE, _file_name(state, "xlsx"))


def pdf_document(state: CockpitState, cards: list[Card], mark: str) -> str:
    """The HTML the PDF is printed from: each card's title, notes, chart (drawn on the server
    from the same data) and table."""
    font = cjk_font()
    drawn = [(card, render_svg(card.chart) if card.chart and card.chart.categories else "")
             for card in cards]  # fmt: skip
    return render_to_string(
        "dashboard/cockpit_pdf.html",
        {"state": state, "cards": drawn, "mark": mark, "font": font},
    )


def pdf_response(user, state: CockpitState, cards: list[Card], query: dict) -> HttpResponse:
    content = html_to_pdf(pdf_document(state, cards, watermark(user)))
    _audit(user, state, query, "pdf", cards)
    return _download(content, "application/pdf", _file_name(state, "pdf"))
