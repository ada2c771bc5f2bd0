"""Bulk import of enterprises and equity links from .xlsx and .csv files.

The pipeline (style.md §6.2 item 7): read the rows through an adapter → frozen row records with
their row number → validate the whole file and collect every error and warning → plan each row
(new / changed / unchanged) → write everything in one transaction, or nothing at all when
anything is wrong. The result is an `ImportResult`.

The write path uses bulk operations instead of the per-row services, so 100,000 rows fit in
seconds; it applies the same rules as `services.py`: the cleaners of `validation.py`, the
derived fields, the editor permission, the cycle and equity checks, the same handling of the old
management link and stake when a parent changes, and an audit event per created or changed
enterprise.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from guozi.audit.models import AuditEvent
from guozi.audit.services import audit_event, snapshot
from guozi.lib import clock
from guozi.lib.collector import collector_paused
from guozi.lib.models import pick_language
from guozi.lib.uscc import normalise_uscc

from . import selectors, services, validation
from .models import (
    Enterprise,
    EnterpriseStatus,
    EquityLink,
    FunctionClass,
    ManagementLink,
    OutsideParty,
    PartyKind,
    Supervisor,
)
from .validation import FieldError

BATCH = 2000
PREVIEW_ROWS = 200
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SUFFIXES = (".xlsx", ".csv")

ProgressFn = Callable[..., None]


# --- result ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One error or warning, placed in the file."""

    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    reason: str
    field: str = ""

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.sheet}:{self.row or ''}:{self.column}: {self.value} — {self.reason}"
        )

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class RowPlan:
    """What the import does with one row: `new`, `changed` (with its field changes) or
    `unchanged`."""

    row: int
    action: str
    identifier: str
    name: str
    changes: tuple[FieldChange, ...] = ()


