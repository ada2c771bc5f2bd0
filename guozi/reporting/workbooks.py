"""Report workbooks: templates to fill in, and workbooks and CSV files read back into reports.

Two layouts carry the same reports:
- rows: one sheet named after the form, a header row (identifier, name, scope, optionally
  period, then one column per cell, "营业总收入|本年累计 (万元)" or "total_assets.current"), one
  row per enterprise and scope. A CSV file is always this layout.
- sheets: one sheet per enterprise and scope, laid out like the paper form: identifier, scope
  and period in labelled cells at the top, then a header row (项目, 本期, 上年同期, 年初数, 单位,
  代码) and one row per field under its section heading.
A template also has a hidden sheet `_guozi` naming form, version, basis, period and layout (and,
for the sheets layout, the enterprise and scope of every sheet).

Workbooks come from Excel, WPS and LibreOffice. Before any parsing the file is checked: its size,
that an .xlsx is a zip package and a workbook, and that its members are neither corrupt nor a
zip bomb (total size and compression ratio, counted while decompressing, not as declared).
Values are read with calamine; formula cells without a cached value are found by a streaming
parse of the sheet XML (calamine gives them as empty), merged ranges come from calamine.
"""

import csv
import io
import re
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from guozi.lib.errors import DomainError
from guozi.lib.models import pick_language
from guozi.lib.periods import Period
from guozi.registry.imports import (
    Problem,
    UnreadableFile,
    cell_text,
    decode_csv,
    file_format,
    normalise_header,
)
from guozi.registry.models import Enterprise
from guozi.registry.tree import active_own_at, tree_at

from .definitions import MONEY_UNITS, FieldDef, FormDefinition
from .frameworks import definition_of, version_in_force
from .models import Form, FormVersion, ReportScope, Submission
from .values import input_text

META_SHEET = "_guozi"
LAYOUTS = ("rows", "sheets")
CHUNK = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Default limits; settings GUOZI_IMPORT_MAX_BYTES, GUOZI_IMPORT_MAX_UNCOMPRESSED and
# GUOZI_IMPORT_MAX_RATIO override them.
MAX_BYTES = 50 * 2**20
MAX_UNCOMPRESSED = 500 * 2**20
MAX_RATIO = 100
RATIO_FLOOR = 2**20  # members smaller than this are never called bombs, whatever their ratio
MAX_MEMBERS = 10_000
READ_CHUNK = 2**20
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx

# --- vocabulary: headers and labels as people write them, both languages -------------------
# Matched after `normalise_header` (no spaces, lower case, ASCII brackets).

IDENTITY_WORDS = {
    "identifier": (
        "统一社会信用代码",
        "社会信用代码",
        "信用代码",
        "企业代码",
        "企业标识",
        "标识",
        "identifier",
        "uscc",
        "id",
    ),
    "name": ("企业名称", "名称", "单位名称", "企业", "name", "enterprise", "enterprisename"),
    "scope": ("口径", "报表口径", "合并口径", "scope"),
    "period": ("期间", "报告期", "所属期", "会计期间", "period"),
}
COLUMN_WORDS = {
    "current": (
        "本期",
        "本期数",
        "本期金额",
        "本年累计",
        "本年累计数",
        "本年累计金额",
        "期末",
        "期末数",
        "期末余额",
        "current",
        "yeartodate",
        "periodend",
    ),
    "prior_year": (
        "上年同期",
        "上年同期数",
        "上年同期累计",
        "上年同期累计数",
        "上年同期金额",
        "prioryear",
        "prior_year",
        "prioryearsameperiod",
        "sameperiodlastyear",
    ),
    "opening": ("年初", "年初数", "年初余额", "期初", "期初数", "opening", "openingbalance"),
}
ITEM_WORDS = ("项目", "指标", "项目名称", "item", "field")
CODE_WORDS = ("代码", "字段代码", "code", "fieldcode")
UNIT_COLUMN_WORDS = ("单位", "计量单位", "unit")
UNIT_WORDS = {
    "元": "元",
    "yuan": "元",
    "rmb": "元",
    "万元": "万元",
    "10,000yuan": "万元",
    "10000yuan": "万元",
    "10kyuan": "万元",
    "亿元": "亿元",
    "100millionyuan": "亿元",
    "100myuan": "亿元",
    "人": "人",
    "persons": "人",
    "people": "人",
    "%": "%",
    "percent": "%",
}
SCOPE_WORDS = {
    "合并": ReportScope.CONSOLIDATED,
    "合并报表": ReportScope.CONSOLIDATED,
    "consolidated": ReportScope.CONSOLIDATED,
    "本部": ReportScope.STANDALONE,
    "单户": ReportScope.STANDALONE,
    "母公司": ReportScope.STANDALONE,
    "standalone": ReportScope.STANDALONE,
}


def _lookup(words: dict[str, Iterable[str]]) -> dict[str, str]:
    return {normalise_header(word): key for key, aliases in words.items() for word in aliases}


IDENTITY = _lookup(IDENTITY_WORDS)
COLUMNS = _lookup(COLUMN_WORDS)
CODES = {normalise_header(word) for word in CODE_WORDS}
ITEMS = {normalise_header(word) for word in ITEM_WORDS}
MACHINE_HEADER = re.compile(r"([a-z_][a-z0-9_]*)\.(current|prior_year|opening)")
TRAILING_BRACKETS = re.compile(r"\(([^()]*)\)$")
NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+、|\d+(?:\.\d+)*[.、]?|其中[:：]?|加[:：]|减[:：])"
)


def parse_scope(text: str) -> str | None:
    """合并 / 本部 (or their English names) → the scope; blank → consolidated; else None."""
    key = normalise_header(text)
    if not key:
        return ReportScope.CONSOLIDATED
    return SCOPE_WORDS.get(key)


def scope_label(scope: str) -> str:
    return (
        pgettext("report workbook", "Consolidated")
        if scope == ReportScope.CONSOLIDATED
        else pgettext("report workbook", "Standalone")
    )


def column_label(field: FieldDef, column: str) -> str:
    if column == "prior_year":
        return pgettext("report workbook", "Prior year")
    if column == "opening":
        return pgettext("report workbook", "Opening")
    if field.kind == "flow":
        return pgettext("report workbook", "Year to date")
    if field.kind == "balance":
        return pgettext("report workbook", "Period end")
    return pgettext("report workbook", "Current")


