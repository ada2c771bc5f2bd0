"""Report workbooks: templates as written, and workbooks and CSV files as read back."""

import io
import random
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from guozi.lib.periods import Period
from guozi.registry.imports import UnreadableFile
from guozi.reporting import services
from guozi.reporting.definitions import parse_definition
from guozi.reporting.frameworks import BUILT_IN, version_in_force
from guozi.reporting.models import ReportScope
from guozi.reporting.workbooks import (
    META_SHEET,
    FieldNames,
    Limits,
    ReportFile,
    cell_header,
    check_package,
    count_reports,
    parse_heading,
    parse_scope,
    subtree_ids,
    template_reports,
    write_template,
)

from .conftest import clean_cells

FILES = Path(__file__).parent / "files"
JULY = Period.parse("2026-07")
DEFINITION = parse_definition((BUILT_IN / "fast_report.yaml").read_text("utf-8"))
NAMES = FieldNames(DEFINITION)


# --- helpers shared with the import and command tests --------------------------------------


def make_template(path: Path, form, enterprise, *, layout="rows", subsidiaries=True, period=JULY):
    reports = template_reports(
        form=form,
        period=period,
        enterprise_ids=subtree_ids(enterprise.id, period, subsidiaries=subsidiaries),
    )
    with path.open("wb") as stream:
        write_template(
            stream,
            form=form,
            version=version_in_force(form, period),
            period=period,
            reports=reports,
            layout=layout,
        )
    return path


def data_sheet(book):
    return next(sheet for sheet in book.worksheets if sheet.title != META_SHEET)


def header_columns(sheet) -> dict[str, int]:
    """Cell code → column number, from the template's own headers."""
    wanted = {
        cell_header(f, column): f"{f.code}.{column}"
        for f in DEFINITION.fields
        for column in f.columns
    }
    return {wanted[cell.value]: cell.column for cell in sheet[1] if cell.value in wanted}


def fill_rows(path: Path, values_by_row: dict[int, dict], *, as_text=False) -> Path:
    """Type values into rows of a rows-layout workbook, as a user would."""
    book = load_workbook(path)
    sheet = data_sheet(book)
    columns = header_columns(sheet)
    for row, values in values_by_row.items():
        for cell, value in values.items():
            typed = value if as_text or value in ("", None) else float(value)
            sheet.cell(row=row, column=columns[cell], value=typed)
    book.save(path)
    return path


def filled_template(tmp_path, form, enterprise, **overrides) -> Path:
    """A rows template for the enterprise and its subsidiaries, every report filled in."""
    path = make_template(tmp_path / "reports.xlsx", form, enterprise)
    rows = data_sheet(load_workbook(path)).max_row
    return fill_rows(path, {row: clean_cells(**overrides) for row in range(2, rows + 1)})


