"""The workbook: export, import, and every kind of import error (nothing written on any)."""

import io
from datetime import date

import pytest
import xlsxwriter
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook

from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import ItemEvent, TrackedItem
from guozi.ledgers.supply import imports, sheets
from guozi.ledgers.supply.models import SupplyInput, SupplySource
from guozi.ledgers.supply.selectors import InputFilters, input_list

from .conftest import COKING, ORE_MINER, open_input

HEADER = ["企业标识", "关键投入品", "类别", "有国内替代来源", "供应商", "供应商统一社会信用代码",
          "国家或地区", "供应份额（%）"]  # fmt: skip
ENGLISH = ["Enterprise identifier", "Input", "Category", "Domestic alternative available",
           "Supplier", "Supplier USCC", "Country or region", "Share of supply (%)"]  # fmt: skip


def workbook(path, header, rows):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for column, text in enumerate(header):
        sheet.write(0, column, text)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is not None:
                sheet.write(number, column, value)
    book.close()
    return path


def run(cast, tmp_path, rows, *, header=HEADER, by=None, dry_run=False):
    path = workbook(tmp_path / "inputs.xlsx", header, rows)
    return imports.import_inputs(
        acting_user=by or cast.analyst, path=path, file_name="inputs.xlsx", dry_run=dry_run
    )


def a1(cast):
    return cast.a1.uscc


def good_rows(cast):
    return [
        [a1(cast), "主焦煤", "原材料", "是", "吕梁汾岚焦煤有限公司", COKING, "CN", 60],
        [a1(cast), "主焦煤", "", "", "Gobi Tavan Coking Coal LLC", "", "MN", 40],
        [
            cast.a2.uscc,
            "石墨电极",
            "raw_material",
            "否",
            "Graftland Electrodes Inc.",
            "",
            "US",
            100,
        ],
    ]


def test_a_clean_file_opens_inputs_with_their_suppliers(cast, tmp_path):
    result = run(cast, tmp_path, good_rows(cast))
    assert result.errors == []
    assert result.written
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    coke = SupplyInput.objects.get(owner=cast.a1, name="主焦煤")
    assert coke.category == "raw_material"
    assert coke.domestic_alternative
    assert [(s.supplier_name, s.share) for s in coke.sources.all()] == [
        ("吕梁汾岚焦煤有限公司", 60),
        ("Gobi Tavan Coking Coal LLC", 40),
    ]
    assert coke.sources.first().uscc == COKING
    assert SupplyInput.objects.get(name="石墨电极").single_source


def test_english_headers_work_too(cast, tmp_path):
    result = run(cast, tmp_path, good_rows(cast), header=ENGLISH)
    assert result.written
    assert SupplyInput.objects.count() == 2


def test_a_dry_run_writes_nothing_and_says_what_would_change(cast, tmp_path):
    result = run(cast, tmp_path, good_rows(cast), dry_run=True)
    assert not result.written
    assert result.created == 2
    assert not TrackedItem.objects.exists()


def test_importing_again_changes_existing_inputs_and_keeps_unchanged_ones(cast, tmp_path):
    run(cast, tmp_path, good_rows(cast))
    rows = good_rows(cast)
    rows[0][7], rows[1][7] = 30, 70  # the Mongolian coal takes the lead
    result = run(cast, tmp_path, rows)
    assert result.written
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    coke = SupplyInput.objects.get(owner=cast.a1, name="主焦煤")
    assert coke.import_dependent
    event = ItemEvent.objects.filter(item=coke.item).latest("id")
    assert event.after["supply"]["sources"][1]["share"] == "70.00"


def test_suppliers_missing_from_the_file_are_removed(cast, tmp_path):
    run(cast, tmp_path, good_rows(cast))
    result = run(cast, tmp_path, good_rows(cast)[:1])
    assert result.written
    coke = SupplyInput.objects.get(owner=cast.a1, name="主焦煤")
    assert list(coke.sources.values_list("supplier_name", flat=True)) == ["吕梁汾岚焦煤有限公司"]
    assert SupplyInput.objects.get(name="石墨电极").sources.count() == 1  # not in the file


def test_the_owners_reporter_changes_an_existing_input_but_opens_none(cast, tmp_path):
    open_input(cast)  # iron ore of A1
    rows = [[a1(cast), "铁矿石", "", "", "鞍山恒达矿业有限公司", ORE_MINER, "CN", 100]]
    result = run(cast, tmp_path, rows, by=cast.sub_reporter)
    assert result.written, result.errors
    refused = run(cast, tmp_path, good_rows(cast)[:1], by=cast.sub_reporter)
    assert [p.field for p in refused.errors] == ["input"]
    assert not SupplyInput.objects.filter(name="主焦煤").exists()