def unit_label(unit: str) -> str:
    return {
        "元": pgettext("report workbook", "yuan"),
        "万元": pgettext("report workbook", "10,000 yuan"),
        "亿元": pgettext("report workbook", "100 million yuan"),
        "人": pgettext("report workbook", "persons"),
        "%": "%",
    }.get(unit, "")


def field_name(field: FieldDef) -> str:
    return pick_language(field.name_zh, field.name_en, get_language())


def cell_header(field: FieldDef, column: str) -> str:
    """The rows layout's header of one cell: 营业总收入|本年累计 (万元)."""
    unit = unit_label(field.unit)
    text = f"{field_name(field)}|{column_label(field, column)}"
    return f"{text} ({unit})" if unit else text


def column_letter(index: int) -> str:
    """0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """Zero-based row and column → A1."""
    return f"{column_letter(col)}{row + 1}"


def _ref_position(ref: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)", ref.upper())
    if match is None:
        return None
    col = 0
    for char in match.group(1):
        col = col * 26 + ord(char) - 64
    return int(match.group(2)) - 1, col - 1


# --- checking a file before parsing it -----------------------------------------------------


@dataclass(frozen=True)
class Limits:
    max_bytes: int = MAX_BYTES
    max_uncompressed: int = MAX_UNCOMPRESSED
    max_ratio: int = MAX_RATIO

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            max_bytes=getattr(settings, "GUOZI_IMPORT_MAX_BYTES", MAX_BYTES),
            max_uncompressed=getattr(settings, "GUOZI_IMPORT_MAX_UNCOMPRESSED", MAX_UNCOMPRESSED),
            max_ratio=getattr(settings, "GUOZI_IMPORT_MAX_RATIO", MAX_RATIO),
        )


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}"


def check_size(path: Path, limits: Limits) -> None:
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise UnreadableFile(
            _("The file is %(size)s MB; files up to %(limit)s MB are accepted.")
            % {"size": _megabytes(size), "limit": _megabytes(limits.max_bytes)}
        )
    if size == 0:
        raise UnreadableFile(_("The file is empty."))


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s/>]")


def check_package(path: Path, limits: Limits) -> set[str]:
    """Check an .xlsx package whole; return the members that hold formulas.

    Every member is decompressed once, counting the bytes that really come out (a zip's
    declared sizes can lie), so a bomb is stopped after at most the limit, and a damaged
    member fails its CRC check here rather than somewhere inside the reader."""
    with path.open("rb") as stream:
        head = stream.read(8)
    if not zipfile.is_zipfile(path):
        if head.startswith(b"PK"):
            raise UnreadableFile(_corrupt(zipfile.BadZipFile("no central directory")))
        if head.startswith(OLE_SIGNATURE):
            raise UnreadableFile(
                _(
                    "The file is not an .xlsx workbook: it is an old .xls workbook or a "
                    "password-protected one. Save it as an unprotected .xlsx workbook."
                )
            )
        raise UnreadableFile(
            _(
                "The file is named .xlsx but is not an .xlsx workbook (it is not a zip "
                "package; perhaps a CSV or web page renamed). Save it as .xlsx in Excel, WPS "
                "or LibreOffice."
            )
        )
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(_corrupt(exc)) from exc
    with package:
        members = package.infolist()
        names = {info.filename for info in members}
        if "xl/workbook.xml" not in names:
            raise UnreadableFile(
                _("The file is a zip package but not an .xlsx workbook (it has no workbook).")
            )
        if len(members) > MAX_MEMBERS:
            raise UnreadableFile(_bomb())
        if sum(info.file_size for info in members) > limits.max_uncompressed:
            raise UnreadableFile(_bomb())
        formulas = set()
        total = 0
        for info in members:
            if info.flag_bits & 0x1:
                raise UnreadableFile(
                    _("The workbook is encrypted; save it without a password and upload it again.")
                )
            size, has_formulas = _inflate(package, info, limits, limits.max_uncompressed - total)
            total += size
            if has_formulas:
                formulas.add(info.filename)
    return formulas


def _inflate(package: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, room: int):
    """Decompress one member, stopping at `room` bytes; (size, whether it holds formulas)."""
    scan = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
    size, found, tail = 0, False, b""
    try:
        with package.open(info) as member:
            while True:
                chunk = member.read(READ_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > room or size > info.file_size + READ_CHUNK:
                    raise UnreadableFile(_bomb())
                if scan and not found:
                    found = _FORMULA_TAG.search(tail + chunk) is not None
                    tail = chunk[-16:]
    # zipfile raises NotImplementedError for a compression method it does not support.
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise UnreadableFile(_corrupt(exc)) from exc
    if size > RATIO_FLOOR and size > limits.max_ratio * max(info.compress_size, 1):
        raise UnreadableFile(_bomb())
    return size, found


def _bomb() -> str:
    return _(
        "The workbook expands to far more data than its size suggests (a zip bomb); it was "
        "not read."
    )


def _corrupt(exc: Exception) -> str:
    return _("The workbook is damaged (a corrupt zip package: %(error)s). Save it again.") % {
        "error": str(exc)[:200]
    }


# --- the sheet XML: formulas without a cached value ----------------------------------------


def uncached_formulas(package: zipfile.ZipFile, member: str) -> set[tuple[int, int]]:
    """Zero-based (row, column) of formula cells that carry no cached value."""
    found: set[tuple[int, int]] = set()
    state = {"row": -1, "col": -1, "cell": None, "formula": False, "value": False, "in_v": False}

    def start(name, attrs):
        local = name.rpartition(":")[2]
        if local == "row":
            state["row"] = int(attrs["r"]) - 1 if "r" in attrs else state["row"] + 1
            state["col"] = -1
        elif local == "c":
            position = _ref_position(attrs.get("r", ""))
            if position is None:
                position = (state["row"], state["col"] + 1)
            state["row"], state["col"] = position
            state.update(cell=position, formula=False, value=False)
        elif local == "f":
            state["formula"] = True
        elif local in ("v", "t"):
            state["in_v"] = True

    def end(name):
        local = name.rpartition(":")[2]
        if local in ("v", "t"):
            state["in_v"] = False
        elif local == "c":
            if state["formula"] and not state["value"]:
                found.add(state["cell"])
            state["cell"] = None

    def text(data):
        if state["in_v"] and data.strip():
            state["value"] = True

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        with package.open(member) as stream:
            parser.ParseFile(stream)
    except expat.ExpatError as exc:
        raise UnreadableFile(_corrupt(exc)) from exc
    return found


def sheet_members(package: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its member in the package, from the workbook and its relationships."""
    try:
        workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError) as exc:
        raise UnreadableFile(_corrupt(exc)) from exc
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        if target.startswith("/"):
            member = target.lstrip("/")
        else:
            member = str(PurePosixPath("xl") / target)
        targets[rel.get("Id")] = member
    members = {}
    for element in workbook.iter():
        if element.tag.rpartition("}")[2] != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
        if rel_id in targets:
            members[element.get("name", "")] = targets[rel_id]
    return members