def plain_workbook(path: Path, sheet_name: str, rows: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def stored(**overrides) -> dict:
    values, errors = services.parse_cells(DEFINITION, clean_cells(**overrides))
    assert not errors
    return values


# --- templates ----------------------------------------------------------------------------


def test_a_rows_template_has_one_row_per_report_with_locked_labels_and_typed_inputs(
    cast, fast_report, tmp_path
):
    submission = services.submission_open(
        acting_user=None, enterprise=cast.a11, form=fast_report, period=JULY, scope="consolidated"
    )
    services.cells_write(
        acting_user=None, submission=submission, raw=clean_cells(), channel="web", validate=False
    )
    book = load_workbook(make_template(tmp_path / "t.xlsx", fast_report, cast.a))
    assert [s.title for s in book.worksheets][-1] == META_SHEET
    assert book[META_SHEET].sheet_state == "hidden"
    meta = {row[0].value: row[1].value for row in book[META_SHEET].iter_rows() if row[0].value}
    assert meta["form"] == "fast_report" and meta["period"] == "2026-07"
    assert meta["version"] == "2020.1" and meta["basis"] == "fast" and meta["layout"] == "rows"
    sheet = data_sheet(book)
    assert meta["sheet"] == sheet.title
    identifiers = [(row[0].value, parse_scope(row[2].value)) for row in sheet.iter_rows(min_row=2)]
    assert identifiers == [
        (cast.a.uscc, "consolidated"),
        (cast.a.uscc, "standalone"),
        (cast.a1.uscc, "consolidated"),
        (cast.a1.uscc, "standalone"),
        (cast.a11.uscc, "consolidated"),
        (cast.a2.uscc, "consolidated"),
    ]
    columns = header_columns(sheet)
    assert len(columns) == len(DEFINITION.cells())  # every cell of the form has its column
    assert sheet.protection.sheet
    revenue = sheet.cell(row=6, column=columns["total_operating_revenue.current"])
    assert revenue.value == 1200 and not revenue.protection.locked  # A11's value, pre-filled
    assert revenue.number_format == "#,##0.00"
    headcount = sheet.cell(row=6, column=columns["employees_end.current"])
    assert headcount.value == 505 and headcount.number_format == "#,##0"
    assert sheet.cell(row=2, column=columns["total_operating_revenue.current"]).value is None
    assert sheet.cell(row=2, column=1).protection.locked  # the identifier
    assert sheet["A1"].protection.locked
    rules = {
        (dv.type, dv.operator or "between", dv.formula1)
        for dv in sheet.data_validations.dataValidation
    }
    assert ("decimal", "between", "0") in rules  # min 0: money that cannot be negative
    assert ("decimal", "between", "-1000000000000000") in rules  # any number, but a number
    assert ("whole", "between", "0") in rules  # headcounts


def test_a_sheets_template_has_a_sheet_per_report_laid_out_like_the_form(
    cast, fast_report, tmp_path
):
    book = load_workbook(make_template(tmp_path / "t.xlsx", fast_report, cast.a1, layout="sheets"))
    names = [s.title for s in book.worksheets if s.title != META_SHEET]
    assert len(names) == 3  # A1 consolidated and standalone, A11
    reports = [
        tuple(cell.value for cell in row[1:4])
        for row in book[META_SHEET].iter_rows()
        if row[0].value == "report"
    ]
    assert reports == [
        (names[0], cast.a1.uscc, "consolidated"),
        (names[1], cast.a1.uscc, "standalone"),
        (names[2], cast.a11.uscc, "consolidated"),
    ]
    sheet = book[names[2]]
    assert sheet["B2"].value == cast.a11.uscc and sheet.protection.sheet
    codes = {sheet.cell(row=r, column=6).value: r for r in range(6, sheet.max_row + 1)}
    revenue_row = codes["total_operating_revenue"]
    assert not sheet.cell(row=revenue_row, column=2).protection.locked
    assert sheet.cell(row=revenue_row, column=4).protection.locked  # a flow has no opening


def test_a_template_needs_reports_and_a_known_layout(cast, fast_report, tmp_path):
    from guozi.lib.errors import DomainError

    with pytest.raises(DomainError):
        make_template(tmp_path / "t.xlsx", fast_report, cast.a, layout="columns")
    with pytest.raises(DomainError):
        write_template(
            io.BytesIO(),
            form=fast_report,
            version=version_in_force(fast_report, JULY),
            period=JULY,
            reports=[],
        )


# --- headers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, cell, unit",
    [
        ("营业总收入|本年累计 (万元)", "total_operating_revenue.current", "万元"),
        ("营业总收入｜本期（万元）", "total_operating_revenue.current", "万元"),
        ("营业总收入(上年同期)", "total_operating_revenue.prior_year", None),
        ("营业总收入 上年同期", "total_operating_revenue.prior_year", None),
        ("  资产总额 | 年初数 ( 元 )", "total_assets.opening", "元"),
        ("total_assets.current", "total_assets.current", None),
        ("Total assets|Opening (10,000 yuan)", "total_assets.opening", "万元"),
        ("期末从业人员|期末 (人)", "employees_end.current", "人"),
        ("货币资金", "cash.current", None),
    ],
)
def test_headers_are_read_by_name_or_code_with_column_and_unit(header, cell, unit):
    heading = parse_heading(header, NAMES)
    assert (heading.cell, heading.unit, heading.problem) == (cell, unit, "")


@pytest.mark.parametrize(
    "header",
    [
        "营业外收入|本期",  # no such field
        "营业总收入|年初数",  # a flow has no opening column
        "营业总收入|下月",  # no such column
        "期末从业人员 (万元)",  # a headcount is not money
        "营业总收入 (美元)",  # an unknown unit
        "total_assets.closing",
    ],
)
def test_unknown_or_wrong_headers_are_problems(header):
    assert parse_heading(header, NAMES).problem


def test_identity_headers_in_either_language():
    assert parse_heading("统一社会信用代码", NAMES).identity == "identifier"
    assert parse_heading("Scope", NAMES).identity == "scope"
    assert parse_heading("期间", NAMES).identity == "period"


def test_scopes_in_either_language():
    assert parse_scope("合并") == parse_scope("consolidated") == ReportScope.CONSOLIDATED
    assert parse_scope("本部") == parse_scope(" Standalone ") == ReportScope.STANDALONE
    assert parse_scope("") == ReportScope.CONSOLIDATED
    assert parse_scope("汇总") is None


# --- reading ------------------------------------------------------------------------------


def test_a_filled_template_reads_back_every_value(cast, fast_report, tmp_path):
    path = filled_template(tmp_path, fast_report, cast.a)
    source = ReportFile(path)
    reading = source.read(DEFINITION, fast_report)
    assert reading.layout == "rows" and not reading.problems
    assert source.meta["form"] == "fast_report"
    assert len(reading.records) == 6
    record = reading.records[4]
    assert (record.identifier, parse_scope(record.scope), record.row) == (
        cast.a11.uscc,
        "consolidated",
        6,
    )
    values, errors = services.parse_cells(DEFINITION, record.values)
    assert not errors and values == stored()