@dataclass
class ImportResult:
    file: str
    sheet: str = ""
    dry_run: bool = True
    rows: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    planned: list[RowPlan] = field(default_factory=list)  # the first PREVIEW_ROWS changes
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}

    def describe(self) -> str:
        """One sentence on the outcome, in the active language."""
        counts = {**self.counts, "errors": len(self.errors)}
        if self.errors:
            return (
                ngettext(
                    "%(errors)d error; nothing was written.",
                    "%(errors)d errors; nothing was written.",
                    len(self.errors),
                )
                % counts
            )
        if self.written:
            return (
                _("Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                % counts
            )
        return (
            _(
                "Checked: %(created)d to create, %(updated)d to update, "
                "%(unchanged)d unchanged. Nothing was written (dry run)."
            )
            % counts
        )

    def summary(self, limit: int = 500) -> dict:
        """A JSON-safe summary: counts and the first `limit` errors and warnings."""
        return {
            "file": self.file,
            "sheet": self.sheet,
            "dry_run": self.dry_run,
            "written": self.written,
            "rows": self.rows,
            "counts": self.counts,
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "errors": [problem.as_dict() for problem in self.errors[:limit]],
            "warnings": [problem.as_dict() for problem in self.warnings[:limit]],
        }


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowRecord:
    """One data row as read: its row number in the sheet (the header is row 1) and its cells."""

    number: int
    cells: tuple


@dataclass(frozen=True)
class Table:
    sheet: str
    header: tuple
    rows: tuple[RowRecord, ...]


class UnreadableFile(Exception):
    pass


def file_format(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableFile(_("Only .xlsx and .csv files can be imported."))
    return suffix[1:]


def read_table(path: Path, name: str | None = None) -> Table:
    """The first sheet of a workbook, or a CSV file; the format comes from the file name."""
    name = name or Path(path).name
    if file_format(name) == "xlsx":
        return _read_xlsx(Path(path))
    return _read_csv(Path(path))


def _read_xlsx(path: Path) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        # Keep leading empty rows and columns so that row numbers match the sheet's.
        grid = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken files
        raise UnreadableFile(
            _("The file cannot be read as an .xlsx workbook (%(error)s).") % {"error": exc}
        ) from exc
    return _table(sheet.name, grid)


def decode_csv(data: bytes) -> str:
    """UTF-8 with or without BOM; else GB18030, as Excel writes CSV on Chinese Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            _("The CSV file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8.")
        ) from exc


def _read_csv(path: Path) -> Table:
    text = decode_csv(path.read_bytes())
    try:
        grid = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise UnreadableFile(
            _("The file cannot be read as CSV (%(error)s).") % {"error": exc}
        ) from exc
    return _table("", grid)


def _table(sheet: str, grid: list[list]) -> Table:
    if not grid:
        return Table(sheet, (), ())
    header = tuple(grid[0])
    width = len(header)
    # Every row as wide as the header (a CSV row may be shorter).
    rows = tuple(
        RowRecord(number, tuple(cells) if len(cells) >= width else (*cells, *[""] * width)[:width])
        for number, cells in enumerate(grid[1:], start=2)
        if any(cell not in (None, "") and str(cell).strip() for cell in cells)
    )
    return Table(sheet, header, rows)


def count_rows(path: Path, name: str | None = None) -> int:
    """How many data rows a file has, cheaply: to choose between a request and a job, and
    whether to show a progress bar. A workbook's first sheet is not parsed: its dimension says
    it (Excel, WPS and LibreOffice write one), else its row tags are counted."""
    name = name or Path(path).name
    if file_format(name) == "csv":
        return max(Path(path).read_bytes().count(b"\n") - 1, 0)
    try:
        return max(_sheet_rows(Path(path)) - 1, 0)
    except (OSError, KeyError, AttributeError, zipfile.BadZipFile) as exc:
        raise UnreadableFile(
            _("The file cannot be read as an .xlsx workbook (%(error)s).") % {"error": exc}
        ) from exc


_SHEET = re.compile(r'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"')
_RELATIONSHIP = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)>")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?[A-Z]+(\d+)"')
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _sheet_rows(path: Path) -> int:
    """The row count of the first sheet of a workbook."""
    with zipfile.ZipFile(path) as package:
        workbook = package.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = package.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        first = _SHEET.search(workbook).group(1)
        attributes = next(a for a in _RELATIONSHIP.findall(rels) if f'Id="{first}"' in a)
        target = re.search(r'Target="([^"]+)"', attributes).group(1)
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        with package.open(member) as sheet:
            head = sheet.read(4096)
            found = _DIMENSION.search(head)
            if found:
                return int(found.group(1))
            count, tail = 0, b""
            chunk = head
            while chunk:
                text = tail + chunk
                count += len(_ROW_TAG.findall(text)) - len(_ROW_TAG.findall(tail))
                tail = text[-16:]
                chunk = sheet.read(2**20)
            return count


def cell_text(value) -> str:
    """A cell as text: whole numbers without '.0', a neutralised formula without its quote."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
            return text[1:]
        return text
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


_LOOSE_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _cell_value(value):
    """Dates stay dates (for date columns); everything else becomes text. Dates as Excel
    writes them to CSV (2003/6/18) or as written in Chinese (2003年6月18日) become ISO."""
    if isinstance(value, date):
        return value
    text = cell_text(value)
    match = _LOOSE_DATE.fullmatch(text)
    if match:
        year, month, day = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


# --- headers --------------------------------------------------------------------------------


def normalise_header(text) -> str:
    text = "".join(str(text or "").split()).lower()
    return text.replace("（", "(").replace("）", ")").replace("：", ":").replace("／", "/")


ENTERPRISE_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("内部编号", "内部id", "编号"),
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码"),
    "foreign_reg_no": ("境外注册号", "境外注册编号", "注册号", "foreign_registration_number"),
    "foreign_country": ("国家/地区", "国家", "国别", "国家或地区", "注册国家/地区", "country"),
    "name_zh": ("企业名称", "中文名称", "名称", "name"),
    "name_en": ("英文名称", "英文名"),
    "short_name": ("简称", "企业简称"),
    "parent": (
        "parent_uscc",
        "上级企业统一社会信用代码",
        "上级企业",
        "上级单位",
        "管理上级",
        "上级企业代码",
    ),
    "ownership_pct": ("持股比例", "持股比例(%)", "上级持股比例", "pct"),
    "supervisor": ("国资监管机构", "监管机构", "出资人", "履行出资人职责机构"),
    "region_code": ("行政区划代码", "注册地行政区划代码", "region"),
    "industry_code": ("行业代码", "国民经济行业代码", "国民经济行业分类", "industry"),
    "function_class": ("功能分类", "企业功能分类", "功能界定"),
    "ownership_level": ("企业层级", "所有制层级", "隶属层级", "level"),
    "listed_code": ("上市代码", "股票代码", "证券代码", "listed_codes"),
    "established_on": ("成立日期", "成立时间", "established"),
    "status": ("状态", "企业状态", "经营状态"),
    "portfolio": ("监管范围", "纳入范围"),
    "main_business": ("主营业务", "经营范围"),
}

EQUITY_HEADERS: dict[str, tuple[str, ...]] = {
    "held": ("被持股企业", "被投资企业", "held_uscc", "企业统一社会信用代码"),
    "holder": ("持股方", "股东", "股东名称", "出资方"),
    "holder_kind": ("持股方类型", "股东类型", "股东性质"),
    "pct": ("持股比例", "持股比例(%)", "ownership_pct"),
    "valid_from": ("生效日期", "起始日期", "开始日期"),
    "valid_to": ("失效日期", "终止日期", "结束日期"),
}


def _alias_table(headers: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table = {}
    for canonical, aliases in headers.items():
        for alias in (canonical, *aliases):
            table[normalise_header(alias)] = canonical
    return table


# --- shared machinery -----------------------------------------------------------------------


def _memo(cleaner: Callable) -> Callable:
    """A cleaner that remembers its answer per distinct raw value (files repeat codes a lot).

    Returns (clean value, None) or (None, message); no exception is raised per row."""
    cache: dict = {}

    def clean(value):
        try:
            return cache[value]
        except KeyError:
            try:
                answer = (cleaner(value), None)
            except FieldError as exc:
                answer = (None, exc.message)
            cache[value] = answer
            return answer

    return clean


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _pct_text(pct: Decimal | None) -> str:
    if pct is None:
        return ""
    return format(pct.normalize(), "f")


class _FileImport:
    """Reading, header mapping and problem collection shared by both imports."""

    headers: dict[str, tuple[str, ...]] = {}
    required: tuple[str, ...] = ()

    def __init__(self, *, acting_user, path: Path, name: str | None, dry_run: bool, progress):
        self.acting_user = acting_user
        self.path = Path(path)
        self.name = name or self.path.name
        self.progress = progress or (lambda *args, **kwargs: None)
        self.result = ImportResult(file=self.name, dry_run=dry_run)
        self.columns: dict[str, int] = {}  # canonical name → cell index
        self.titles: dict[str, str] = {}  # canonical name → header as written

    # problems
    def _problem(self, record: RowRecord | None, name: str, reason: str, value=None) -> Problem:
        if value is None and record is not None and name in self.columns:
            value = self.raw(record, name)
        return Problem(
            file=self.name,
            sheet=self.result.sheet,
            row=record.number if record is not None else (None if name == "file" else 1),
            column=self.titles.get(name, name),
            value=cell_text(value)[:200] if value is not None else "",
            reason=reason,
            field=name,
        )

    def error(self, record, name, reason, value=None) -> None:
        self.result.errors.append(self._problem(record, name, reason, value))

    def warn(self, record, name, reason, value=None) -> None:
        self.result.warnings.append(self._problem(record, name, reason, value))

    # cells
    def has(self, name: str) -> bool:
        return name in self.columns

    def raw(self, record: RowRecord, name: str):
        index = self.columns.get(name)
        if index is None or index >= len(record.cells):
            return ""
        return record.cells[index]

    def text(self, record: RowRecord, name: str) -> str:
        return cell_text(self.raw(record, name))

    def read(self) -> Table | None:
        try:
            table = read_table(self.path, self.name)
        except UnreadableFile as exc:
            self.error(None, "file", str(exc), value="")
            return None
        self.result.sheet = table.sheet
        self.result.rows = len(table.rows)
        if not table.header:
            self.error(None, "file", _("The file is empty: the first row must hold the headers."))
            return None
        self.map_headers(table.header)
        return table

    def map_headers(self, header: tuple) -> None:
        aliases = _alias_table(self.headers)
        accepted = ", ".join(self.headers)
        for index, title in enumerate(header):
            text = cell_text(title)
            if not text:
                continue
            canonical = aliases.get(normalise_header(text))
            if canonical is None:
                self.warn(
                    None,
                    text,
                    _("Unknown column, ignored. Known columns: %(accepted)s.")
                    % {"accepted": accepted},
                    value=text,
                )
            elif canonical in self.columns:
                self.error(
                    None,
                    text,
                    _("Column %(name)s appears twice (also as %(other)s); keep one.")
                    % {"name": canonical, "other": self.titles[canonical]},
                    value=text,
                )
            else:
                self.columns[canonical] = index
                self.titles[canonical] = text
        for name in self.required:
            if name not in self.columns:
                aliases_text = " / ".join(self.headers[name][:2])
                self.error(
                    None,
                    name,
                    _("The required column %(name)s (%(aliases)s) is missing.")
                    % {"name": name, "aliases": aliases_text},
                    value="",
                )

    def tick(self, done: int, total: int, message: str) -> None:
        if done % 1000 == 0 or done == total:
            self.progress(done, total, message)


# --- enterprises ----------------------------------------------------------------------------

# File column → Enterprise attribute.
COLUMN_FIELDS = {
    "uscc": "uscc",
    "foreign_reg_no": "foreign_reg_no",
    "foreign_country": "foreign_country",
    "name_zh": "name_zh",
    "name_en": "name_en",
    "short_name": "short_name",
    "supervisor": "supervisor_id",
    "region_code": "region_code",
    "industry_code": "industry_code",
    "function_class": "function_class_id",
    "ownership_level": "ownership_level",
    "listed_code": "listed_codes",
    "established_on": "established_on",
    "status": "status",
    "portfolio": "portfolio",
    "main_business": "main_business",
}
FIELD_COLUMNS = {attname: column for column, attname in COLUMN_FIELDS.items()}
STORED = [*COLUMN_FIELDS.values(), "status_on"]
INACTIVE = {EnterpriseStatus.MERGED, EnterpriseStatus.DEREGISTERED}
# The columns cleaned on their own, in this order (supervisor before function_class, which is
# checked with the final supervisor later).
COLUMN_STEPS = [
    "id",
    "uscc",
    "foreign_reg_no",
    "foreign_country",
    "name_zh",
    "name_en",
    "short_name",
    "supervisor",
    "region_code",
    "industry_code",
    "ownership_level",
    "listed_code",
    "established_on",
    "status",
    "portfolio",
    "parent",
    "ownership_pct",
    "main_business",
]


def _clean_listed_codes(value: str) -> str:
    codes = validation.clean_listed_codes(value)
    if len(codes) > 200:
        raise FieldError(
            _("%(label)s is longer than %(n)d characters.")
            % {"label": _("Listed stock codes"), "n": 200}
        )
    return codes


def _field_label(name: str) -> str:
    if name == "parent":
        return _("management parent")
    if name == "ownership_pct":
        return _("parent's stake %")
    attname = COLUMN_FIELDS.get(name, name)
    for model_field in Enterprise._meta.concrete_fields:
        if model_field.attname == attname:
            return str(model_field.verbose_name)
    return name


@dataclass(slots=True)
class _Row:
    record: RowRecord
    fields: dict = field(default_factory=dict)  # Enterprise attname → clean value from the file
    failed: set = field(default_factory=set)  # columns with an error
    row_id: int | None = None  # the id column
    target: int | None = None  # the existing enterprise this row updates
    node: tuple = ()  # ("e", id) for an existing enterprise, ("r", row number) for a new one
    parent_ref: str | None = None  # None: no parent column; "": blank
    parent: tuple | None = None  # the management parent: ("e"/"r", …) or ("s", supervisor id)
    parent_given: bool = False  # the row says who the parent is (blank: the supervisor)
    pct: Decimal | None = None
    parent_changed: bool = False
    stake_changed: bool = False
    # final values (the file's, else the database's)
    uscc: str | None = None
    foreign: tuple[str, str] | None = None
    supervisor_id: int | None = None
    status: str = EnterpriseStatus.ACTIVE

    @property
    def bad(self) -> bool:
        return bool(self.failed)


class _Link(NamedTuple):
    id: int
    held_id: int
    holder_enterprise_id: int | None
    holder_supervisor_id: int | None
    pct: Decimal
    valid_from: date
    valid_to: date | None


@dataclass
class _Current:
    """The database's management parent and parent's stake of an existing enterprise."""

    link_id: int | None = None
    link_from: date | None = None
    parent: tuple | None = None  # ("e", id) or ("s", supervisor id)
    later_link_from: date | None = None
    stake_links: list = field(default_factory=list)
    stake: Decimal | None = None


class EnterpriseImport(_FileImport):
    headers = ENTERPRISE_HEADERS
    required = ("name_zh", "supervisor")

    def __init__(self, *, valid_from: date | None = None, **kwargs):
        super().__init__(**kwargs)
        self.day = valid_from or clock.today()
        self.rows: list[_Row] = []
        self._rows_by_number: dict[int, _Row] = {}
        self.plans: list[tuple[_Row, str, list[FieldChange]]] = []

    def reject(self, row: _Row, column: str, reason: str) -> None:
        self.error(row.record, column, reason)
        row.failed.add(column)

    # -- entry point
    def run(self) -> ImportResult:
        table = self.read()
        if table is None:
            return self.result
        if not ({"id", "uscc", "foreign_reg_no"} & set(self.columns)):
            self.error(
                None,
                "uscc",
                _(
                    "The file needs an identifier column: id, uscc (统一社会信用代码) "
                    "or foreign_reg_no (境外注册号)."
                ),
                value="",
            )
        if self.result.errors:
            return self.result
        self.load_reference()
        self.rows = self.clean_rows(table.rows)
        self.resolve_targets()
        self.finish_rows()
        self.check_duplicates()
        self.check_permissions()
        self.resolve_parents()
        self.load_current()
        self.check_cycles()
        self.plan()
        # The file's own errors first, then row by row, each row's from left to right.
        self.result.errors.sort(key=lambda problem: problem.row or 0)
        self.result.warnings.sort(key=lambda problem: problem.row or 0)
        if self.result.errors:
            self.result.created = self.result.updated = self.result.unchanged = 0
        if self.result.errors or self.result.dry_run:
            return self.result
        self.write()
        return self.result

    # -- reference data, loaded once instead of per row
    def load_reference(self) -> None:
        self.supervisors = {s.id: s for s in Supervisor.objects.all()}
        self.supervisor_keys: dict[str, int] = {}
        for supervisor in self.supervisors.values():
            for key in (supervisor.code, supervisor.name_zh, supervisor.name_en):
                if key:
                    self.supervisor_keys.setdefault(key.strip().lower(), supervisor.id)
        self.classes: dict[int, dict[str, FunctionClass]] = defaultdict(dict)
        self.class_codes: dict[int, str] = {}
        for item in FunctionClass.objects.all():
            self.class_codes[item.id] = item.code
            for key in (item.code, item.name_zh, item.name_en):
                if key:
                    self.classes[item.supervisor_id].setdefault(key.strip().lower(), item)
        self.by_uscc: dict[str, int] = {}
        self.by_foreign: dict[tuple[str, str], int] = {}
        self.by_foreign_no: dict[str, list[int]] = defaultdict(list)
        # id → (uscc, country, foreign number, Chinese name, supervisor id)
        self.identity: dict[int, tuple] = {}
        for pk, uscc, country, number, name, supervisor_id in Enterprise.objects.values_list(
            "id", "uscc", "foreign_country", "foreign_reg_no", "name_zh", "supervisor_id"
        ):
            self.identity[pk] = (uscc, country, number, name, supervisor_id)
            if uscc:
                self.by_uscc[uscc] = pk
            if number:
                self.by_foreign[(country, number)] = pk
                self.by_foreign_no[number].append(pk)
        self.editable = selectors.editable_supervisor_ids(self.acting_user)

    # -- each row on its own, column by column
    def clean_rows(self, records: tuple[RowRecord, ...]) -> list[_Row]:
        """Rows with their clean values. Column by column: a column repeats few distinct
        values (codes, classes, dates), so each is cleaned once; a cleaner is called per cell
        only where a value may be wrong, and always says why."""
        rows = [_Row(record=record) for record in records]
        total, message = len(rows), _("Checking rows")
        steps = [name for name in self.columns if name in COLUMN_STEPS]
        for step, name in enumerate(steps, start=1):
            index = self.columns[name]
            texts = [
                value.strip() if type(value) is str and value[:1] != "'" else cell_text(value)
                for value in (record.cells[index] for record in records)
            ]
            getattr(self, f"_clean_{name}")(rows, texts, index)
            self.progress(total * step // len(steps), total, message)
        return rows

    def _clean_id(self, rows, texts, index) -> None:
        for row, text in zip(rows, texts, strict=True):
            if not text:
                continue
            if not text.isdigit():
                self.reject(
                    row,
                    "id",
                    _(
                        "The internal id is a whole number as written by the export; "
                        "leave it blank for a new enterprise."
                    ),
                )
            elif int(text) not in self.identity:
                self.reject(
                    row,
                    "id",
                    _(
                        "No enterprise has the internal id %(id)s. Leave id blank to "
                        "register a new enterprise."
                    )
                    % {"id": text},
                )
            else:
                row.row_id = int(text)

    def _clean_uscc(self, rows, texts, index) -> None:
        for row, text in zip(rows, texts, strict=True):
            try:
                code, warnings = validation.clean_uscc(text)
            except FieldError as exc:
                self.reject(row, "uscc", exc.message)
                continue
            row.fields["uscc"] = code
            for warning in warnings:
                self.warn(row.record, "uscc", warning)

    def _clean_text(self, name: str, label: str, limit: int, rows, texts) -> None:
        for row, text in zip(rows, texts, strict=True):
            if len(text) > limit:
                try:
                    validation.clean_text(text, label, limit)
                except FieldError as exc:
                    self.reject(row, name, exc.message)
                    continue
            row.fields[name] = text

    def _clean_foreign_reg_no(self, rows, texts, index) -> None:
        self._clean_text("foreign_reg_no", _("Foreign registration number"), 60, rows, texts)

    def _clean_name_en(self, rows, texts, index) -> None:
        self._clean_text("name_en", _("English name"), 200, rows, texts)

    def _clean_short_name(self, rows, texts, index) -> None:
        self._clean_text("short_name", _("Short name"), 60, rows, texts)

    def _clean_main_business(self, rows, texts, index) -> None:
        self._clean_text("main_business", _("Main business"), 4000, rows, texts)

    def _clean_name_zh(self, rows, texts, index) -> None:
        label = _("Chinese name")
        for row, text in zip(rows, texts, strict=True):
            if not text or len(text) > 200:
                try:
                    validation.clean_required_text(text, label, 200)
                except FieldError as exc:
                    self.reject(row, "name_zh", exc.message)
                    continue
            row.fields["name_zh"] = text

    def _clean_choice(self, name: str, cleaner: Callable, rows, values) -> None:
        attname = COLUMN_FIELDS[name]
        for row, (value, message) in zip(rows, map(_memo(cleaner), values), strict=True):
            if message:
                self.reject(row, name, message)
            else:
                row.fields[attname] = value

    def _clean_foreign_country(self, rows, texts, index) -> None:
        self._clean_choice("foreign_country", validation.clean_country, rows, texts)

    def _clean_region_code(self, rows, texts, index) -> None:
        self._clean_choice("region_code", validation.clean_region, rows, texts)

    def _clean_industry_code(self, rows, texts, index) -> None:
        self._clean_choice("industry_code", validation.clean_industry, rows, texts)

    def _clean_status(self, rows, texts, index) -> None:
        self._clean_choice("status", validation.clean_status, rows, texts)

    def _clean_portfolio(self, rows, texts, index) -> None:
        self._clean_choice("portfolio", validation.clean_portfolio, rows, texts)

    def _clean_listed_code(self, rows, texts, index) -> None:
        self._clean_choice("listed_code", _clean_listed_codes, rows, texts)

    def _clean_ownership_level(self, rows, texts, index) -> None:
        # Blank: the supervisor's level, once the supervisor is known.
        kept = [(row, text) for row, text in zip(rows, texts, strict=True) if text]
        self._clean_choice(
            "ownership_level",
            validation.clean_ownership_level,
            [row for row, _text in kept],
            [text for _row, text in kept],
        )

    def _clean_established_on(self, rows, texts, index) -> None:
        values = [_cell_value(row.record.cells[index]) for row in rows]
        self._clean_choice("established_on", validation.clean_date, rows, values)

    def _clean_supervisor(self, rows, texts, index) -> None:
        keys = self.supervisor_keys
        for row, text in zip(rows, texts, strict=True):
            if not text:
                continue
            supervisor_id = keys.get(text.lower())
            if supervisor_id is None:
                self.reject(
                    row,
                    "supervisor",
                    _("No supervisor has this code or name. Known supervisors: %(known)s.")
                    % {"known": self._known_supervisors()},
                )
            else:
                row.fields["supervisor_id"] = supervisor_id

    def _clean_parent(self, rows, texts, index) -> None:
        for row, ref in zip(rows, texts, strict=True):
            if len(ref) == 18 and ref.isalnum():
                ref = ref.upper()
            elif len(normalise_uscc(ref)) == 18 and ":" not in ref:
                ref = normalise_uscc(ref)  # a USCC written with spaces or hyphens
            row.parent_ref = ref

    def _clean_ownership_pct(self, rows, texts, index) -> None:
        for row, (pct, message) in zip(rows, map(_memo(validation.clean_pct), texts), strict=True):
            if message:
                self.reject(row, "ownership_pct", message)
            row.pct = pct

    def _known_supervisors(self) -> str:
        known = [f"{s.code} / {s.name_zh}" for s in self.supervisors.values()]
        return ", ".join(known[:10]) + (" …" if len(known) > 10 else "")

    # -- which enterprise each row is
    def resolve_targets(self) -> None:
        for row in self.rows:
            if row.row_id is not None:
                row.target = row.row_id
            elif "id" not in row.failed:
                uscc = row.fields.get("uscc")
                number = row.fields.get("foreign_reg_no")
                country = row.fields.get("foreign_country", "")
                by_uscc = self.by_uscc.get(uscc) if uscc else None
                by_foreign = self.by_foreign.get((country, number)) if number else None
                if by_uscc and by_foreign and by_uscc != by_foreign:
                    self.reject(
                        row,
                        "foreign_reg_no",
                        _(
                            "The USCC belongs to %(one)s and the foreign registration number "
                            "to %(other)s; one row describes one enterprise."
                        )
                        % {"one": self._describe(by_uscc), "other": self._describe(by_foreign)},
                    )
                else:
                    row.target = by_uscc or by_foreign
            row.node = ("e", row.target) if row.target else ("r", row.record.number)
        # Enterprises whose identifiers this file changes, with their new ones.
        self.new_identity = {
            row.target: (row.fields.get("uscc", "-"), row.fields.get("foreign_reg_no", "-"))
            for row in self.rows
            if row.target
        }

    def _describe(self, pk: int) -> str:
        uscc, country, number, name, _supervisor = self.identity[pk]
        return f"{name} ({uscc or f'{country}:{number}'}, id {pk})"

    # -- final values and the rules of one enterprise
    def finish_rows(self) -> None:
        targets = [row.target for row in self.rows if row.target]
        self.existing: dict[int, dict] = {}
        for chunk in _chunks(targets):
            for values in Enterprise.objects.filter(id__in=chunk).values("id", *STORED):
                self.existing[values["id"]] = values
        for row in self.rows:
            old = self.existing.get(row.target) if row.target else None
            values = row.fields

            def final(attname, default=None, values=values, old=old):
                if attname in values:
                    return values[attname]
                return old[attname] if old is not None else default

            row.uscc = final("uscc")
            number = final("foreign_reg_no", "")
            country = final("foreign_country", "")
            row.foreign = (country, number) if number else None
            row.supervisor_id = final("supervisor_id")
            row.status = final("status", EnterpriseStatus.ACTIVE)
            identity_failed = {"uscc", "foreign_reg_no", "id"} & row.failed
            if not row.uscc and not number and not identity_failed:
                self.reject(
                    row,
                    "uscc" if self.has("uscc") else "foreign_reg_no",
                    _(
                        "An enterprise needs a USCC, or a foreign registration number with its "
                        "country."
                    ),
                )
            if number and not country and "foreign_country" not in row.failed:
                self.reject(
                    row,
                    "foreign_country",
                    _(
                        "A foreign registration number needs its country: a two-letter ISO 3166 "
                        "code such as DE or SG."
                    ),
                )
            if row.supervisor_id is None:
                if "supervisor" not in row.failed:
                    self.reject(
                        row,
                        "supervisor",
                        _("The supervisor is required: its code or Chinese name (%(known)s).")
                        % {"known": self._known_supervisors()},
                    )
                continue
            supervisor = self.supervisors[row.supervisor_id]
            if self.has("function_class"):
                self._clean_class(row, supervisor)
            if "ownership_level" not in values and (old is None or self.has("ownership_level")):
                values["ownership_level"] = supervisor.level
            if old is None:
                values.setdefault("status", EnterpriseStatus.ACTIVE)
                values.setdefault("portfolio", "own")
            self._check_clash(row)

    def _clean_class(self, row: _Row, supervisor: Supervisor) -> None:
        raw = self.text(row.record, "function_class")
        if not raw:
            row.fields["function_class_id"] = None
            return
        found = self.classes[supervisor.id].get(raw.lower())
        if found is None or not self._class_in_use(found):
            accepted = ", ".join(
                f"{item.code} / {item.name_zh}"
                for key, item in self.classes[supervisor.id].items()
                if key == item.code.lower() and self._class_in_use(item)
            )
            self.reject(
                row,
                "function_class",
                _("Not a functional class of %(supervisor)s on %(day)s. Accepted: %(accepted)s.")
                % {"supervisor": supervisor.name_zh, "day": self.day, "accepted": accepted},
            )
            return
        row.fields["function_class_id"] = found.id

    def _class_in_use(self, item: FunctionClass) -> bool:
        return (item.valid_from is None or item.valid_from <= self.day) and (
            item.valid_to is None or item.valid_to > self.day
        )

    def _check_clash(self, row: _Row) -> None:
        """An identifier of this row registered to another enterprise (that keeps it)."""
        if row.uscc and "uscc" in row.fields:
            owner = self.by_uscc.get(row.uscc)
            moving_away = owner in self.new_identity and self.new_identity[owner][0] != row.uscc
            if owner and owner != row.target and not moving_away:
                self.reject(
                    row,
                    "uscc",
                    _(
                        "USCC %(uscc)s is already registered to %(owner)s, not to the enterprise "
                        "with id %(id)s. Give that enterprise's id or correct the code."
                    )
                    % {"uscc": row.uscc, "owner": self._describe(owner), "id": row.target},
                )
        if row.foreign and "foreign_reg_no" in row.fields:
            owner = self.by_foreign.get(row.foreign)
            moving_away = (
                owner in self.new_identity and self.new_identity[owner][1] != row.foreign[1]
            )
            if owner and owner != row.target and not moving_away:
                self.reject(
                    row,
                    "foreign_reg_no",
                    _(
                        "Foreign registration number %(number)s is already registered to "
                        "%(owner)s. Give that enterprise's id or correct the number."
                    )
                    % {"number": ":".join(row.foreign), "owner": self._describe(owner)},
                )

    def check_duplicates(self) -> None:
        seen: dict[tuple, _Row] = {}
        for row in self.rows:
            keys = []
            if row.target:
                keys.append((("target", row.target), "id" if row.row_id else "uscc"))
            if row.uscc:
                keys.append((("uscc", row.uscc), "uscc"))
            if row.foreign:
                keys.append((("foreign", row.foreign), "foreign_reg_no"))
            for key, column in keys:
                first = seen.setdefault(key, row)
                if first is not row:
                    if not self.has(column):
                        column = next(c for c in ("uscc", "foreign_reg_no", "id") if self.has(c))
                    self.reject(
                        row,
                        column,
                        _(
                            "The same enterprise is already in row %(row)d; each enterprise "
                            "appears once in a file."
                        )
                        % {"row": first.record.number},
                    )
                    break

    def check_permissions(self) -> None:
        for row in self.rows:
            needed = {row.supervisor_id} if row.supervisor_id else set()
            if row.target:
                needed.add(self.identity[row.target][4])
            refused = sorted(needed - self.editable)
            if refused:
                names = ", ".join(self.supervisors[pk].name_zh for pk in refused)
                self.reject(
                    row,
                    "supervisor",
                    _("You may not change the registry of %(supervisor)s.") % {"supervisor": names},
                )

    # -- the management tree
    def resolve_parents(self) -> None:
        in_file: dict[str, tuple] = {}
        bare: dict[str, list[tuple]] = defaultdict(list)
        for row in self.rows:
            if row.row_id:
                in_file[str(row.row_id)] = row.node
            if row.uscc:
                in_file[row.uscc] = row.node
            elif "uscc" in row.failed:
                # Children still find a parent whose own code is wrong: one error, not many.
                in_file[normalise_uscc(self.text(row.record, "uscc"))] = row.node
            if row.foreign:
                in_file[f"{row.foreign[0]}:{row.foreign[1]}"] = row.node
                bare[row.foreign[1]].append(row.node)
        for row in self.rows:
            if row.parent_ref is None:
                continue
            if not row.parent_ref:
                # Blank: a group directly under its supervisor; a merged or deregistered
                # enterprise keeps whatever place in the tree it has.
                row.parent_given = row.status not in INACTIVE
                continue
            node = self._find(row.parent_ref, in_file, bare)
            if node is None:
                self.reject(
                    row,
                    "parent",
                    _(
                        "No enterprise in this file or in the registry has the identifier "
                        "%(ref)s. Give the parent's internal id, USCC or COUNTRY:registration "
                        "number, or leave it blank for a group directly under its supervisor."
                    )
                    % {"ref": row.parent_ref},
                )
                continue
            row.parent = node
            row.parent_given = True

    def _find(self, ref: str, in_file: dict, bare: dict) -> tuple | None:
        country, _sep, number = ref.partition(":")
        foreign = (
            (country.strip().upper(), number.strip()) if number and len(country) == 2 else None
        )
        for key in (ref, ref.upper(), foreign and f"{foreign[0]}:{foreign[1]}"):
            if key and key in in_file:
                return in_file[key]
        if ref.isdigit() and len(ref) < 18:
            return ("e", int(ref)) if int(ref) in self.identity else None
        if ref.upper() in self.by_uscc:
            return ("e", self.by_uscc[ref.upper()])
        if foreign:
            found = self.by_foreign.get(foreign)
            return ("e", found) if found else None
        candidates = bare.get(ref) or [("e", pk) for pk in self.by_foreign_no.get(ref, [])]
        return candidates[0] if len(candidates) == 1 else None

    def load_current(self) -> None:
        """Every enterprise's open management link (for cycles), and the rows' stakes."""
        self.current: dict[int, _Current] = defaultdict(_Current)
        self.db_parent: dict[int, int] = {}
        targets = {row.target for row in self.rows if row.target}
        links = ManagementLink.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=self.day))
        for pk, child, parent, supervisor, start in links.values_list(
            "id", "child_id", "parent_id", "parent_supervisor_id", "valid_from"
        ).iterator(chunk_size=BATCH):
            if start > self.day:
                if child in targets:
                    current = self.current[child]
                    if current.later_link_from is None or start < current.later_link_from:
                        current.later_link_from = start
                continue
            if parent:
                self.db_parent[child] = parent
            if child in targets:
                current = self.current[child]
                current.link_id, current.link_from = pk, start
                current.parent = ("e", parent) if parent else ("s", supervisor)
        self.stakes: dict[int, list[_Link]] = defaultdict(list)
        for chunk in _chunks(sorted(targets)):
            for values in (
                EquityLink.objects.filter(held_id__in=chunk)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=self.day))
                .values_list(*_Link._fields)
            ):
                link = _Link(*values)
                self.stakes[link.held_id].append(link)
        for held, links in self.stakes.items():
            current = self.current[held]
            for link in links:
                holder = (
                    ("e", link.holder_enterprise_id)
                    if link.holder_enterprise_id
                    else ("s", link.holder_supervisor_id)
                )
                if current.parent == holder and link.valid_from <= self.day:
                    current.stake_links.append(link)
                    current.stake = (current.stake or Decimal(0)) + link.pct

    def check_cycles(self) -> None:
        if not any(row.parent_given and row.parent for row in self.rows):
            return
        parent_of: dict[tuple, tuple | None] = {
            ("e", child): ("e", parent) for child, parent in self.db_parent.items()
        }
        row_of: dict[tuple, _Row] = {}
        for row in self.rows:
            row_of[row.node] = row
            if row.parent_given:
                parent_of[row.node] = row.parent
            elif row.target is None:
                parent_of[row.node] = None
        state: dict[tuple, int] = {}
        for row in self.rows:
            path: list[tuple] = []
            node = row.node
            while node is not None and node not in state:
                state[node] = 1
                path.append(node)
                node = parent_of.get(node)
            if node is not None and state[node] == 1:
                cycle = path[path.index(node) :]
                shown = " → ".join(self._node_name(n) for n in [*cycle, cycle[0]])
                for member in cycle:
                    culprit = row_of.get(member)
                    if culprit is not None and culprit.parent_given:
                        self.reject(
                            culprit,
                            "parent",
                            _(
                                "This parent would make a cycle in the management tree: "
                                "%(path)s. An enterprise cannot be managed by one of its own "
                                "subsidiaries."
                            )
                            % {"path": shown},
                        )
            for visited in path:
                state[visited] = 2

    def _node_name(self, node: tuple | None) -> str:
        if node is None:
            return ""
        if node[0] == "s":
            return self.supervisors[node[1]].name_zh
        if node[0] == "e":
            uscc, country, number, _name, _supervisor = self.identity[node[1]]
            return uscc or f"{country}:{number}"
        row = self._row_by_number()[node[1]]
        return row.uscc or (":".join(row.foreign) if row.foreign else str(node[1]))

    def _row_by_number(self) -> dict[int, _Row]:
        if len(self._rows_by_number) != len(self.rows):
            self._rows_by_number = {row.record.number: row for row in self.rows}
        return self._rows_by_number

    def _supervisor_of(self, node: tuple) -> int | None:
        if node[0] == "e":
            return self.identity[node[1]][4]
        if node[0] == "r":
            return self._row_by_number()[node[1]].supervisor_id
        return None

    # -- plan: new / changed / unchanged, with parents and stakes
    def plan(self) -> None:
        for row in self.rows:
            if row.bad:
                continue
            if row.target is None:
                self._plan_new(row)
            else:
                self._plan_update(row)
        for row, action, changes in self.plans:
            if action == "new":
                self.result.created += 1
            elif action == "changed":
                self.result.updated += 1
            else:
                self.result.unchanged += 1
            if action != "unchanged" and len(self.result.planned) < PREVIEW_ROWS:
                if action == "new":
                    changes = self._new_changes(row)
                old = self.existing.get(row.target)
                self.result.planned.append(
                    RowPlan(
                        row=row.record.number,
                        action=action,
                        identifier=row.uscc or ":".join(row.foreign or ("", "")),
                        name=row.fields.get("name_zh") or (old["name_zh"] if old else ""),
                        changes=tuple(changes),
                    )
                )

    def _plan_new(self, row: _Row) -> None:
        if row.parent_given:
            row.parent = row.parent or ("s", row.supervisor_id)
        elif row.status not in INACTIVE:
            row.parent = ("s", row.supervisor_id)
        if row.pct is not None and row.parent is None:
            self.warn(
                row.record,
                "ownership_pct",
                _("Ignored: an enterprise outside the management tree has no parent's stake."),
            )
            row.pct = None
        self._warn_other_supervisor(row)
        self.plans.append((row, "new", []))

    def _new_changes(self, row: _Row) -> list[FieldChange]:
        changes = [
            FieldChange(
                FIELD_COLUMNS[name],
                _field_label(FIELD_COLUMNS[name]),
                "",
                self._display(name, value),
            )
            for name, value in row.fields.items()
            if value not in (None, "")
        ]
        if row.parent is not None:
            changes.append(
                FieldChange("parent", _field_label("parent"), "", self._node_name(row.parent))
            )
        if row.pct is not None:
            changes.append(
                FieldChange("ownership_pct", _field_label("ownership_pct"), "", _pct_text(row.pct))
            )
        return changes

    def _plan_update(self, row: _Row) -> None:
        old = self.existing[row.target]
        changes = [
            FieldChange(
                FIELD_COLUMNS[attname],
                _field_label(FIELD_COLUMNS[attname]),
                self._display(attname, old[attname]),
                self._display(attname, value),
            )
            for attname, value in row.fields.items()
            if old[attname] != value
        ]
        current = self.current.get(row.target) or _Current()
        if row.parent_given:
            row.parent = row.parent or ("s", row.supervisor_id)
            row.parent_changed = row.parent != current.parent
        else:
            row.parent = current.parent
        if row.parent_changed:
            if current.later_link_from is not None:
                self.reject(
                    row,
                    "parent",
                    _(
                        "%(name)s already has a management parent from %(day)s; two parents "
                        "at once are not allowed. Use an effective date on or after that day."
                    )
                    % {"name": old["name_zh"], "day": current.later_link_from},
                )
                return
            changes.append(
                FieldChange(
                    "parent",
                    _field_label("parent"),
                    self._node_name(current.parent),
                    self._node_name(row.parent),
                )
            )
            self._warn_other_supervisor(row)
        # The parent's stake: as the file says; without the column, it moves with a new parent.
        stake = row.pct if self.has("ownership_pct") else current.stake
        if row.parent is None:
            stake = None
        row.pct = stake
        row.stake_changed = stake != current.stake or (row.parent_changed and stake is not None)
        if row.stake_changed:
            if stake is not None and not self._equity_fits(row, old, stake, current):
                return
            changes.append(
                FieldChange(
                    "ownership_pct",
                    _field_label("ownership_pct"),
                    _pct_text(current.stake),
                    _pct_text(stake),
                )
            )
        self.plans.append((row, "changed" if changes else "unchanged", changes))

    def _equity_fits(self, row: _Row, old: dict, stake: Decimal, current: _Current) -> bool:
        """The parent's stake plus every other holder's stays within 100% at every date."""
        replaced = {link.id for link in current.stake_links}
        others = [link for link in self.stakes.get(row.target, []) if link.id not in replaced]
        # The total only changes where a link starts, so checking those days is enough.
        for day in sorted({self.day, *(link.valid_from for link in others)} - {None}):
            if day < self.day:
                continue
            held_by_others = sum(
                (
                    link.pct
                    for link in others
                    if link.valid_from <= day and (link.valid_to is None or link.valid_to > day)
                ),
                Decimal(0),
            )
            if stake + held_by_others > 100:
                self.reject(
                    row,
                    "ownership_pct",
                    _(
                        "Holdings in %(name)s would total %(total)s%% on %(day)s (the parent's "
                        "%(pct)s%% plus %(others)s%% held by others); at most 100%% is possible."
                    )
                    % {
                        "name": old["name_zh"],
                        "total": _pct_text(stake + held_by_others),
                        "day": day,
                        "pct": _pct_text(stake),
                        "others": _pct_text(held_by_others),
                    },
                )
                return False
        return True

    def _warn_other_supervisor(self, row: _Row) -> None:
        if row.parent is None or row.parent[0] == "s":
            return
        supervisor_id = self._supervisor_of(row.parent)
        if supervisor_id and supervisor_id != row.supervisor_id:
            self.warn(
                row.record,
                "parent",
                _("The parent belongs to another supervisor (%(supervisor)s).")
                % {"supervisor": self.supervisors[supervisor_id].name_zh},
            )

    def _display(self, attname: str, value) -> str:
        if value in (None, ""):
            return ""
        if attname == "supervisor_id":
            return self.supervisors[value].code
        if attname == "function_class_id":
            return self.class_codes.get(value, str(value))
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    # -- write everything in one transaction
    def write(self) -> None:
        total = len(self.plans)
        self.progress(0, total, _("Writing"))
        try:
            with transaction.atomic():
                self._write()
        except IntegrityError as exc:
            self.error(
                None,
                "file",
                _(
                    "The registry changed while the file was being imported, and nothing was "
                    "written (%(error)s). Import the file again."
                )
                % {"error": exc},
                value="",
            )
            self.result.created = self.result.updated = self.result.unchanged = 0
            return
        self.result.written = True
        self.progress(total, total, _("Done"))

    def _write(self) -> None:
        now = timezone.now()
        # Who, through which channel: as `audit_event` says for any enterprise.
        self._event = audit_event(actor=self.acting_user, action="create", instance=Enterprise())
        self._language = get_language()
        self.events: list[list] = []
        self.links: list[list] = []
        self.new_stakes: list[list] = []
        new = [row for row, action, _c in self.plans if action == "new"]
        _insert(Enterprise, ENTERPRISE_COLUMNS, self._create(new, now), prepared=True)
        self._update([(row, c) for row, action, c in self.plans if action == "changed"], now)
        _insert(ManagementLink, LINK_COLUMNS, self.links)
        _insert(EquityLink, STAKE_COLUMNS, self.new_stakes)
        _insert(AuditEvent, AUDIT_COLUMNS, self.events)

    def _create(self, rows: list[_Row], now: datetime) -> list[tuple]:
        """The new enterprises' rows (ENTERPRISE_COLUMNS, in the database's form), with their
        management links, stakes and audit events."""
        # The new ids are taken first, so that each row's enterprise, management link, stake
        # and audit event are all built in one pass.
        new_ids = _reserve_ids(Enterprise, len(rows))
        ids = {row.node: pk for row, pk in zip(rows, new_ids, strict=True)}
        self._resolve = lambda node: ids.get(node, node[1])
        fields = Enterprise._meta.concrete_fields
        # Values in the database's form from the start: the timestamp is one for all.
        stamp = _preparer(Enterprise._meta.get_field("created_at"))(now)
        defaults = {f.attname: f.get_default() for f in fields}
        defaults.update(created_at=stamp, updated_at=stamp)
        as_day = _preparer(Enterprise._meta.get_field("established_on"))
        pct_text = _memo(_pct_text)
        in_column_order = itemgetter(*ENTERPRISE_COLUMNS)
        created = []
        for row in rows:
            values = {**defaults, **row.fields, "id": ids[row.node]}
            derived = _Derived(values)
            services.derive_fields(derived)
            values["search_text"] = derived.search_text
            values["city_code"] = derived.city_code
            values["industry_section"] = derived.industry_section
            # The audit record holds what was entered (the derived search keys and the
            # timestamps add nothing to it), dates as text as `audit.services.snapshot` writes
            # them.
            after = {"id": values["id"]}
            for column, value in row.fields.items():
                if value is not None and value != "":
                    after[column] = value
            established = values["established_on"]
            if established is not None:
                after["established_on"] = established.isoformat()
                values["established_on"] = as_day(established)
            if row.parent is not None:
                self._add_link(values["id"], row.parent)
                after["parent"] = self._node_name(row.parent)
                if row.pct is not None:
                    self._add_stake(values["id"], row.parent, row.pct)
                    after["ownership_pct"] = pct_text(row.pct)[0]
            self._add_event("create", values, None, after, now)
            created.append(in_column_order(values))
        return created

    def _update(self, changed: list[tuple[_Row, list[FieldChange]]], now: datetime) -> None:
        instances: dict[int, Enterprise] = {}
        for chunk in _chunks([row.target for row, _changes in changed]):
            instances.update(Enterprise.objects.in_bulk(chunk))
        updated, fields_changed = [], set()
        close_links, drop_links, close_stakes, drop_stakes = [], [], [], []
        for row, changes in changed:
            enterprise = instances[row.target]
            before, after = {}, {}
            for attname, value in row.fields.items():
                if getattr(enterprise, attname) != value:
                    before[attname] = snapshot_value(getattr(enterprise, attname))
                    after[attname] = snapshot_value(value)
                    setattr(enterprise, attname, value)
                    fields_changed.add(attname)
            if "status" in after:
                before["status_on"] = snapshot_value(enterprise.status_on)
                enterprise.status_on = None if enterprise.status == "active" else self.day
                after["status_on"] = snapshot_value(enterprise.status_on)
                fields_changed.add("status_on")
            if after:
                services.derive_fields(enterprise)
                enterprise.updated_at = now
                updated.append(enterprise)
            for change in changes:
                if change.field in ("parent", "ownership_pct"):
                    before[change.field], after[change.field] = change.before, change.after
            current = self.current.get(row.target) or _Current()
            if row.parent_changed:
                if current.link_id is not None:
                    # A link that starts on the same day never took effect: it goes.
                    target = drop_links if current.link_from == self.day else close_links
                    target.append(current.link_id)
                self._add_link(enterprise.id, row.parent)
            if row.stake_changed:
                for link in current.stake_links:
                    (drop_stakes if link.valid_from == self.day else close_stakes).append(link.id)
                if row.pct is not None and row.parent is not None:
                    self._add_stake(enterprise.id, row.parent, row.pct)
            names = {
                "id": enterprise.id,
                "name_zh": enterprise.name_zh,
                "name_en": enterprise.name_en,
            }
            self._add_event("update", names, before, after, now)
        if updated:
            fields = fields_changed | {"search_text", "city_code", "industry_section", "updated_at"}
            Enterprise.objects.bulk_update(updated, sorted(fields), batch_size=500)
        for chunk in _chunks(close_links):
            ManagementLink.objects.filter(id__in=chunk).update(valid_to=self.day)
        for chunk in _chunks(drop_links):
            ManagementLink.objects.filter(id__in=chunk).delete()
        for chunk in _chunks(close_stakes):
            EquityLink.objects.filter(id__in=chunk).update(valid_to=self.day)
        for chunk in _chunks(drop_stakes):
            EquityLink.objects.filter(id__in=chunk).delete()

    def _add_link(self, child_id: int, parent: tuple) -> None:
        enterprise, supervisor = (
            (None, parent[1]) if parent[0] == "s" else (self._resolve(parent), None)
        )
        self.links.append([child_id, enterprise, supervisor, self.day, None, "import"])

    def _add_stake(self, held_id: int, parent: tuple, pct: Decimal) -> None:
        enterprise, supervisor = (
            (None, parent[1]) if parent[0] == "s" else (self._resolve(parent), None)
        )
        self.new_stakes.append([held_id, enterprise, supervisor, None, pct, self.day, None])

    def _add_event(self, action: str, values: dict, before, after, now) -> None:
        """One audit event per enterprise, as `audit.services.audit_event` makes it."""
        event, language = self._event, self._language
        self.events.append(
            [
                now,
                event.actor_id,
                event.actor_name,
                event.channel,
                action,
                event.object_type,
                str(values["id"]),
                pick_language(values["name_zh"], values["name_en"], language)[:200],
                values["id"],
                before,
                after,
            ]
        )