# --- what a read produces ------------------------------------------------------------------


@dataclass
class Record:
    """One report as read: where it is, who it is for, and its raw values by cell.

    In the rows layout every value is on the record's row and `columns` (cell → column title)
    is shared by all rows of the sheet; in the sheets layout `rows` gives each cell's row."""

    file: str
    sheet: str
    row: int
    identifier: str
    name: str = ""
    scope: str = ""
    period: str = ""
    values: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    rows: dict | None = None
    scales: dict = field(default_factory=dict)  # cell → factor to the field's unit
    identity_columns: dict = field(default_factory=dict)  # "identifier" → column title
    problems: list[Problem] = field(default_factory=list)

    def position(self, cell: str) -> tuple[int, str]:
        row = self.rows.get(cell, self.row) if self.rows is not None else self.row
        return row, self.columns.get(cell, cell)

    def problem(self, cell: str | None, reason: str, value=None, *, name: str = "") -> Problem:
        """A problem at a value (cell), at an identity column (name) or at the record."""
        if cell is not None:
            row, column = self.position(cell)
            raw = self.values.get(cell) if value is None else value
        else:
            row, column = self.row, self.identity_columns.get(name, name)
            raw = value
        return Problem(
            file=self.file,
            sheet=self.sheet,
            row=row,
            column=column,
            value=cell_text(raw)[:200] if raw is not None else "",
            reason=reason,
            field=cell or name,
        )

    def fail(self, cell: str | None, reason: str, value=None, *, name: str = "") -> None:
        self.problems.append(self.problem(cell, reason, value, name=name))


@dataclass
class Reading:
    layout: str
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # of the file: nothing can be written
    warnings: list[Problem] = field(default_factory=list)


class FieldNames:
    """Finds a field by its Chinese or English name or its code, as normalised headers."""

    def __init__(self, definition: FormDefinition) -> None:
        self.definition = definition
        self.fields = definition.fields_by_code
        self.by_name: dict[str, str] = {}
        for f in definition.fields:
            for name in (f.code, f.name_zh, f.name_en):
                if name:
                    self.by_name.setdefault(normalise_header(name), f.code)

    def find(self, text: str) -> str | None:
        key = normalise_header(text)
        found = self.by_name.get(key)
        if found is None:
            stripped = NUMBERING.sub("", key)
            found = self.by_name.get(stripped)
        return found


def _peel(text: str) -> tuple[str, str | None, str | None, bool]:
    """Trailing bracket groups off a normalised header: (rest, unit, column, all understood)."""
    unit = column = None
    understood = True
    while True:
        match = TRAILING_BRACKETS.search(text)
        if match is None or match.start() == 0:
            break
        inner = match.group(1)
        text = text[: match.start()]
        if inner in UNIT_WORDS:
            unit = UNIT_WORDS[inner]
        elif inner in COLUMNS:
            column = COLUMNS[inner]
        else:
            understood = False
    return text, unit, column, understood


@dataclass(frozen=True)
class Heading:
    """What a header cell of the rows layout stands for."""

    cell: str = ""
    unit: str | None = None
    identity: str = ""
    problem: str = ""


def parse_heading(text: str, names: FieldNames) -> Heading:
    key = normalise_header(text).replace("｜", "|")
    if key in IDENTITY:
        return Heading(identity=IDENTITY[key])
    machine = MACHINE_HEADER.fullmatch(key)
    if machine:
        code, column = machine.groups()
        return _heading_for(names, code, column, None)
    rest, unit, column, understood = _peel(key)
    if not understood:
        return Heading(problem=_unknown_column())
    if "|" in rest:
        name, _bar, column_text = rest.rpartition("|")
        column = COLUMNS.get(column_text)
        if column is None:
            return Heading(problem=_unknown_column())
        return _heading_for(names, names.find(name), column, unit)
    code = names.find(rest)
    if code is None:
        for word in sorted(COLUMNS, key=len, reverse=True):
            if rest.endswith(word) and names.find(rest[: -len(word)]):
                code, column = names.find(rest[: -len(word)]), COLUMNS[word]
                break
    return _heading_for(names, code, column or "current", unit)


def _unknown_column() -> str:
    return _(
        "Unknown column: name a field and its column, such as 营业总收入|本年累计 (万元) or "
        "total_operating_revenue.current."
    )


def _heading_for(names: FieldNames, code, column: str, unit) -> Heading:
    if code is None or code not in names.fields:
        return Heading(problem=_unknown_column())
    field_def = names.fields[code]
    if column not in field_def.columns:
        return Heading(
            problem=_("The field %(field)s has no column %(column)s.")
            % {"field": field_name(field_def), "column": column_label(field_def, column)}
        )
    if unit is not None and unit != field_def.unit:
        if not (unit in MONEY_UNITS and field_def.money):
            return Heading(
                problem=_("The column is in %(unit)s but the field is reported in %(field_unit)s.")
                % {"unit": unit, "field_unit": field_def.unit}
            )
    return Heading(cell=f"{code}.{column}", unit=unit)


def unit_scale(field_def: FieldDef, unit: str | None) -> Decimal | None:
    """The factor from a column's money unit to the field's; None when they agree."""
    if unit is None or unit == field_def.unit or not field_def.money:
        return None
    return Decimal(MONEY_UNITS[unit]) / Decimal(MONEY_UNITS[field_def.unit])


# --- opening a file -------------------------------------------------------------------------


