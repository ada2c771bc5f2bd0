"""Indicator tables as .xlsx workbooks or CSV files, each export written to the audit log.

A page's tables (`presenters.Table`) go one to a sheet, with the notes that say what the figures
are (period, basis, scope, data status) above the header. Numbers are numbers with the format the
page shows them in (a % ratio is the fraction, formatted as a percentage); a missing or undefined
figure is the reason it is one, never an empty cell or 0. A CSV file holds the same tables one
after another, the same numbers without their formats. Text a spreadsheet would run is
neutralised, and every export ends with who exported it and when (`watermark`).
"""

import csv
import io
import re

import xlsxwriter
from django.http import HttpResponse
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.registry.exports import footer, neutralise, watermark
from guozi.reporting.models import Form

from .presenters import Table, number_text

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {"xlsx": CONTENT_TYPE, "csv": "text/csv; charset=utf-8"}
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


def write_tables(stream, tables: list[Table], stamp: str = "") -> int:
    """Write each table to its own sheet of an .xlsx workbook; returns the rows written.
    `stamp` (a `watermark`) is each sheet's printed footer and its last line."""
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
        if stamp:
            sheet.set_footer(footer(stamp))
            sheet.write_string(line + 2, 0, neutralise(stamp), note)
    workbook.close()
    return written


def write_tables_csv(stream, tables: list[Table], stamp: str = "") -> int:
    """Write the tables to a CSV file (UTF-8 with a BOM, so that Excel and WPS read the Chinese
    text), one after another with a blank line between them: title, notes, header, rows. Numbers
    are written as the page shows them, without thousands separators (12.34%, which a
    spreadsheet reads as the number 0.1234); `stamp` is the last line. Returns the rows
    written."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    written = 0
    for number, table in enumerate(tables or [Table("empty", _("No figures"), [], [])]):
        if number:
            writer.writerow([])
        writer.writerow([neutralise(str(table.title or table.key))])
        for note in table.notes:
            writer.writerow([neutralise(str(note))])
        writer.writerow([neutralise(str(title)) for title in table.headers])
        for row in table.rows:
            writer.writerow([_csv_value(cell) for cell in row])
            written += 1
    if stamp:
        writer.writerows([[], [neutralise(stamp)]])
    stream.write(text.getvalue().encode("utf-8-sig"))
    return written


def _csv_value(cell) -> str:
    if cell.kind == "text":
        return "" if cell.value is None else neutralise(str(cell.value))
    # A number of ours, never text from a user: a minus sign here is a negative number.
    return number_text(cell.value, cell.kind).replace(",", "")


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
    fmt: str = "xlsx",
) -> HttpResponse:
    """The tables as an .xlsx or CSV download, stamped with the user and the time; the export
    is written to the audit log."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    stream = io.BytesIO()
    write = write_tables_csv if fmt == "csv" else write_tables
    rows = write(stream, tables, watermark(user))
    after = {
        "event": "indicators_export",
        "table": name,
        "query": query,
        "rows": rows,
        "format": fmt,
    }
    audit_record(
        actor=user, action="export", instance=form, after=after, enterprise_id=enterprise_id
    )
    response = HttpResponse(stream.getvalue(), content_type=CONTENT_TYPES[fmt])
    filename = FILE_NAME_CHARS.sub("_", name)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
