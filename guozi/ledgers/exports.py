"""The item list as an .xlsx workbook (overdue rows marked) or a CSV file, in the user's
language, text a spreadsheet would run neutralised, ending with who exported it and when."""

import csv
import io
from datetime import date, datetime
from typing import BinaryIO

import xlsxwriter
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guozi.lib import clock
from guozi.lib.clock import CHINA
from guozi.registry.exports import footer, neutralise

from .models import TrackedItem
from .registers import attribute_display

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {"xlsx": CONTENT_TYPE, "csv": "text/csv; charset=utf-8"}
MAX_ROWS = 100_000


def headers() -> list[str]:
    return [
        _("No."),
        _("Register"),
        _("Title"),
        _("Owner enterprise"),
        _("Identifier"),
        _("Supervisor"),
        _("Responsible person"),
        _("Opened on"),
        _("Due date"),
        _("Status"),
        _("Progress (%)"),
        _("Days overdue"),
        _("Last activity"),
        _("Source"),
        _("Details"),
    ]


def row(item: TrackedItem, today: date) -> list:
    shown = attribute_display(item.register, item.attributes)
    details = "; ".join(f"{label}: {value}" for label, value in shown)
    return [
        item.id,
        item.get_register_display(),
        item.title,
        item.owner.name,
        item.owner.identifier,
        item.supervisor.name,
        item.responsible_name,
        item.opened_on,
        item.due_date,
        item.get_status_display(),
        item.progress,
        item.days_overdue(today) or None,
        item.last_activity_at.astimezone(CHINA).date(),
        item.source,
        details,
    ]


def export_items(
    items: QuerySet[TrackedItem], stream: BinaryIO, *, fmt: str = "xlsx", stamp: str = ""
) -> int:
    """Write the items to `stream` as .xlsx or CSV; returns the number of rows written.
    `stamp` (a `registry.exports.watermark`) is the last line, and a workbook's printed
    footer."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    if fmt == "csv":
        return _export_csv(items, stream, stamp)
    today = clock.today()
    workbook = xlsxwriter.Workbook(stream, {"in_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet(_("Items")[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#eef2f7", "border": 1})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    late = workbook.add_format({"font_color": "#b42318", "bold": True})
    for column, header in enumerate(headers()):
        sheet.write_string(0, column, header, bold)
    written = 0
    for number, item in enumerate(items[:MAX_ROWS].iterator(chunk_size=2000), start=1):
        for column, value in enumerate(row(item, today)):
            if value is None:
                continue
            if isinstance(value, date):
                sheet.write_datetime(number, column, _midnight(value), day)
            elif isinstance(value, int):
                sheet.write_number(number, column, value, late if column == 11 else None)
            else:
                sheet.write_string(number, column, str(neutralise(str(value))))
        written += 1
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(written, 1), len(headers()) - 1)
    for column, width in enumerate((6, 10, 40, 30, 22, 18, 12, 11, 11, 14, 8, 8, 11, 24, 30)):
        sheet.set_column(column, column, width)
    if stamp:
        sheet.set_footer(footer(stamp))
        sheet.write_string(written + 2, 0, neutralise(stamp))
    workbook.close()
    return written


def _export_csv(items: QuerySet[TrackedItem], stream: BinaryIO, stamp: str) -> int:
    """UTF-8 with a BOM, so that Excel and WPS read the Chinese text."""
    today = clock.today()
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(headers())
    written = 0
    for item in items[:MAX_ROWS].iterator(chunk_size=2000):
        writer.writerow([_csv_value(value) for value in row(item, today)])
        written += 1
    if stamp:
        writer.writerows([[], [neutralise(stamp)]])
    stream.write(text.getvalue().encode("utf-8-sig"))
    return written


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)