class ReportFile:
    """A workbook or CSV file, checked and open: its metadata now, its reports on `read`."""

    def __init__(self, path: Path, name: str | None = None, limits: Limits | None = None):
        self.path = Path(path)
        self.name = name or self.path.name
        self.format = file_format(self.name)
        limits = limits or Limits.from_settings()
        check_size(self.path, limits)
        self.meta: dict[str, str] = {}
        self.sheet_reports: dict[str, tuple[str, str]] = {}  # sheets layout: sheet → (id, scope)
        self._grids: dict[str, list[list]] = {}
        self._merges: dict[str, list] = {}
        self.formula_members: set[str] = set()
        self.sheet_names: list[str] = []
        if self.format == "csv":
            self._grids[""] = _csv_grid(self.path)
            self.sheet_names = [""]
        else:
            self.formula_members = check_package(self.path, limits)
            self._open_workbook()

    def _open_workbook(self) -> None:
        from python_calamine import CalamineWorkbook

        try:
            self.workbook = CalamineWorkbook.from_path(str(self.path))
            self.sheet_names = list(self.workbook.sheet_names)
        except Exception as exc:  # calamine raises its own types for broken files
            raise UnreadableFile(_corrupt(exc)) from exc
        if META_SHEET in self.sheet_names:
            self._read_meta(self.grid(META_SHEET))

    def _read_meta(self, grid: list[list]) -> None:
        for row in grid:
            cells = [cell_text(c) for c in row]
            if not cells or not cells[0]:
                continue
            key = cells[0].lower()
            if key == "report" and len(cells) >= 4:
                self.sheet_reports[cells[1]] = (cells[2], cells[3])
            elif len(cells) >= 2:
                self.meta[key] = cells[1]

    def grid(self, sheet: str) -> list[list]:
        if sheet not in self._grids:
            try:
                found = self.workbook.get_sheet_by_name(sheet)
                self._grids[sheet] = found.to_python(skip_empty_area=False)
                self._merges[sheet] = list(found.merged_cell_ranges or [])
            except Exception as exc:
                raise UnreadableFile(_corrupt(exc)) from exc
        return self._grids[sheet]

    def merges(self, sheet: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        self.grid(sheet)
        return self._merges.get(sheet, [])

    def uncached(self, sheet: str) -> set[tuple[int, int]]:
        if self.format == "csv":
            return set()
        with zipfile.ZipFile(self.path) as package:
            member = sheet_members(package).get(sheet)
            if member is None or member not in self.formula_members:
                return set()
            return uncached_formulas(package, member)

    def data_sheets(self) -> list[str]:
        return [s for s in self.sheet_names if s != META_SHEET]

    def layout(self, definition: FormDefinition, form: Form) -> str:
        stated = self.meta.get("layout", "")
        if stated in LAYOUTS:
            return stated
        if self.format == "csv" or self._rows_sheet(definition, form):
            return "rows"
        return "sheets" if any(self._form_sheet(s) for s in self.data_sheets()) else "rows"

    def _rows_sheet(self, definition: FormDefinition, form: Form) -> str | None:
        if self.format == "csv":
            return ""
        wanted = self.meta.get("sheet")
        if wanted:
            return wanted if wanted in self.sheet_names else None
        names = {normalise_header(n) for n in (form.name_zh, form.name_en, form.code)}
        names |= {normalise_header(n) for n in (definition.name_zh, definition.name_en)}
        return next((s for s in self.data_sheets() if normalise_header(s) in names), None)

    def _form_sheet(self, sheet: str) -> bool:
        """Whether the sheet is laid out like the paper form: identifier cell, item header."""
        return bool(self._identity_block(sheet)) and form_header(self.grid(sheet))[0] is not None

    def _identity_block(self, sheet: str) -> dict[str, tuple[int, int]]:
        """Labelled cells at the top of a sheets-layout sheet: label → (row, column) of value."""
        found = {}
        for r, row in enumerate(self.grid(sheet)[:12]):
            for c, value in enumerate(row):
                key = IDENTITY.get(normalise_header(cell_text(value)))
                if key and key not in found:
                    found[key] = (r, _next_filled(row, c))
        return found if "identifier" in found else {}

    # -- reading ---------------------------------------------------------------------------

    def read(self, definition: FormDefinition, form: Form) -> Reading:
        layout = self.layout(definition, form)
        reading = Reading(layout=layout)
        names = FieldNames(definition)
        if layout == "rows":
            sheet = self._rows_sheet(definition, form)
            if sheet is None:
                reading.problems.append(self._missing_sheet(definition, form))
                return reading
            _RowsSheet(self, sheet, names, reading, strict=bool(self.meta)).read()
        else:
            self._read_sheets(names, reading)
        return reading

    def _missing_sheet(self, definition: FormDefinition, form: Form) -> Problem:
        wanted = self.meta.get("sheet") or " / ".join(
            dict.fromkeys((definition.name_zh, definition.name_en, form.code))
        )
        return Problem(
            file=self.name,
            sheet="",
            row=None,
            column="",
            value=", ".join(self.data_sheets())[:200],
            reason=_(
                "The workbook has no sheet %(wanted)s. Use the downloaded template, or name "
                "the sheet with the reports after the form."
            )
            % {"wanted": wanted},
        )

    def _read_sheets(self, names: FieldNames, reading: Reading) -> None:
        listed = dict(self.sheet_reports)
        for sheet in listed:
            if sheet not in self.sheet_names:
                reading.problems.append(
                    Problem(
                        file=self.name,
                        sheet=sheet,
                        row=None,
                        column="",
                        value="",
                        reason=_("The sheet is missing from the workbook; it was in the template."),
                    )
                )
        for sheet in self.data_sheets():
            block = self._identity_block(sheet) if self._form_sheet(sheet) else {}
            if not block:
                if sheet in listed:
                    reading.problems.append(
                        self._sheet_problem(sheet, _("The identifier cell at the top is missing."))
                    )
                elif any(any(cell not in (None, "") for cell in row) for row in self.grid(sheet)):
                    reading.warnings.append(
                        self._sheet_problem(
                            sheet, _("The sheet names no enterprise (统一社会信用代码); ignored.")
                        )
                    )
                continue
            _FormSheet(self, sheet, names, reading, block, listed.get(sheet)).read()

    def _sheet_problem(self, sheet: str, reason: str) -> Problem:
        return Problem(
            file=self.name, sheet=sheet, row=None, column="", value="", reason=reason, field=""
        )

    def close(self) -> None:
        workbook = getattr(self, "workbook", None)
        if workbook is not None:
            workbook.close()


def _next_filled(row: list, c: int) -> int:
    for index in range(c + 1, len(row)):
        if cell_text(row[index]):
            return index
    return c + 1


def _csv_grid(path: Path) -> list[list]:
    text = decode_csv(path.read_bytes())
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise UnreadableFile(
            _("The file cannot be read as CSV (%(error)s).") % {"error": exc}
        ) from exc


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _overlaps(merge, rows: range, columns: set[int]) -> bool:
    (r0, c0), (r1, c1) = merge
    if r1 < rows.start or r0 >= rows.stop:
        return False
    return any(c0 <= c <= c1 for c in columns)


class _RowsSheet:
    """The rows layout: a header row, then one report per row."""

    def __init__(self, source: ReportFile, sheet, names, reading, *, strict: bool) -> None:
        self.source = source
        self.sheet = sheet
        self.names = names
        self.reading = reading
        self.strict = strict  # a template: every cell of the form has its column

    def problem(self, row, column: str, value, reason: str) -> Problem:
        return Problem(
            file=self.source.name,
            sheet=self.sheet,
            row=row,
            column=column,
            value=cell_text(value)[:200],
            reason=reason,
        )

    def read(self) -> None:
        grid = self.source.grid(self.sheet)
        header_at = next(
            (
                r
                for r, row in enumerate(grid[:10])
                if any(IDENTITY.get(normalise_header(cell_text(c))) == "identifier" for c in row)
            ),
            None,
        )
        if header_at is None:
            self.reading.problems.append(
                self.problem(
                    1,
                    "",
                    "",
                    _("The required column 统一社会信用代码 (identifier) is missing.")
                    if grid
                    else _("The sheet is empty: the first row must hold the headers."),
                )
            )
            return
        mapped = self.map_header(grid[header_at], header_at + 1)
        if mapped is None:
            return
        identity, cells, titles, scales = mapped
        self.check_sheet(grid, header_at, cells)
        uncached = self.source.uncached(self.sheet) if cells else set()
        for r in range(header_at + 1, len(grid)):
            row = grid[r]
            if all(_is_blank(v) for v in row):
                continue
            self.reading.records.append(
                self.record(r, row, identity, cells, titles, scales, uncached)
            )

    def map_header(self, header: list, row_number: int):
        identity: dict[str, int] = {}
        cells: dict[str, int] = {}
        titles: dict[str, str] = {}
        scales: dict[str, Decimal] = {}
        problems = self.reading.problems
        for c, raw in enumerate(header):
            text = cell_text(raw)
            if not text:
                continue
            title = f"{column_letter(c)} {text}"
            heading = parse_heading(text, self.names)
            if heading.problem:
                problems.append(self.problem(row_number, title, text, heading.problem))
            elif heading.identity:
                if heading.identity in identity:
                    problems.append(self.problem(row_number, title, text, _twice()))
                identity[heading.identity] = c
                titles[heading.identity] = title
            elif heading.cell in cells:
                problems.append(self.problem(row_number, title, text, _twice()))
            else:
                cells[heading.cell] = c
                titles[heading.cell] = title
                field_def = self.names.fields[heading.cell.partition(".")[0]]
                scale = unit_scale(field_def, heading.unit)
                if scale is not None:
                    scales[heading.cell] = scale
        for cell in self.required_cells():
            if cell not in cells:
                code, _dot, column = cell.partition(".")
                field_def = self.names.fields[code]
                missing = self.problem(
                    row_number,
                    cell_header(field_def, column),
                    "",
                    _("The column %(column)s (%(cell)s) is missing.")
                    % {"column": cell_header(field_def, column), "cell": cell},
                )
                problems.append(replace(missing, field=cell))
        return identity, cells, titles, scales

    def required_cells(self) -> list[str]:
        definition = self.names.definition
        if self.strict:
            return definition.cells()
        return [f"{f.code}.current" for f in definition.fields if f.required]

    def check_sheet(self, grid, header_at: int, cells: dict[str, int]) -> None:
        rows = range(header_at + 1, max(len(grid), header_at + 1))
        inputs = set(cells.values())
        for merge in self.source.merges(self.sheet):
            if _overlaps(merge, rows, inputs):
                (r0, c0), (r1, c1) = merge
                self.reading.problems.append(
                    self.problem(
                        r0 + 1,
                        f"{cell_ref(r0, c0)}:{cell_ref(r1, c1)}",
                        "",
                        _("Merged cells cover values to import; unmerge them."),
                    )
                )

    def record(self, r, row, identity, cells, titles, scales, uncached) -> Record:
        def value(c: int):
            return row[c] if c < len(row) else ""

        record = Record(
            file=self.source.name,
            sheet=self.sheet,
            row=r + 1,
            identifier=cell_text(value(identity["identifier"])) if "identifier" in identity else "",
            name=cell_text(value(identity["name"])) if "name" in identity else "",
            scope=cell_text(value(identity["scope"])) if "scope" in identity else "",
            period=cell_text(value(identity["period"])) if "period" in identity else "",
            values={cell: value(c) for cell, c in cells.items()},
            columns=titles,
            scales=scales,
            identity_columns={key: titles[key] for key in identity},
        )
        for cell, c in cells.items():
            if (r, c) in uncached:
                record.fail(cell, _formula_reason())
        return record


def _twice() -> str:
    return _("This column appears twice; keep one.")


def _formula_reason() -> str:
    return _(
        "The cell holds a formula without a calculated value: open the file in Excel, WPS or "
        "LibreOffice and save it, or type the value."
    )


def form_header(grid: list[list]) -> tuple[int | None, dict]:
    """The header row of a sheet laid out like the paper form: (its index, column → kind)."""
    for r, row in enumerate(grid[:30]):
        columns = {}
        for c, value in enumerate(row):
            base, unit, _column, _understood = _peel(normalise_header(cell_text(value)))
            if base in COLUMNS:
                columns[c] = ("value", COLUMNS[base], unit, cell_text(value))
            elif base in CODES:
                columns[c] = ("code", None, None, cell_text(value))
            elif base in ITEMS:
                columns[c] = ("item", None, None, cell_text(value))
        kinds = [spec[0] for spec in columns.values()]
        if "value" in kinds and ("code" in kinds or "item" in kinds):
            return r, columns
    return None, {}


class _FormSheet:
    """The sheets layout: one report laid out like the paper form."""

    def __init__(self, source: ReportFile, sheet, names, reading, block, listed) -> None:
        self.source = source
        self.sheet = sheet
        self.names = names
        self.reading = reading
        self.block = block
        self.listed = listed  # (identifier, scope) from the metadata sheet, if any

    def at(self, key: str):
        if key not in self.block:
            return ""
        r, c = self.block[key]
        row = self.source.grid(self.sheet)[r]
        return cell_text(row[c]) if c < len(row) else ""

    def read(self) -> None:
        grid = self.source.grid(self.sheet)
        r, c = self.block["identifier"]
        record = Record(
            file=self.source.name,
            sheet=self.sheet,
            row=r + 1,
            identifier=self.at("identifier"),
            name=self.at("name"),
            scope=self.at("scope"),
            period=self.at("period"),
            rows={},
            identity_columns={key: column_letter(col) for key, (_row, col) in self.block.items()},
        )
        self.reading.records.append(record)
        if self.listed and (record.identifier, parse_scope(record.scope)) != (
            self.listed[0],
            parse_scope(self.listed[1]),
        ):
            record.fail(
                None,
                _("The enterprise or scope differs from the template's (%(identifier)s).")
                % {"identifier": self.listed[0]},
                record.identifier,
                name="identifier",
            )
        header_at, columns = form_header(grid)
        self.read_rows(grid, header_at, columns, record)

    def read_rows(self, grid, header_at: int, columns: dict, record: Record) -> None:
        code_col = next((c for c, spec in columns.items() if spec[0] == "code"), None)
        item_col = next((c for c, spec in columns.items() if spec[0] == "item"), 0)
        value_cols = {c: spec for c, spec in columns.items() if spec[0] == "value"}
        item_title = f"{column_letter(item_col)} {columns.get(item_col, ('',) * 4)[3]}".strip()
        uncached = self.source.uncached(self.sheet)
        input_positions: set[tuple[int, int]] = set()
        for r in range(header_at + 1, len(grid)):
            row = grid[r]

            def value(c: int, row=row):
                return row[c] if c < len(row) else ""

            code = cell_text(value(code_col)) if code_col is not None else ""
            label = cell_text(value(item_col))
            found = self.names.find(code) if code else self.names.find(label) if label else None
            filled = {c: value(c) for c in value_cols if not _is_blank(value(c))}
            if found is None:
                if filled:
                    c = next(iter(filled))
                    record.problems.append(
                        Problem(
                            file=self.source.name,
                            sheet=self.sheet,
                            row=r + 1,
                            column=item_title,
                            value=(code or label)[:200],
                            reason=_("Unknown item: no field of the form has this name or code."),
                        )
                    )
                continue
            field_def = self.names.fields[found]
            for c, (_kind, column, unit, title) in value_cols.items():
                cell = f"{found}.{column}"
                if column not in field_def.columns:
                    if c in filled:
                        record.rows[cell] = r + 1
                        record.columns[cell] = f"{column_letter(c)} {title}"
                        record.fail(
                            cell,
                            _("The field %(field)s has no column %(column)s.")
                            % {"field": field_name(field_def), "column": title},
                            filled[c],
                        )
                    continue
                if cell in record.values:
                    record.fail(None, _("The item appears twice; keep one."), label, name="item")
                    continue
                record.values[cell] = value(c)
                record.rows[cell] = r + 1
                record.columns[cell] = f"{column_letter(c)} {title}"
                input_positions.add((r, c))
                scale = unit_scale(field_def, unit) if field_def.money else None
                if scale is not None:
                    record.scales[cell] = scale
                if (r, c) in uncached:
                    record.fail(cell, _formula_reason())
        for merge in self.source.merges(self.sheet):
            (r0, c0), (r1, c1) = merge
            if any(r0 <= r <= r1 and c0 <= c <= c1 for r, c in input_positions):
                record.problems.append(
                    Problem(
                        file=self.source.name,
                        sheet=self.sheet,
                        row=r0 + 1,
                        column=f"{cell_ref(r0, c0)}:{cell_ref(r1, c1)}",
                        value="",
                        reason=_("Merged cells cover values to import; unmerge them."),
                    )
                )


def count_reports(path: Path, name: str | None = None) -> int:
    """Roughly how many reports a file holds, cheaply: to choose between a request and a job.
    Checks the file first, so an unreadable one raises UnreadableFile."""
    name = name or Path(path).name
    limits = Limits.from_settings()
    check_size(Path(path), limits)
    if file_format(name) == "csv":
        return max(Path(path).read_bytes().count(b"\n") - 1, 0)
    check_package(Path(path), limits)
    from guozi.registry.imports import count_rows

    with zipfile.ZipFile(path) as package:
        sheets = len(sheet_members(package))
    try:
        first_rows = count_rows(Path(path), name)
    except UnreadableFile:
        first_rows = 0
    return max(first_rows, sheets - 1)


# --- templates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateReport:
    identifier: str
    name: str
    short_name: str
    scope: str
    cells: dict  # stored values to show


def template_reports(
    *, form: Form, period: Period, enterprise_ids: list[int] | None
) -> list[TemplateReport]:
    """The reports expected of these enterprises (all, when None) for the period, in tree order,
    with the values already entered."""
    definition = definition_of(version_in_force(form, period))
    tree = tree_at(period.end)
    if enterprise_ids is None:
        enterprise_ids = _tree_order(tree, sorted(tree.supervisor_of_group))
    active = active_own_at(set(enterprise_ids), period.end)
    ordered = [e for e in enterprise_ids if e in active]
    enterprises = {}
    for start in range(0, len(ordered), CHUNK):
        enterprises.update(
            Enterprise.objects.only(
                "id", "uscc", "foreign_country", "foreign_reg_no", "name_zh", "name_en",
                "short_name",
            ).in_bulk(ordered[start : start + CHUNK])
        )  # fmt: skip
    cells = _entered(form, period, ordered)
    reports = []
    for enterprise_id in ordered:
        enterprise = enterprises[enterprise_id]
        scopes = [ReportScope.CONSOLIDATED]
        if ReportScope.STANDALONE in definition.scopes and tree.has_children(enterprise_id):
            scopes.append(ReportScope.STANDALONE)
        for scope in scopes:
            reports.append(
                TemplateReport(
                    identifier=enterprise.identifier,
                    name=enterprise.name,
                    short_name=enterprise.short_name or enterprise.name,
                    scope=scope,
                    cells=cells.get((enterprise_id, scope), {}),
                )
            )
    return reports


def subtree_ids(enterprise_id: int, period: Period, *, subsidiaries: bool) -> list[int]:
    if not subsidiaries:
        return [enterprise_id]
    return _tree_order(tree_at(period.end), [enterprise_id])


def _tree_order(tree, roots: list[int]) -> list[int]:
    """Depth first, parents before their subsidiaries, siblings by id."""
    ordered, stack = [], list(reversed(roots))
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        ordered.append(node)
        stack.extend(sorted(tree.children.get(node, ()), reverse=True))
    return ordered


def _entered(form: Form, period: Period, enterprise_ids: list[int]) -> dict:
    found = {}
    for start in range(0, len(enterprise_ids), CHUNK):
        rows = Submission.objects.filter(
            form=form, period=str(period), enterprise_id__in=enterprise_ids[start : start + CHUNK]
        ).values_list("enterprise_id", "scope", "cells")
        for enterprise_id, scope, cells in rows:
            found[(enterprise_id, scope)] = cells
    return found


def _sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", text).strip("'")[:31] or "Sheet"


class _Formats:
    """The template's cell formats, made once per workbook."""

    def __init__(self, workbook) -> None:
        add = workbook.add_format
        self.title = add({"bold": True, "font_size": 13, "locked": True})
        self.header = add(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF4",
             "border": 1, "locked": True}
        )  # fmt: skip
        self.label = add({"locked": True})
        self.section = add({"bold": True, "bg_color": "#F3F3F3", "locked": True})
        self.code = add({"locked": True, "font_color": "#777777"})
        self.absent = add({"bg_color": "#D9D9D9", "locked": True})
        self.inputs: dict[str, object] = {}
        self._add = add

    def input(self, field_def: FieldDef):
        key = self.number_format(field_def)
        if key not in self.inputs:
            self.inputs[key] = self._add(
                {"locked": False, "num_format": key, "bg_color": "#FFFDE7", "border": 1,
                 "border_color": "#BBBBBB"}
            )  # fmt: skip
        return self.inputs[key]

    @staticmethod
    def number_format(field_def: FieldDef) -> str:
        if not field_def.numeric:
            return "@"
        if field_def.unit == "人" or field_def.decimals == 0:
            return "#,##0"
        return "#,##0.00"