class _Derived:
    """The fields `services.derive_fields` reads, and room for the ones it sets."""

    __slots__ = (
        "name_zh",
        "short_name",
        "name_en",
        "region_code",
        "industry_code",
        "search_text",
        "city_code",
        "industry_section",
    )

    def __init__(self, values: dict) -> None:
        self.name_zh = values["name_zh"]
        self.short_name = values["short_name"]
        self.name_en = values["name_en"]
        self.region_code = values["region_code"]
        self.industry_code = values["industry_code"]


ENTERPRISE_COLUMNS = [f.attname for f in Enterprise._meta.concrete_fields]
LINK_COLUMNS = ["child_id", "parent_id", "parent_supervisor_id", "valid_from", "valid_to", "note"]
STAKE_COLUMNS = [
    "held_id",
    "holder_enterprise_id",
    "holder_supervisor_id",
    "holder_party_id",
    "pct",
    "valid_from",
    "valid_to",
]
AUDIT_COLUMNS = [
    "at",
    "actor_id",
    "actor_name",
    "channel",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "enterprise_id",
    "before",
    "after",
]
_RAW_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "SlugField",
    "TextField",
}


def _reserve_ids(model, count: int) -> list[int]:
    """`count` new primary keys of `model`, for rows inserted later in the same transaction."""
    if not count:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # AUTOINCREMENT never gives an id again, even of a deleted row: start above both
            # the table's highest id and the highest it ever had. The transaction holds the
            # write lock (immediate mode), so no one else can take these in the meantime.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            used = cursor.fetchone()
            cursor.execute(
                f"SELECT MAX({connection.ops.quote_name(pk)}) "
                f"FROM {connection.ops.quote_name(table)}"
            )
            top = max(used[0] if used else 0, cursor.fetchone()[0] or 0)
            return list(range(top + 1, top + 1 + count))
        # PostgreSQL: the sequence never hands out an id twice.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk, count],
        )
        return [value for (value,) in cursor.fetchall()]


