"""Annual targets in a workbook: the template to fill in, and reading a filled one.

One sheet, one row per group: its identifier (USCC or internal id), its name (not read), the
year, then one column per indicator of the set assessed that year, headed by the indicator's
name with its code in brackets and its unit, e.g. "利润总额 [total_profit] (万元)". Amounts are
entered in the indicator's unit, % ratios in percent (65 or 65% for 65%). A blank cell leaves
that target as it is. The whole file is checked first; every problem names its sheet, row and
column and what would be accepted, and nothing is written unless the whole file is valid.
"""

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from django.utils.translation import gettext as _

from guozi.registry.exports import neutralise
from guozi.registry.imports import Problem, UnreadableFile, cell_text, normalise_header
from guozi.registry.models import Enterprise
from guozi.registry.selectors import find_by_identifier
from guozi.reporting.workbooks import ReportFile, column_letter

from .alert_selectors import TargetGrid, from_display, groups_of, target_indicators, to_display
from .definitions import IndicatorDef
from .presenters import unit_label

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 5000
IDENTIFIER_WORDS = ("统一社会信用代码", "identifier", "uscc", "企业代码")
NAME_WORDS = ("企业名称", "enterprise", "name")
YEAR_WORDS = ("年度", "year")
SHEET_WORDS = ("目标", "target")
_TRAILING_UNIT = re.compile(r"\([^()]*\)$")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def indicator_header(indicator: IndicatorDef) -> str:
    """The same in every language, so that a template downloaded in one imports in any."""
    return f"{indicator.name_zh} [{indicator.code}] ({indicator.unit})"


