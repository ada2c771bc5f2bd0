"""The shared register workbook: headers in either language, whole-file problems placed at
row 1, cells as text; written workbooks neutralise formulas. Numeric register fields."""

import io
from datetime import date
from decimal import Decimal

import pytest
import xlsxwriter
from django.utils import translation
from django.utils.translation import gettext_lazy
from python_calamine import CalamineWorkbook

from guozi.ledgers import registers
from guozi.ledgers.registers import Attribute, RegisterSpec, add_register, clean_attributes
from guozi.ledgers.sheets import Column, parse_flag, read_sheet, write_sheet
from guozi.lib.errors import DomainError

COLUMNS = [
    Column("owner", gettext_lazy("Owner enterprise"), required=True, aliases=("uscc",)),
    Column("title", gettext_lazy("Title"), required=True),
    Column("due_date", gettext_lazy("Due date")),
]


def workbook(tmp_path, rows, name="items.xlsx"):
    path = tmp_path / name
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("台账")
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


def test_headers_in_either_language_or_by_alias_are_matched(tmp_path):
    path = workbook(
        tmp_path,
        [["USCC", "标题", "Due date"], ["91210000MA0TEST01X", "整改 1", "2026-09-30"], [None]],
    )
    sheet = read_sheet(path, "items.xlsx", COLUMNS)
    assert sheet.problems == []
    assert sheet.sheet == "台账"
    assert [(row.number, row.cells) for row in sheet.rows] == [
        (2, {"owner": "91210000MA0TEST01X", "title": "整改 1", "due_date": "2026-09-30"})
    ]
    assert sheet.labels == {"owner": "USCC", "title": "标题", "due_date": "Due date"}


def test_unknown_repeated_and_missing_columns_are_problems_of_the_header(tmp_path):
    path = workbook(tmp_path, [["Title", "颜色", "标题"], ["a", "b", "c"]])
    with translation.override("en"):
        sheet = read_sheet(path, "items.xlsx", COLUMNS)
    reasons = sorted((p.row, p.column, p.reason) for p in sheet.problems)
    assert reasons == [
        (1, "Owner enterprise", "This column is missing."),
        (1, "标题", "This column appears twice."),
        (1, "颜色", "This column is not known."),
    ]


@translation.override("en")
def test_a_file_without_rows_or_unreadable_is_one_problem(tmp_path):
    empty = read_sheet(workbook(tmp_path, [["Owner enterprise", "Title"]]), "e.xlsx", COLUMNS)
    assert [p.reason for p in empty.problems] == ["The file has no data rows."]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    unreadable = read_sheet(broken, "broken.xlsx", COLUMNS)
    assert unreadable.rows == [] and len(unreadable.problems) == 1
    assert ".xlsx" in unreadable.problems[0].reason
    wrong = read_sheet(broken, "items.pdf", COLUMNS)
    assert len(wrong.problems) == 1 and wrong.rows == []


def test_the_reporting_guards_apply_first(tmp_path, settings):
    path = workbook(tmp_path, [["Owner enterprise", "Title"], ["a", "b"]])
    settings.GUOZI_IMPORT_MAX_BYTES = 100
    too_big = read_sheet(path, "items.xlsx", COLUMNS)
    assert too_big.rows == [] and "MB" in too_big.problems[0].reason
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert read_sheet(empty, "empty.xlsx", COLUMNS).problems[0].reason


def test_a_problem_is_placed_at_its_cell(tmp_path):
    path = workbook(tmp_path, [["统一社会信用代码", "Title"], ["bad", "x"]])
    owner = Column("owner", gettext_lazy("Owner enterprise"), aliases=("统一社会信用代码",))
    sheet = read_sheet(path, "items.xlsx", [owner, COLUMNS[1]])
    problem = sheet.problem(sheet.rows[0], "owner", "Not a USCC.")
    assert (problem.row, problem.column, problem.value, problem.reason) == (
        2,
        "统一社会信用代码",
        "bad",
        "Not a USCC.",
    )


def test_written_workbooks_neutralise_formulas_and_keep_types():
    stream = io.BytesIO()
    rows = [['=HYPERLINK("x")', 3, date(2026, 9, 30)], ["-1+1", Decimal("2.5"), None]]
    with translation.override("en"):
        written = write_sheet(stream, "Items", COLUMNS, rows)
    assert written == 2
    stream.seek(0)
    path = io.BytesIO(stream.getvalue())
    grid = CalamineWorkbook.from_filelike(path).get_sheet_by_index(0).to_python()
    assert grid[0] == ["Owner enterprise", "Title", "Due date"]
    assert grid[1][0] == '\'=HYPERLINK("x")' and grid[1][1] == 3
    assert str(grid[1][2]).startswith("2026-09-30")
    assert grid[2][0] == "'-1+1" and grid[2][1] == 2.5


@pytest.mark.parametrize(
    "text, flag",
    [("是", True), ("YES", True), ("1", True), ("否", False), ("no", False), ("", False),
     ("maybe", None)],
)  # fmt: skip
def test_flags(text, flag):
    assert parse_flag(text) is flag


@pytest.fixture
def counted_register():
    spec = RegisterSpec(
        register="test_counts",
        attributes=(
            Attribute("households", gettext_lazy("Households"), "integer", required=True),
            Attribute("amount", gettext_lazy("Amount"), "decimal"),
        ),
        default_rule="manual",
        default_days=30,
    )
    add_register(spec)
    yield spec
    registers.REGISTERS.pop("test_counts")


def test_numeric_register_fields_are_checked_and_kept_as_text(counted_register):
    assert clean_attributes("test_counts", {"households": "1,200", "amount": "3.50"}) == {
        "households": "1200",
        "amount": "3.5",
    }
    with pytest.raises(DomainError) as refused:
        clean_attributes("test_counts", {"households": "2.5", "amount": "-1"})
    assert set(refused.value.fields) == {"attributes.households", "attributes.amount"}
    with pytest.raises(DomainError) as refused:
        clean_attributes("test_counts", {"amount": "lots"})
    assert set(refused.value.fields) == {"attributes.households", "attributes.amount"}


def test_adding_a_register_twice_keeps_the_first(counted_register):
    add_register(RegisterSpec("test_counts", (), "manual", 1))
    assert registers.spec_of("test_counts") is counted_register