def _validation(field_def: FieldDef) -> dict | None:
    """The data validation of an input cell, or None."""
    message = {"error_title": _("Not accepted"), "ignore_blank": True}
    if field_def.numeric:
        whole = field_def.decimals == 0 and not field_def.money
        low = field_def.min if field_def.min is not None else Decimal("-1e15")
        high = field_def.max if field_def.max is not None else Decimal("1e15")
        if field_def.min is not None and field_def.max is None:
            error = _("Enter a number of at least %(min)s.") % {"min": field_def.min}
        elif field_def.max is not None and field_def.min is None:
            error = _("Enter a number of at most %(max)s.") % {"max": field_def.max}
        elif field_def.max is not None:
            error = _("Enter a number from %(min)s to %(max)s.") % {
                "min": field_def.min,
                "max": field_def.max,
            }
        else:
            error = _("Enter a number.")
        return {
            **message,
            "validate": "integer" if whole else "decimal",
            "criteria": "between",
            "minimum": _formula_number(low),
            "maximum": _formula_number(high),
            "error_message": error,
        }
    if field_def.kind == "boolean":
        return {**message, "validate": "list", "source": ["是", "否"],
                "error_message": _("Enter 是 or 否.")}  # fmt: skip
    if field_def.kind == "choice":
        return {**message, "validate": "list", "source": list(field_def.choices),
                "error_message": _("Choose one of the listed values.")}  # fmt: skip
    return None