def _preparer(field) -> Callable:
    """The field's database form of a value. Dates, times and decimals repeat a lot in an
    import (one timestamp, one effective date), so those are remembered."""
    if field.get_internal_type() == "JSONField":
        if connection.vendor == "sqlite":
            # Stored as text: compact and without \u escapes it is a third smaller, and reads
            # back the same.
            return json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        return lambda value: field.get_db_prep_save(value, connection)
    cache: dict = {}

    def prepare(value):
        try:
            return cache[value]
        except KeyError:
            cache[value] = prepared = field.get_db_prep_save(value, connection)
            return prepared

    return prepare


def _insert(model, columns: list[str], rows: list, *, prepared: bool = False) -> None:
    """INSERTs of plain value lists (converted in place unless `prepared`), many rows to a
    statement (COPY on PostgreSQL).

    Django's bulk_create spends microseconds per value in its SQL compiler, which at 100,000
    enterprises of 25 columns is most of the import's time budget; here a value goes to the
    driver as it is, converted by its field only where the database needs that (dates, times,
    decimals, JSON)."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in columns]
    for index, field_ in enumerate(fields):
        if not prepared and field_.get_internal_type() not in _RAW_TYPES:
            prepare = _preparer(field_)
            for row in rows:
                if row[index] is not None:
                    row[index] = prepare(row[index])
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    insert = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) VALUES "
    if connection.vendor == "postgresql":
        # COPY: PostgreSQL's own bulk load, the values adapted by psycopg in C.
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Many rows to a statement, one prepared statement for all but the last few: each
            # run of an INSERT opens the table and every one of its indexes, which costs SQLite
            # more than a row does.
            size = max(1, connection.features.max_query_params // len(fields))
            whole = len(rows) - len(rows) % size
            cursor.executemany(
                insert + ", ".join([marks] * size),
                (list(chain(*rows[at : at + size])) for at in range(0, whole, size)),
            )
            rows = rows[whole:]  # fewer than `size`: one statement, below
            if not rows:
                return
        for chunk in _chunks(rows, max(1, min(BATCH, 65535 // len(fields)))):
            cursor.execute(insert + ", ".join([marks] * len(chunk)), list(chain(*chunk)))


def snapshot_value(value):
    """A value as `audit.services.snapshot` stores it."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def import_enterprises(
    *,
    acting_user,
    path: Path,
    name: str | None = None,
    dry_run: bool = False,
    valid_from: date | None = None,
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Check a file of enterprises (one row each) and, unless `dry_run` or anything is wrong,
    register and update them in one transaction, effective from `valid_from` (default today).
    `acting_user` None is the system (the command line without --user)."""
    with collector_paused():
        return EnterpriseImport(
            acting_user=acting_user,
            path=path,
            name=name,
            dry_run=dry_run,
            valid_from=valid_from,
            progress=progress,
        ).run()


# --- equity links ---------------------------------------------------------------------------


@dataclass
class _Stake:
    record: RowRecord
    held: int | None = None
    holder: tuple | None = None  # ("e", id), ("s", supervisor id), ("p", party id) or ("new", name)
    party_kind: str = ""
    pct: Decimal | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    bad: bool = False


class EquityImport(_FileImport):
    """Equity links: held, holder (an enterprise, `supervisor:<code>` or `party:<name>`), pct,
    valid from / to. Every held enterprise stays within 100% at every date."""

    headers = EQUITY_HEADERS
    required = ("held", "holder", "pct", "valid_from")

    def reject(self, stake: _Stake, column: str, reason: str) -> None:
        self.error(stake.record, column, reason)
        stake.bad = True

    def run(self) -> ImportResult:
        table = self.read()
        if table is None or self.result.errors:
            return self.result
        self.load_reference()
        stakes = []
        total, message = len(table.rows), _("Checking rows")
        for done, record in enumerate(table.rows, start=1):
            stakes.append(self.clean_row(record))
            self.tick(done, total, message)
        new = self.check_overlaps(stakes)
        self.check_totals(new)
        if self.result.errors:
            self.result.created = self.result.unchanged = 0
        elif not self.result.dry_run:
            self.write(new)
        return self.result

    def load_reference(self) -> None:
        self.by_uscc, self.by_foreign, self.identity = {}, {}, {}
        for pk, uscc, country, number, name, supervisor_id in Enterprise.objects.values_list(
            "id", "uscc", "foreign_country", "foreign_reg_no", "name_zh", "supervisor_id"
        ):
            self.identity[pk] = (name, supervisor_id)
            if uscc:
                self.by_uscc[uscc] = pk
            if number:
                self.by_foreign[(country, number)] = pk
        self.supervisors = {s.id: s for s in Supervisor.objects.all()}
        self.supervisor_keys = {}
        for supervisor in self.supervisors.values():
            for key in (supervisor.code, supervisor.name_zh, supervisor.name_en):
                if key:
                    self.supervisor_keys.setdefault(key.strip().lower(), supervisor.id)
        self.parties = {party.name_zh: party for party in OutsideParty.objects.all()}
        self.editable = selectors.editable_supervisor_ids(self.acting_user)
        self.clean_date = _memo(validation.clean_date)
        self.clean_pct = _memo(validation.clean_pct)
        self.clean_kind = _memo(lambda value: validation._choice(value, PartyKind, _("Kind")))

    def enterprise(self, ref: str) -> int | None:
        ref = ref.strip()
        if ref.isdigit() and len(ref) < 18:
            return int(ref) if int(ref) in self.identity else None
        if len(ref.replace(" ", "")) == 18 and normalise_uscc(ref) in self.by_uscc:
            return self.by_uscc[normalise_uscc(ref)]
        country, _sep, number = ref.partition(":")
        if number and len(country) == 2:
            return self.by_foreign.get((country.strip().upper(), number.strip()))
        return None

    def clean_row(self, record: RowRecord) -> _Stake:
        stake = _Stake(record=record)
        held = self.text(record, "held")
        stake.held = self.enterprise(held)
        if stake.held is None:
            self.reject(
                stake,
                "held",
                _(
                    "No enterprise in the registry has the identifier %(ref)s. Give its "
                    "internal id, USCC or COUNTRY:registration number."
                )
                % {"ref": held},
            )
        elif self.identity[stake.held][1] not in self.editable:
            supervisor = self.supervisors[self.identity[stake.held][1]]
            self.reject(
                stake,
                "held",
                _("You may not change the registry of %(supervisor)s.")
                % {"supervisor": supervisor.name_zh},
            )
        self._clean_holder(stake)
        pct, message = self.clean_pct(self.text(record, "pct"))
        if message or pct is None:
            self.reject(stake, "pct", message or _("The percentage is required (0 to 100)."))
        stake.pct = pct
        for column in ("valid_from", "valid_to"):
            day, message = self.clean_date(_cell_value(self.raw(record, column)))
            if message:
                self.reject(stake, column, message)
            setattr(stake, column, day)
        if stake.valid_from is None and "valid_from" in self.columns and not stake.bad:
            self.reject(stake, "valid_from", _("The start date is required (YYYY-MM-DD)."))
        if stake.valid_from and stake.valid_to and stake.valid_to <= stake.valid_from:
            self.reject(stake, "valid_to", _("A link must end after it starts."))
        if stake.holder == ("e", stake.held):
            self.reject(stake, "holder", _("An enterprise cannot hold itself."))
        return stake

    def _clean_holder(self, stake: _Stake) -> None:
        text = self.text(stake.record, "holder")
        prefix, _sep, rest = text.partition(":")
        prefix, rest = prefix.strip().lower(), rest.strip()
        if prefix in ("supervisor", "国资委", "监管机构") and rest:
            found = self.supervisor_keys.get(rest.lower())
            if found is None:
                self.reject(
                    stake,
                    "holder",
                    _("No supervisor has the code or name %(value)s.") % {"value": rest},
                )
            else:
                stake.holder = ("s", found)
            return
        if prefix in ("party", "外部", "其他股东") and rest:
            kind_text = self.text(stake.record, "holder_kind")
            kind, message = self.clean_kind(kind_text) if kind_text else ("", None)
            if message:
                self.reject(stake, "holder_kind", message)
                return
            party = self.parties.get(rest)
            if party is not None:
                stake.holder = ("p", party.id)
                if kind and kind != party.kind:
                    self.reject(
                        stake,
                        "holder_kind",
                        _("%(name)s is registered as %(kind)s.")
                        % {"name": party.name_zh, "kind": party.get_kind_display()},
                    )
            elif not kind:
                self.reject(
                    stake,
                    "holder_kind",
                    _("A new outside party needs its kind: state (国有) or non_state (非国有)."),
                )
            else:
                stake.holder, stake.party_kind = ("new", rest), kind
            return
        found = self.enterprise(text)
        if found is None:
            self.reject(
                stake,
                "holder",
                _(
                    "Unknown holder %(value)s. Give an enterprise's internal id, USCC or "
                    "COUNTRY:number, supervisor:<code>, or party:<name> with a holder_kind."
                )
                % {"value": text},
            )
        else:
            stake.holder = ("e", found)

    def check_overlaps(self, stakes: list[_Stake]) -> list[_Stake]:
        """Rows identical to an existing link are unchanged; a holder cannot hold the same
        enterprise twice over the same days. Returns the rows to create."""
        held_ids = sorted({s.held for s in stakes if s.held})
        self.existing: dict[int, list[tuple]] = defaultdict(list)
        for chunk in _chunks(held_ids):
            for link in EquityLink.objects.filter(held_id__in=chunk):
                holder = (
                    ("e", link.holder_enterprise_id)
                    if link.holder_enterprise_id
                    else ("s", link.holder_supervisor_id)
                    if link.holder_supervisor_id
                    else ("p", link.holder_party_id)
                )
                self.existing[link.held_id].append(
                    (holder, link.pct, link.valid_from, link.valid_to)
                )
        new: list[_Stake] = []
        for stake in stakes:
            if stake.bad:
                continue
            key = (stake.holder, stake.pct, stake.valid_from, stake.valid_to)
            if key in self.existing[stake.held]:
                self.result.unchanged += 1
                continue
            for other in [*self.existing[stake.held], *self._pending(new, stake.held)]:
                if other[0] == stake.holder and _overlap(
                    other[2], other[3], stake.valid_from, stake.valid_to
                ):
                    self.reject(
                        stake,
                        "holder",
                        _(
                            "This holder already holds a stake in this enterprise from %(start)s; "
                            "end that link first."
                        )
                        % {"start": other[2]},
                    )
                    break
            else:
                new.append(stake)
                self.result.created += 1
        return new

    @staticmethod
    def _pending(new: list[_Stake], held: int) -> list[tuple]:
        return [(s.holder, s.pct, s.valid_from, s.valid_to) for s in new if s.held == held]

    def check_totals(self, new: list[_Stake]) -> None:
        by_held: dict[int, list[_Stake]] = defaultdict(list)
        for stake in new:
            by_held[stake.held].append(stake)
        for held, rows in by_held.items():
            spans = [(pct, start, end) for _h, pct, start, end in self.existing[held]]
            spans += [(s.pct, s.valid_from, s.valid_to) for s in rows]
            for stake in rows:
                days = {stake.valid_from} | {
                    start for _pct, start, _end in spans if _overlap(start, None, *_span(stake))
                }
                for day in sorted(days):
                    if not _overlap(day, None, *_span(stake)) or day < stake.valid_from:
                        continue
                    total = sum(
                        (
                            pct
                            for pct, start, end in spans
                            if start <= day and (end is None or end > day)
                        ),
                        Decimal(0),
                    )
                    if total > 100:
                        self.reject(
                            stake,
                            "pct",
                            _(
                                "Holdings in %(name)s would total %(total)s%% on %(day)s; "
                                "at most 100%% is possible."
                            )
                            % {
                                "name": self.identity[held][0],
                                "total": _pct_text(total),
                                "day": day,
                            },
                        )
                        break

    def write(self, new: list[_Stake]) -> None:
        with transaction.atomic():
            events = []
            parties = {}
            for stake in new:
                if stake.holder[0] == "new" and stake.holder[1] not in parties:
                    party = OutsideParty(name_zh=stake.holder[1], kind=stake.party_kind)
                    party.save()
                    parties[party.name_zh] = party
                    events.append(
                        audit_event(
                            actor=self.acting_user,
                            action="create",
                            instance=party,
                            after=snapshot(party),
                        )
                    )
            links = []
            for stake in new:
                link = EquityLink(
                    held_id=stake.held,
                    pct=stake.pct,
                    valid_from=stake.valid_from,
                    valid_to=stake.valid_to,
                )
                kind, value = stake.holder
                if kind == "e":
                    link.holder_enterprise_id = value
                elif kind == "s":
                    link.holder_supervisor_id = value
                elif kind == "p":
                    link.holder_party_id = value
                else:
                    link.holder_party_id = parties[value].id
                links.append(link)
            EquityLink.objects.bulk_create(links, batch_size=BATCH)
            for link in links:
                events.append(
                    audit_event(
                        actor=self.acting_user,
                        action="create",
                        instance=link,
                        after=snapshot(link),
                        enterprise_id=link.held_id,
                    )
                )
            AuditEvent.objects.bulk_create(events, batch_size=BATCH)
        self.result.written = True


def _span(stake: _Stake) -> tuple[date, date | None]:
    return stake.valid_from, stake.valid_to


def _overlap(start1: date, end1: date | None, start2: date, end2: date | None) -> bool:
    """Whether [start1, end1) and [start2, end2) share a day (None: open end)."""
    return (end2 is None or start1 < end2) and (end1 is None or start2 < end1)


def import_equity_links(
    *,
    acting_user,
    path: Path,
    name: str | None = None,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Check a file of equity links and, unless `dry_run` or anything is wrong, add them all
    in one transaction."""
    with collector_paused():
        return EquityImport(
            acting_user=acting_user, path=path, name=name, dry_run=dry_run, progress=progress
        ).run()