def template_workbook(grid: TargetGrid) -> bytes:
    """The template for the grid's supervisor and year, with the targets already set."""
    stream = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        stream, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    header = workbook.add_format({"bold": True, "bg_color": "#eef2f7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet(f"目标 Targets {grid.year}"[:31])
    titles = ["统一社会信用代码 Identifier", "企业名称 Enterprise", "年度 Year"]
    titles += [indicator_header(i) for i in grid.indicators]
    for column, title in enumerate(titles):
        sheet.write_string(0, column, title, header)
    for line, row in enumerate(grid.rows, start=1):
        sheet.write_string(line, 0, row.enterprise.identifier, text)
        sheet.write_string(line, 1, neutralise(row.enterprise.name_zh))
        sheet.write_number(line, 2, grid.year)
        for column, (indicator, cell) in enumerate(zip(grid.indicators, row.cells, strict=True)):
            shown = to_display(indicator, cell.target)
            if shown is not None:
                sheet.write_number(line, 3 + column, round(shown, 6))
    sheet.freeze_panes(1, 3)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 30)
    sheet.set_column(3, max(3, len(titles) - 1), 22)
    notes = workbook.add_worksheet("说明 Notes")
    for line, note in enumerate(template_notes(grid)):
        notes.write_string(line, 0, note)
    notes.set_column(0, 0, 110)
    workbook.close()
    return stream.getvalue()


def template_notes(grid: TargetGrid) -> list[str]:
    return [
        _("Annual targets of %(supervisor)s for %(year)s: one row per group.")
        % {"supervisor": grid.supervisor.name, "year": grid.year},
        _("Identify each group by its unified social credit code (or its internal id)."),
        _("Amounts in the unit of the column (万元); ratios in percent: 65 or 65% for 65%."),
        _("A blank cell leaves that target as it is; a column left out changes nothing."),
        _("The year column must say %(year)s.") % {"year": grid.year},
    ]


# -- reading -------------------------------------------------------------------------------------


@dataclass
class TargetFile:
    """What a file asks for: (enterprise id, indicator code) → value as stored."""

    name: str
    sheet: str = ""
    rows: int = 0
    values: dict[tuple[int, str], float] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Reader:
    def __init__(self, name: str, supervisor, year: int) -> None:
        self.result = TargetFile(name=name)
        self.supervisor = supervisor
        self.year = year
        _set, self.indicators = target_indicators(year)
        self.groups = {g.id: g for g in groups_of(supervisor, year)}

    def fail(self, row: int | None, column: str, value, reason: str) -> None:
        self.result.problems.append(
            Problem(
                file=self.result.name,
                sheet=self.result.sheet,
                row=row,
                column=column,
                value=str(value if value is not None else "")[:100],
                reason=reason,
            )
        )

    def columns(self, header: list) -> dict:
        """Which column holds what: identifier, year and the indicators' codes."""
        found: dict = {}
        accepted = ", ".join(indicator_header(i) for i in self.indicators)
        for index, raw in enumerate(header):
            text = normalise_header(cell_text(raw))
            if not text:
                continue
            label = f"{column_letter(index)} {cell_text(raw)}"
            role = self._role(text)
            if role is None:
                self.fail(
                    1,
                    label,
                    cell_text(raw),
                    _(
                        "Unknown column. The columns are: the "
                        "identifier, the enterprise's name, the year and %(accepted)s."
                    )
                    % {"accepted": accepted},
                )
            elif role in found.values():
                self.fail(1, label, cell_text(raw), _("This column appears twice."))
            else:
                found[index] = role
        for role, words in (("identifier", IDENTIFIER_WORDS[0]), ("year", YEAR_WORDS[0])):
            if role not in found.values():
                self.fail(1, "", "", _("The column “%(name)s” is missing.") % {"name": words})
        if not any(role.startswith("indicator:") for role in found.values()):
            self.fail(
                1,
                "",
                "",
                _("No indicator column; the columns are: %(accepted)s.") % {"accepted": accepted},
            )
        return found

    def _role(self, text: str) -> str | None:
        for indicator in self.indicators:
            bare = _TRAILING_UNIT.sub("", text)
            names = {
                normalise_header(n) for n in (indicator.code, indicator.name_zh, indicator.name_en)
            }
            if f"[{indicator.code}]" in text or bare in names:
                return f"indicator:{indicator.code}"
        if any(word in text for word in IDENTIFIER_WORDS):
            return "identifier"
        if any(word in text for word in YEAR_WORDS):
            return "year"
        if any(word in text for word in NAME_WORDS):
            return "name"
        return None

    def row(self, number: int, cells: list, columns: dict, header: list, seen: dict) -> None:
        def label(index: int) -> str:
            return f"{column_letter(index)} {cell_text(header[index])}"

        by_role = {role: index for index, role in columns.items()}
        index = by_role.get("identifier")
        identifier = cell_text(cells[index]) if index is not None else ""
        enterprise = (
            self.enterprise(number, label(index), identifier) if index is not None else None
        )
        if enterprise is not None:
            if enterprise.id in seen:
                self.fail(
                    number,
                    label(index),
                    identifier,
                    _("The same group is in row %(row)s.") % {"row": seen[enterprise.id]},
                )
                enterprise = None
            else:
                seen[enterprise.id] = number
        year_index = by_role.get("year")
        if year_index is not None:
            year = cell_text(cells[year_index])
            if year != str(self.year):
                self.fail(
                    number,
                    label(year_index),
                    year,
                    _("The targets are imported for %(year)s; write %(year)s here.")
                    % {"year": self.year},
                )
        for index, role in columns.items():
            if not role.startswith("indicator:"):
                continue
            indicator = next(i for i in self.indicators if f"indicator:{i.code}" == role)
            value = self.number(number, label(index), cells[index], indicator)
            if value is not None and enterprise is not None:
                self.result.values[(enterprise.id, indicator.code)] = value

    def enterprise(self, number: int, column: str, identifier: str) -> Enterprise | None:
        if not identifier:
            self.fail(
                number,
                column,
                "",
                _("Required: the group's unified social credit code or internal id."),
            )
            return None
        found = find_by_identifier(identifier)
        if found is None or found.id not in self.groups:
            self.fail(
                number,
                column,
                identifier,
                _(
                    "Not a group of %(supervisor)s in %(year)s; "
                    "accepted: the code or id of one of its groups (see the template)."
                )
                % {"supervisor": self.supervisor.name, "year": self.year},
            )
            return None
        return found

    def number(self, number: int, column: str, raw, indicator: IndicatorDef) -> float | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None  # a blank cell leaves the target as it is
        percent = indicator.unit == "%"
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            value = float(raw)
        else:
            text = cell_text(raw).replace(",", "").replace("，", "")
            if percent and text.endswith(("%", "％")):
                text = text[:-1].strip()
            value = float(text) if _NUMBER.fullmatch(text) else None
        if value is None or not math.isfinite(value) or abs(value) >= 1e12:
            accepted = (
                _("a number in percent, e.g. 65 or 65%")
                if percent
                else _("a number in %(unit)s, e.g. 12500") % {"unit": unit_label(indicator.unit)}
            )
            self.fail(
                number,
                column,
                cell_text(raw),
                _("Not a number; accepted: %(accepted)s.") % {"accepted": accepted},
            )
            return None
        return from_display(indicator, value)


def read_targets(path: Path, name: str, *, supervisor, year: int) -> TargetFile:
    """Read and check a filled template; `problems` lists everything wrong with it."""
    reader = _Reader(name, supervisor, year)
    result = reader.result
    if not reader.indicators:
        reader.fail(None, "", "", _("No indicator set is assessed in %(year)s.") % {"year": year})
        return result
    try:
        workbook = ReportFile(path, name)
    except UnreadableFile as error:
        reader.fail(None, "", "", str(error))
        return result
    try:
        sheets = workbook.data_sheets()
        result.sheet = next(
            (s for s in sheets if any(w in normalise_header(s) for w in SHEET_WORDS)),
            sheets[0] if sheets else "",
        )
        grid = workbook.grid(result.sheet) if sheets else []
        uncached = workbook.uncached(result.sheet) if sheets else set()
    except UnreadableFile as error:
        reader.fail(None, "", "", str(error))
        return result
    finally:
        workbook.close()
    if not grid or not any(cell_text(c) for c in grid[0]):
        reader.fail(1, "", "", _("The first row must hold the column headers (see the template)."))
        return result
    header = list(grid[0])
    columns = reader.columns(header)
    body = [
        (number, list(cells) + [None] * (len(header) - len(cells)))
        for number, cells in enumerate(grid[1:], start=2)
        if any(cell_text(c) for c in cells)
    ]
    if len(body) > MAX_ROWS:
        reader.fail(None, "", "", _("At most %(count)s rows.") % {"count": MAX_ROWS})
        return result
    for row, column in sorted(uncached):
        reader.fail(
            row + 1,
            column_letter(column),
            "",
            _(
                "A formula without a calculated value: "
                "open the file in Excel, WPS or LibreOffice, save it and upload it again."
            ),
        )
    result.rows = len(body)
    if not body:
        reader.fail(2, "", "", _("The file has no rows of targets."))
    if "identifier" in columns.values():
        seen: dict[int, int] = {}
        for number, cells in body:
            reader.row(number, cells, columns, header, seen)
    return result