def test_numbers_as_text_with_separators_and_units_in_headers(fast_report, tmp_path):
    path = plain_workbook(
        tmp_path / "hand.xlsx",
        "月度财务快报",
        [
            ["统一社会信用代码", "口径", "营业总收入|本年累计（元）", "货币资金|期末 (万元)"],
            ["X1", "合并", "12,345,600.00", " 1,234.50 "],
        ],
    )
    reading = ReportFile(path).read(DEFINITION, fast_report)
    record = reading.records[0]
    assert record.scales == {"total_operating_revenue.current": Decimal("0.0001")}
    assert record.values["cash.current"].strip() == "1,234.50"
    assert services.parse_cells(DEFINITION, {"cash.current": record.values["cash.current"]}) == (
        {"cash.current": 1_234_500_000},
        {},
    )


def test_a_formula_with_no_cached_value_is_named_by_its_cell(fast_report, tmp_path):
    # openpyxl writes formulas without a calculated value, as no spreadsheet program would.
    path = plain_workbook(
        tmp_path / "formula.xlsx",
        "月度财务快报",
        [["统一社会信用代码", "货币资金", "存货"], ["X1", 5, "=B2*2"]],
    )
    source = ReportFile(path)
    reading = source.read(DEFINITION, fast_report)
    [problem] = reading.records[0].problems
    assert (problem.sheet, problem.row, problem.column) == ("月度财务快报", 2, "C 存货")
    assert "formula" in problem.reason or "公式" in problem.reason
    assert source.uncached("月度财务快报") == {(1, 2)}