def _formula_number(number: Decimal) -> int | float:
    """A bound as Excel reads it in a validation formula: no exponent."""
    return int(number) if number == number.to_integral_value() else float(number)


@dataclass(frozen=True)
class _Input:
    """How one cell of the form is written: its field, key, style and the stored divisor."""

    field_def: FieldDef
    key: str
    style: object
    divisor: int | None  # stored integer / divisor = the value in the field's unit

    @classmethod
    def of(cls, field_def: FieldDef, column: str, formats) -> "_Input":
        divisor = field_def.scale * field_def.unit_factor if field_def.numeric else None
        return cls(field_def, f"{field_def.code}.{column}", formats.input(field_def), divisor)

    def write(self, sheet, row: int, col: int, cells: dict) -> None:
        stored = cells.get(self.key)
        if stored is None:
            sheet.write_blank(row, col, None, self.style)
        elif self.divisor is not None:
            # int / int in floating point is the correctly rounded value, so the number typed
            # back (its shortest repr) is the stored one exactly.
            sheet.write_number(row, col, stored / self.divisor, self.style)
        else:
            sheet.write_string(row, col, input_text(self.field_def, stored), self.style)


def _add_validations(sheet, ranges: dict) -> None:
    """One data validation per distinct rule, over all the ranges it applies to."""
    for key, refs in ranges.items():
        options = dict(key)
        if "source" in options:
            options["source"] = list(options["source"])
        (r0, c0), (r1, c1) = refs[0]
        options["multi_range"] = " ".join(
            f"{cell_ref(a[0], a[1])}:{cell_ref(b[0], b[1])}" for a, b in refs
        )
        sheet.data_validation(r0, c0, r1, c1, options)