def errors_of(result):
    return {(p.row, p.field) for p in result.errors}


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (["", "铁矿石", "原材料", "否", "", "", "", ""], "enterprise", "必填"),
        (["91210000XXXXXXXXXX", "铁矿石", "原材料", "否", "", "", "", ""], "enterprise",
         "91210000XXXXXXXXXX"),
        (["A1", "", "原材料", "否", "", "", "", ""], "input", "必填"),
        (["A1", "铁矿石", "金属", "否", "", "", "", ""], "category", "raw_material"),
        (["A1", "铁矿石", "原材料", "也许", "", "", "", ""], "domestic_alternative", "是或否"),
        (["A1", "铁矿石", "原材料", "否", "", "", "AU", 50], "supplier", "必填"),
        (["A1", "铁矿石", "原材料", "否", "Co., Ltd.", "", "AU", 50], "supplier", "组织形式"),
        (["A1", "铁矿石", "原材料", "否", "Pilbara", "", "AUS", 50], "country", "ISO 3166"),
        (["A1", "铁矿石", "原材料", "否", "Pilbara", "", "", 50], "country", "必填"),
        (["A1", "铁矿石", "原材料", "否", "恒达", "91210300G0000001X0", "CN", 50], "supplier_uscc",
         "统一社会信用代码"),
        (["A1", "铁矿石", "原材料", "否", "Pilbara", ORE_MINER, "AU", 50], "supplier_uscc", "CN"),
        (["A1", "铁矿石", "原材料", "否", "Pilbara", "", "AU", 120], "share", "不超过100"),
        (["A1", "铁矿石", "原材料", "否", "Pilbara", "", "AU", 0], "share", "大于0"),
        (["A1", "铁矿石", "原材料", "否", "Pilbara", "", "AU", "三成"], "share", "数字"),
        (["A1", "铁矿石", "原材料", "否", "Pilbara", "", "AU", 33.333], "share", "两位小数"),
        (["A1", "铁矿石", "原材料", "否", "Pilbara", "", "AU", ""], "share", "必填"),
    ],
)  # fmt: skip
def test_each_bad_cell_is_placed_and_nothing_is_written(cast, tmp_path, row, field, words):
    row = [a1(cast) if cell == "A1" else cell for cell in row]
    result = run(cast, tmp_path, [*good_rows(cast), row])
    assert not result.written
    assert (5, field) in errors_of(result), result.errors
    problem = next(p for p in result.errors if p.row == 5 and p.field == field)
    assert words in problem.reason
    assert problem.column  # the header as written
    assert not TrackedItem.objects.exists()


def test_shares_over_100_in_all_are_an_error_at_the_last_row(cast, tmp_path):
    rows = good_rows(cast)
    rows[1][7] = 45  # 60 + 45
    result = run(cast, tmp_path, rows)
    assert errors_of(result) == {(3, "share")}
    assert "105" in result.errors[0].reason
    assert not TrackedItem.objects.exists()


def test_the_total_counts_a_valid_share_on_a_row_with_other_problems(cast, tmp_path):
    rows = good_rows(cast)
    rows[1][6] = "MNG"  # a bad country, its share of 40 still counts: 60 + 45 > 100
    rows[1][7] = 45
    result = run(cast, tmp_path, rows)
    assert errors_of(result) == {(3, "country"), (3, "share")}


def test_a_supplier_twice_for_one_input_is_an_error(cast, tmp_path):
    rows = good_rows(cast)
    rows.append([a1(cast), "主焦煤", "", "", "GOBI TAVAN COKING COAL", "", "MN", 0.05])
    result = run(cast, tmp_path, rows)
    assert errors_of(result) == {(5, "supplier")}
    assert "第 3 行" in result.errors[0].reason


def test_rows_of_one_input_may_not_contradict_each_other(cast, tmp_path):
    rows = good_rows(cast)
    rows[1][2] = "能源"
    result = run(cast, tmp_path, rows)
    assert errors_of(result) == {(3, "category")}


def test_a_new_input_needs_its_category_and_alternative(cast, tmp_path):
    rows = [[a1(cast), "芯片", "", "", "Pacific Semicon Inc.", "", "US", 100]]
    result = run(cast, tmp_path, rows)
    assert errors_of(result) == {(2, "category"), (2, "domestic_alternative")}


def test_a_volume_needs_its_unit_and_numbers_are_checked(cast, tmp_path):
    header = [*HEADER, "年采购量", "计量单位", "年采购额（万元）", "应对措施完成期限"]
    rows = [
        [a1(cast), "芯片", "关键零部件", "否", "", "", "", "", 12, "", "", ""],
        [cast.a2.uscc, "芯片", "关键零部件", "否", "", "", "", "", -1, "万片", "-5", "2020-01-01"],
        [cast.a11.uscc, "芯片", "关键零部件", "否", "", "", "", "", "", "", "abc", "明年"],
    ]
    result = run(cast, tmp_path, rows, header=header)
    assert errors_of(result) == {
        (2, "volume_unit"),
        (3, "annual_volume"),
        (3, "annual_spend"),
        (3, "due_date"),
        (4, "annual_spend"),
        (4, "due_date"),
    }


def test_a_closed_items_input_is_not_changed(cast, tmp_path):
    ore = open_input(cast)
    ledger_services.item_cancel(acting_user=cast.analyst, item=ore.item, reason="重复")
    rows = [[a1(cast), "铁矿石", "", "", "鞍山恒达矿业有限公司", ORE_MINER, "CN", 100]]
    result = run(cast, tmp_path, rows)
    assert errors_of(result) == {(2, "input")}
    assert SupplyInput.objects.get(id=ore.id).sources.count() == 3


