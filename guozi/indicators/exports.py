"""Indicator tables as .xlsx workbooks, each export written to the audit log.

A page's tables (`presenters.Table`) go one to a sheet, with the notes that say what the figures
are (period, basis, scope, data status) above the header. Numbers are numbers with the format the
page shows them in (a % ratio is the fraction, formatted as a percentage); a missing or undefined
figure is the reason it is one, never an empty cell or 0.
"""

import io
import re

import xlsxwriter
from django.http import HttpResponse
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.registry.exports import neutralise
from guozi.reporting.models import Form

from .presenters import Table

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAME_CHARS = re.compile(r"[\[\]:*?/\\]")
FILE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def _formats(workbook) -> dict:
    pp = _("pp")
    return {
        "int": workbook.add_format({"num_format": "#,##0"}),
        "amount": workbook.add_format({"num_format": "#,##0.00"}),
        "percent": workbook.add_format({"num_format": "0.00%"}),
        "share": workbook.add_format({"num_format": "0.00%"}),
        "ratio": workbook.add_format({"num_format": "#,##0.00"}),
        "days": workbook.add_format({"num_format": "#,##0.0"}),
        "growth": workbook.add_format({"num_format": "+0.00%;-0.00%;0.00%"}),
        # Percentage points are written as points (1.25), not as a fraction (0.0125).
        "pp": workbook.add_format({"num_format": f'+0.00" {pp}";-0.00" {pp}";0.00" {pp}"'}),
        "delta": workbook.add_format({"num_format": "+#,##0.00;-#,##0.00;0.00"}),
    }


def workbook_value(cell) -> float:
    """The number a cell holds in the workbook."""
    return cell.value * 100 if cell.kind == "pp" else cell.value


def write_tables(stream, tables: list[Table]) -> int:
    """Write each table to its own sheet of an .xlsx workbook; returns the rows written."""
    workbook = xlsxwriter.Workbook(
        stream, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    formats = _formats(workbook)
    header = workbook.add_format({"bold": True, "bg_color": "#eef2f7", "border": 1})
    note = workbook.add_format({"italic": True, "font_color": "#52606d"})
    written, names = 0, set()
    for table in tables or [Table("empty", _("No figures"), [], [])]:
        sheet = workbook.add_worksheet(_sheet_name(table.title or table.key, names))
        line = 0
        for text in table.notes:
            sheet.write_string(line, 0, neutralise(str(text)), note)
            line += 1
        if table.notes:
            line += 1
        for column, title in enumerate(table.headers):
            sheet.write_string(line, column, neutralise(str(title)), header)
        top = line
        for row in table.rows:
            line += 1
            for column, cell in enumerate(row):
                if cell.kind == "text":
                    if cell.value not in (None, ""):
                        sheet.write_string(line, column, neutralise(str(cell.value)))
                else:
                    sheet.write_number(line, column, workbook_value(cell), formats[cell.kind])
            written += 1
        if table.headers:
            sheet.freeze_panes(top + 1, 0)
            sheet.autofilter(top, 0, max(line, top + 1), len(table.headers) - 1)
            sheet.set_column(0, 0, 34)
            sheet.set_column(1, len(table.headers) - 1, 14)
    workbook.close()
    return written


def _sheet_name(title: str, taken: set[str]) -> str:
    base = SHEET_NAME_CHARS.sub(" ", str(title)).strip()[:28] or "sheet"
    name, number = base, 1
    while name.lower() in taken:
        number += 1
        name = f"{base[:25]} ({number})"
    taken.add(name.lower())
    return name


def export_response(
    *,
    user,
    form: Form,
    tables: list[Table],
    name: str,
    query: dict,
    enterprise_id: int | None = None,
) -> HttpResponse:
    """The tables as an .xlsx download; the export is written to the audit log."""
    stream = io.BytesIO()
    rows = write_tables(stream, tables)
    audit_record(
        actor=user,
        action="export",
        instance=form,
        after={"event": "indicators_export", "table": name, "query": query, "rows": rows},
        enterprise_id=enterprise_id,
    )
    response = HttpResponse(stream.getvalue(), content_type=CONTENT_TYPE)
    filename = FILE_NAME_CHARS.sub("_", name)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