def _rule_key(field_def: FieldDef):
    rule = _validation(field_def)
    if rule is None:
        return None
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in rule.items()))


def write_template(
    stream,
    *,
    form: Form,
    version: FormVersion,
    period: Period,
    reports: list[TemplateReport],
    layout: str = "rows",
) -> None:
    """Write the template as .xlsx to `stream` (a path or a binary file)."""
    import xlsxwriter

    if layout not in LAYOUTS:
        raise DomainError(_("The layout is rows or sheets."), code="layout")
    if not reports:
        raise DomainError(_("No reports are expected for this choice."), code="no_reports")
    definition = definition_of(version)
    # Constant memory streams each sheet through a temporary file of its own: right for one big
    # sheet, but thousands of small sheets would each hold a file open.
    workbook = xlsxwriter.Workbook(
        stream, {"constant_memory": layout == "rows", "strings_to_numbers": False}
    )
    formats = _Formats(workbook)
    meta = [
        ("form", form.code),
        ("version", version.version),
        ("basis", form.basis),
        ("period", str(period)),
        ("layout", layout),
    ]
    if layout == "rows":
        sheet_name = _sheet_title(pick_language(form.name_zh, form.name_en, get_language()))
        _rows_template(workbook, sheet_name, definition, reports, formats)
        meta.append(("sheet", sheet_name))
    else:
        for sheet_name, report in _form_sheets(
            workbook, definition, form, period, reports, formats
        ):
            meta.append(("report", sheet_name, report.identifier, report.scope))
    hidden = workbook.add_worksheet(META_SHEET)
    for r, row in enumerate(meta):
        for c, value in enumerate(row):
            hidden.write_string(r, c, str(value))
    hidden.hide()
    workbook.close()