def test_an_outsider_cannot_reach_enterprises_out_of_view(cast, tmp_path):
    result = run(cast, tmp_path, good_rows(cast)[:1], by=cast.outsider)
    assert errors_of(result) == {(2, "enterprise")}


def test_an_inactive_enterprise_gets_no_new_input(cast, tmp_path):
    from guozi.registry.models import Enterprise

    Enterprise.objects.filter(id=cast.a2.id).update(status="deregistered")
    result = run(cast, tmp_path, good_rows(cast))
    assert (4, "enterprise") in errors_of(result)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ([*HEADER, "颜色"], "This column is not known."),
        ([*HEADER, "类别"], "This column appears twice."),
        (HEADER[1:], "This column is missing."),
    ],
)
def test_header_problems_are_reported_on_row_1(cast, tmp_path, header, reason):
    with translation.override("en"):
        result = run(cast, tmp_path, [[a1(cast), "铁矿石", "原材料", "否"]], header=header)
    assert [(p.row, p.reason) for p in result.errors] == [(1, reason)]


def test_an_empty_or_unreadable_file_is_one_problem(cast, tmp_path):
    assert run(cast, tmp_path, []).errors[0].reason
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    result = imports.import_inputs(
        acting_user=cast.analyst, path=broken, file_name="broken.xlsx", dry_run=False
    )
    assert len(result.errors) == 1
    assert ".xlsx" in result.errors[0].reason
    assert not result.written


def test_a_file_over_the_size_limit_is_refused_unread(cast, tmp_path, settings):
    settings.GUOZI_IMPORT_MAX_BYTES = 1000
    result = run(cast, tmp_path, good_rows(cast))
    assert [p.field for p in result.errors] == ["file"]
    assert "MB" in result.errors[0].reason
    assert not TrackedItem.objects.exists()


def read_back(content: bytes, tmp_path) -> list[list]:
    path = tmp_path / "export.xlsx"
    path.write_bytes(content)
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def test_the_export_has_a_row_per_supplier_and_imports_again_unchanged(cast, tmp_path):
    open_input(cast)
    open_input(cast, name="石墨电极", sources=[], domestic_alternative=True)
    stream = io.BytesIO()
    written = sheets.export_inputs(input_list(cast.analyst, InputFilters()), stream)
    assert written == 4  # three suppliers of iron ore, one row for the electrodes
    grid = read_back(stream.getvalue(), tmp_path)
    assert grid[0][0] == "企业标识"
    ore_rows = [row for row in grid[1:] if row[2] == "铁矿石"]
    assert [row[9] for row in ore_rows] == [
        "Pilbara Iron Ore Pty Ltd",
        "Vale Minerais S.A.",
        "鞍山恒达矿业有限公司",
    ]
    assert ore_rows[0][18] == 4050  # HHI
    again = imports.import_inputs(
        acting_user=cast.analyst,
        path=tmp_path / "export.xlsx",
        file_name="export.xlsx",
        dry_run=False,
    )
    assert again.errors == []
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_the_export_page_is_scoped(cast, login, tmp_path):
    open_input(cast)
    open_input(cast, owner=cast.b1, name="岸桥轴承", sources=[])
    answer = login(cast.sub_reporter).get(reverse("supply:export"))
    assert answer["Content-Type"] == sheets.CONTENT_TYPE
    names = {row[2] for row in read_back(answer.content, tmp_path)[1:]}
    assert names == {"铁矿石"}


def test_the_import_page_shows_every_problem_and_writes_nothing(cast, login, tmp_path):
    rows = good_rows(cast)
    rows[1][7] = 45
    rows[2][6] = "XX"
    path = workbook(tmp_path / "bad.xlsx", HEADER, rows)
    with path.open("rb") as upload:
        answer = login(cast.analyst).post(reverse("supply:import"), {"file": upload})
    assert answer.status_code == 400
    text = answer.content.decode()
    assert 'id="errors"' in text
    assert "XX" in text and "105" in text
    assert not TrackedItem.objects.exists()
    assert not list((tmp_path / "uploads").iterdir())  # the upload is not kept


def test_the_import_page_checks_then_imports(cast, login, tmp_path):
    path = workbook(tmp_path / "good.xlsx", HEADER, good_rows(cast))
    client = login(cast.analyst)
    with path.open("rb") as upload:
        checked = client.post(reverse("supply:import"), {"file": upload, "dry_run": "on"})
    assert checked.status_code == 200
    assert not SupplyInput.objects.exists()
    with path.open("rb") as upload:
        imported = client.post(reverse("supply:import"), {"file": upload})
    assert imported.status_code == 200
    assert SupplySource.objects.count() == 3


def test_the_import_page_without_a_file_says_so(cast, login):
    answer = login(cast.analyst).post(reverse("supply:import"), {})
    assert answer.status_code == 400


def test_today_is_the_demo_day(cast):
    from guozi.lib import clock

    assert clock.today() == date(2026, 8, 28)
