"""A register's workbook: its columns, reading a file with whole-file checks, writing one.

Every register imports and exports its rows the same way (style.md §6.2 item 7): the file is
read whole, every problem is collected and placed (row, column, value, reason), and the rows
are written in one transaction only when there are none. This module does the reading and the
placing; each register's `imports.py` checks the values and writes its rows.

A column is known by its key, by its header in either language, or by an alias, so a workbook
exported in Chinese imports under an English interface and the other way round.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import xlsxwriter
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from guozi.registry.exports import footer, neutralise
from guozi.registry.imports import (
    ImportResult,
    Problem,
    UnreadableFile,
    cell_text,
    normalise_header,
    read_table,
)
from guozi.reporting.workbooks import Limits, check_package, check_size

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise  # gettext_lazy: the header in the user's language
    required: bool = False  # the column must be present (its cells may still be optional)
    aliases: tuple[str, ...] = ()
    width: int = 14

    def names(self) -> set[str]:
        names = {normalise_header(self.key), *(normalise_header(a) for a in self.aliases)}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names.add(normalise_header(str(self.label)))
        return names


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row in the sheet; the header is row 1
    cells: dict[str, str]  # column key -> the cell as text ("" when empty)


@dataclass
class Sheet:
    file: str
    sheet: str
    rows: list[SheetRow]
    problems: list[Problem]
    labels: dict[str, str]  # column key -> the header as written in the file

    def problem(self, row: SheetRow | None, key: str, reason: str) -> Problem:
        """A problem placed at a row's cell (or at the header when `row` is None)."""
        return Problem(
            file=self.file,
            sheet=self.sheet,
            row=row.number if row is not None else 1,
            column=self.labels.get(key, key),
            value=row.cells.get(key, "") if row is not None else "",
            reason=reason,
            field=key,
        )

    def result(self) -> ImportResult:
        return ImportResult(file=self.file, sheet=self.sheet, rows=len(self.rows))


def read_sheet(path: Path, file_name: str, columns: Iterable[Column]) -> Sheet:
    """The first sheet of an .xlsx (or a .csv), its headers matched to `columns`. Unknown or
    repeated headers and missing required columns are problems of row 1; an unreadable file
    is one problem and no rows. The reporting imports' guards come first: the size limit and,
    for a workbook, its package checked whole (no zip bomb, no damaged member)."""
    columns = list(columns)
    try:
        limits = Limits.from_settings()
        check_size(Path(path), limits)
        if file_name.lower().endswith(".xlsx"):
            check_package(Path(path), limits)
        table = read_table(Path(path), file_name)
    except UnreadableFile as error:
        return Sheet(file_name, "", [], [Problem(file_name, "", None, "", "", str(error))], {})
    by_name = {name: column for column in columns for name in column.names()}
    sheet = Sheet(file_name, table.sheet, [], [], {})
    positions: dict[str, int] = {}
    for position, header in enumerate(table.header):
        text = cell_text(header)
        if not text:
            continue
        column = by_name.get(normalise_header(text))
        if column is None:
            sheet.problems.append(
                Problem(file_name, table.sheet, 1, text, text, _("This column is not known."))
            )
        elif column.key in positions:
            sheet.problems.append(
                Problem(file_name, table.sheet, 1, text, text, _("This column appears twice."))
            )
        else:
            positions[column.key] = position
            sheet.labels[column.key] = text
    for column in columns:
        if column.required and column.key not in positions:
            sheet.problems.append(
                Problem(
                    file_name, table.sheet, 1, str(column.label), "", _("This column is missing.")
                )
            )
    if not table.rows and not sheet.problems:
        sheet.problems.append(
            Problem(file_name, table.sheet, None, "", "", _("The file has no data rows."))
        )
    if len(table.rows) > MAX_ROWS:
        sheet.problems.append(
            Problem(
                file_name,
                table.sheet,
                None,
                "",
                str(len(table.rows)),
                _("At most %(n)s rows can be imported at once.") % {"n": MAX_ROWS},
            )
        )
        return sheet
    sheet.rows = [
        SheetRow(
            record.number,
            {key: cell_text(record.cells[position]) for key, position in positions.items()},
        )
        for record in table.rows
    ]
    return sheet


def write_sheet(
    stream: BinaryIO, title: str, columns: list[Column], rows: Iterable, stamp: str = ""
) -> int:
    """An .xlsx workbook of one sheet: the headers in the user's language, then `rows` (lists
    of values in column order). Text that a spreadsheet would run is neutralised. Returns the
    number of rows written. `stamp` (a `registry.exports.watermark`) is the printed footer
    only: a register's export is imported back, and `read_sheet` would take a last line of
    text for a row; an empty template gets no stamp."""
    workbook = xlsxwriter.Workbook(stream, {"in_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet(title[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#eef2f7", "border": 1})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for position, column in enumerate(columns):
        sheet.write_string(0, position, str(column.label), bold)
        sheet.set_column(position, position, column.width)
    written = 0
    for number, values in enumerate(rows, start=1):
        if number > MAX_ROWS:
            break
        for position, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                sheet.write_datetime(number, position, value.replace(tzinfo=None), day)
            elif isinstance(value, date):
                sheet.write_datetime(
                    number, position, datetime(value.year, value.month, value.day), day
                )
            elif isinstance(value, bool):
                sheet.write_string(number, position, _("yes") if value else _("no"))
            elif isinstance(value, int | float | Decimal):
                sheet.write_number(number, position, float(value))
            else:
                sheet.write_string(number, position, str(neutralise(str(value))))
        written += 1
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(written, 1), max(len(columns) - 1, 0))
    if stamp:
        sheet.set_footer(footer(stamp))
    workbook.close()
    return written


FLAG_TRUE = {"是", "yes", "y", "true", "1", "√", "✓"}
FLAG_FALSE = {"否", "no", "n", "false", "0", "×", ""}


def parse_flag(text: str) -> bool | None:
    """是/否, yes/no, 1/0 (either case); None when it is none of them."""
    value = text.strip().lower()
    if value in FLAG_TRUE:
        return True
    if value in FLAG_FALSE:
        return False
    return None