def test_a_formula_with_its_cached_value_is_read_by_that_value(fast_report, tmp_path):
    path = plain_workbook(
        tmp_path / "cached.xlsx",
        "月度财务快报",
        [["统一社会信用代码", "货币资金", "存货"], ["X1", 5, 10]],
    )
    # Give C2 a formula next to its value, the way Excel, WPS and LibreOffice save it.
    with zipfile.ZipFile(path) as package:
        members = {name: package.read(name) for name in package.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    text = members[sheet].decode()
    start = text.index('<c r="C2"')
    end = text.index("</c>", start) + len("</c>")
    members[sheet] = (text[:start] + '<c r="C2"><f>B2*2</f><v>10</v></c>' + text[end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    source = ReportFile(path)
    assert source.formula_members == {sheet} and source.uncached("月度财务快报") == set()
    record = source.read(DEFINITION, fast_report).records[0]
    assert not record.problems and record.values["inventory.current"] == 10


def test_merged_cells_over_inputs_are_a_problem(fast_report, tmp_path):
    path = plain_workbook(
        tmp_path / "merged.xlsx",
        "月度财务快报",
        [["统一社会信用代码", "货币资金", "存货"], ["X1", 5, 6], ["X2", 7, 8]],
    )
    book = load_workbook(path)
    book.active.merge_cells("B2:B3")
    book.save(path)
    reading = ReportFile(path).read(DEFINITION, fast_report)
    [problem] = [p for p in reading.problems if "B" in p.column and ":" in p.column]
    assert (problem.row, problem.column) == (2, "B2:B3")
    assert "merged" in problem.reason.lower() or "合并" in problem.reason


def test_merged_labels_in_a_sheets_template_are_fine_but_not_over_inputs(
    cast, fast_report, tmp_path
):
    path = make_template(tmp_path / "t.xlsx", fast_report, cast.a11, layout="sheets")
    book = load_workbook(path)
    sheet = data_sheet(book)
    sheet.merge_cells("A1:D1")  # the title
    book.save(path)
    reading = ReportFile(path).read(DEFINITION, fast_report)
    assert reading.layout == "sheets" and not reading.records[0].problems
    sheet.merge_cells("B7:C7")  # over the first field's inputs
    book.save(path)
    record = ReportFile(path).read(DEFINITION, fast_report).records[0]
    assert [p.column for p in record.problems] == ["B7:C7"]


def test_a_sheets_template_reads_back(cast, fast_report, tmp_path):
    path = make_template(tmp_path / "t.xlsx", fast_report, cast.a1, layout="sheets")
    book = load_workbook(path)
    values = clean_cells()
    for sheet in book.worksheets[:-1]:
        for r in range(6, sheet.max_row + 1):
            code = sheet.cell(row=r, column=6).value
            for c, column in ((2, "current"), (3, "prior_year"), (4, "opening")):
                if f"{code}.{column}" in values:
                    sheet.cell(row=r, column=c, value=float(values[f"{code}.{column}"]))
    book.save(path)
    reading = ReportFile(path).read(DEFINITION, fast_report)
    assert reading.layout == "sheets" and not reading.problems
    assert [(r.identifier, parse_scope(r.scope)) for r in reading.records] == [
        (cast.a1.uscc, "consolidated"),
        (cast.a1.uscc, "standalone"),
        (cast.a11.uscc, "consolidated"),
    ]
    record = reading.records[2]
    assert services.parse_cells(DEFINITION, record.values) == (stored(), {})
    row, column = record.position("cash.current")
    assert column.startswith("B ") and record.rows["cash.current"] == row > 6


def test_a_csv_file_in_gb18030(fast_report, tmp_path):
    path = tmp_path / "push.csv"
    path.write_bytes(
        '统一社会信用代码,期间,货币资金|期末 (万元)\r\nX1,2026-07,"1,000"\r\n'.encode("gb18030")
    )
    reading = ReportFile(path).read(DEFINITION, fast_report)
    assert reading.layout == "rows"
    # A file not made from a template must still carry every required field's current column.
    required = {f"{f.code}.current" for f in DEFINITION.fields if f.required}
    assert {p.field for p in reading.problems} == required
    [record] = reading.records
    assert (record.sheet, record.row, record.period) == ("", 2, "2026-07")
    assert record.values == {"cash.current": "1,000"}


# --- files that are not what they claim ----------------------------------------------------


def test_an_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2048)
    with pytest.raises(UnreadableFile, match="MB"):
        ReportFile(path, limits=Limits(max_bytes=1024))


def test_a_csv_under_an_xlsx_name_is_refused(tmp_path):
    path = tmp_path / "reports.xlsx"
    path.write_text("统一社会信用代码,货币资金\nX1,5\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="zip|xlsx"):
        ReportFile(path)


def test_an_old_xls_workbook_is_named_as_such(tmp_path):
    path = tmp_path / "reports.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(UnreadableFile, match=r"\.xls"):
        ReportFile(path)


def test_a_corrupt_zip_is_refused(tmp_path):
    path = plain_workbook(tmp_path / "ok.xlsx", "月度财务快报", [["统一社会信用代码"], ["X1"]])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as package:
        info = package.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for offset in range(start, start + info.compress_size - 4):
        data[offset] ^= 0x5A  # scramble the compressed sheet: a bad CRC or bad deflate data
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(bytes(data))
    with pytest.raises(UnreadableFile, match="damaged|损坏"):
        ReportFile(damaged)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(path.read_bytes()[: len(data) // 2])
    with pytest.raises(UnreadableFile, match="damaged|损坏"):
        ReportFile(truncated)


def test_a_zip_with_an_unsupported_compression_method_is_refused(tmp_path):
    path = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as package:
        package.writestr("xl/workbook.xml", b"<workbook/>")
        package.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    data = bytearray(path.read_bytes())
    # Method 99 (AES) in the local and the central headers of the sheet.
    with zipfile.ZipFile(path) as package:
        info = package.getinfo("xl/worksheets/sheet1.xml")
    data[info.header_offset + 8 : info.header_offset + 10] = (99).to_bytes(2, "little")
    central = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 1)
    data[central + 10 : central + 12] = (99).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableFile, match="damaged|损坏"):
        check_package(path, Limits())


def zip_with(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return path


def test_a_zip_bomb_is_refused_by_ratio_and_by_total_size(tmp_path):
    bomb = zip_with(
        tmp_path / "bomb.xlsx",
        {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\0" * (8 * 2**20)},
    )
    assert bomb.stat().st_size < 100_000  # 8 MB of zeros in a few kilobytes
    with pytest.raises(UnreadableFile, match="bomb|炸弹"):
        check_package(bomb, Limits())
    big = zip_with(
        tmp_path / "big.xlsx",
        {
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": random.Random(7).randbytes(2 * 2**20),
        },
    )
    with pytest.raises(UnreadableFile, match="bomb|炸弹"):
        check_package(big, Limits(max_uncompressed=2**20))
    check_package(big, Limits())  # 2 MB at a modest ratio is fine


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = zip_with(tmp_path / "other.xlsx", {"word/document.xml": b"<document/>"})
    with pytest.raises(UnreadableFile, match="workbook|工作簿"):
        ReportFile(path)


def test_counting_reports_cheaply(cast, fast_report, tmp_path):
    rows = make_template(tmp_path / "rows.xlsx", fast_report, cast.a)
    assert count_reports(rows) == 6
    sheets = make_template(tmp_path / "sheets.xlsx", fast_report, cast.a, layout="sheets")
    assert count_reports(sheets) >= 6
    csv_file = tmp_path / "push.csv"
    csv_file.write_text("统一社会信用代码\nX1\nX2\n", encoding="utf-8")
    assert count_reports(csv_file) == 2