def _protect(sheet) -> None:
    # Protection keeps labels and identifiers from being changed by accident; it is not a
    # security measure, so there is no password.
    sheet.protect("", {"format_columns": True, "format_rows": True})


def _rows_template(workbook, name, definition: FormDefinition, reports, formats) -> None:
    sheet = workbook.add_worksheet(name)
    cells = [(f, column) for f in definition.fields for column in f.columns]
    headers = [
        pgettext("report workbook", "Identifier"),
        pgettext("report workbook", "Enterprise name"),
        pgettext("report workbook", "Scope"),
    ]
    headers += [cell_header(f, column) for f, column in cells]
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 30)
    sheet.set_column(2, 2, 10)
    sheet.set_column(3, 2 + len(cells), 16)
    sheet.set_row(0, 48)
    sheet.freeze_panes(1, 3)
    sheet.write_row(0, 0, headers, formats.header)
    inputs = [_Input.of(f, column, formats) for f, column in cells]
    for r, report in enumerate(reports, start=1):
        sheet.write_string(r, 0, report.identifier, formats.label)
        sheet.write_string(r, 1, report.name, formats.label)
        sheet.write_string(r, 2, scope_label(report.scope), formats.label)
        for c, cell_input in enumerate(inputs, start=3):
            cell_input.write(sheet, r, c, report.cells)
    ranges = defaultdict(list)
    last = len(reports)
    for c, (f, _column) in enumerate(cells, start=3):
        key = _rule_key(f)
        if key is not None:
            ranges[key].append(((1, c), (last, c)))
    _add_validations(sheet, ranges)
    _protect(sheet)


def _sheet_names(reports: list[TemplateReport]) -> list[str]:
    both = defaultdict(int)
    for report in reports:
        both[report.identifier] += 1
    names, used = [], set()
    for report in reports:
        suffix = ""
        if both[report.identifier] > 1:
            suffix = "-合并" if report.scope == ReportScope.CONSOLIDATED else "-本部"
        base = _sheet_title(report.short_name)[: 31 - len(suffix)] + suffix
        name, n = base, 1
        while name.lower() in used or name == META_SHEET:
            n += 1
            name = f"{base[: 31 - len(str(n)) - 1]}~{n}"
        used.add(name.lower())
        names.append(name)
    return names


def _form_sheets(workbook, definition: FormDefinition, form, period, reports, formats):
    columns = ("current", "prior_year", "opening")
    titles = {
        "current": pgettext("report workbook", "Current (year to date / period end)"),
        "prior_year": pgettext("report workbook", "Prior year"),
        "opening": pgettext("report workbook", "Opening"),
    }
    language = get_language() or "zh-hans"
    for name, report in zip(_sheet_names(reports), reports, strict=True):
        sheet = workbook.add_worksheet(name)
        sheet.set_column(0, 0, 40)
        sheet.set_column(1, 3, 18)
        sheet.set_column(4, 4, 10)
        sheet.set_column(5, 5, 26)
        form_name = pick_language(form.name_zh, form.name_en, language)
        sheet.write_string(0, 0, f"{form_name} · {period.label(language)}", formats.title)
        sheet.write_string(1, 0, pgettext("report workbook", "Identifier"), formats.label)
        sheet.write_string(1, 1, report.identifier, formats.label)
        sheet.write_string(1, 3, pgettext("report workbook", "Enterprise name"), formats.label)
        sheet.write_string(1, 4, report.name, formats.label)
        sheet.write_string(2, 0, pgettext("report workbook", "Scope"), formats.label)
        sheet.write_string(2, 1, scope_label(report.scope), formats.label)
        sheet.write_string(2, 3, pgettext("report workbook", "Period"), formats.label)
        sheet.write_string(2, 4, str(period), formats.label)
        header = [
            pgettext("report workbook", "Item"),
            *(titles[c] for c in columns),
            pgettext("report workbook", "Unit"),
            pgettext("report workbook", "Code"),
        ]
        sheet.write_row(4, 0, header, formats.header)
        sheet.freeze_panes(5, 1)
        ranges = defaultdict(list)
        r = 5
        for section in definition.sections:
            title = pick_language(section.name_zh, section.name_en, language)
            sheet.write_string(r, 0, title, formats.section)
            r += 1
            for f in definition.fields_in(section.code):
                sheet.write_string(r, 0, field_name(f), formats.label)
                for c, column in enumerate(columns, start=1):
                    if column in f.columns:
                        _Input.of(f, column, formats).write(sheet, r, c, report.cells)
                        key = _rule_key(f)
                        if key is not None:
                            ranges[key].append(((r, c), (r, c)))
                    else:
                        sheet.write_blank(r, c, None, formats.absent)
                sheet.write_string(r, 4, unit_label(f.unit), formats.label)
                sheet.write_string(r, 5, f.code, formats.code)
                r += 1
        _add_validations(sheet, ranges)
        _protect(sheet)
        yield name, report
