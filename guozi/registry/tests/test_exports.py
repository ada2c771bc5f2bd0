import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from guozi.lib.uscc import make_uscc
from guozi.registry import services
from guozi.registry.exports import COLUMNS, export_enterprises, export_rows, neutralise
from guozi.registry.imports import import_enterprises
from guozi.registry.models import Enterprise, EquityLink, FunctionClass, ManagementLink

DAY = date(2026, 8, 28)


@pytest.fixture(autouse=True)
def english(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield


@pytest.fixture
def varied(cast):
    """The cast plus a foreign subsidiary, awkward text, a merged enterprise, a minority stake."""
    foreign = services.enterprise_create(
        acting_user=None,
        fields={
            "foreign_reg_no": "HRB 98765",
            "foreign_country": "DE",
            "name_zh": "辽钢欧洲有限公司",
            "name_en": '=HYPERLINK("http://x")',
            "short_name": "-欧洲",
            "supervisor": cast.ln,
            "ownership_level": "provincial",
            "main_business": "@贸易\n第二行",
            "listed_codes": "600000.SH,00001.HK",
            "established_on": date(2011, 5, 6),
            "portfolio": "observed",
        },
        parent=cast.a,
        ownership_pct=Decimal("33.3333"),
        valid_from=date(2016, 1, 1),
    )
    under_foreign = services.enterprise_create(
        acting_user=None,
        fields={
            "uscc": make_uscc("9", "1", "210100", "E0000001"),
            "name_zh": "欧洲子公司",
            "supervisor": cast.ln,
            "ownership_level": "provincial",
            "function_class": FunctionClass.objects.get(supervisor=cast.ln, code="public_welfare"),
        },
        parent=foreign,
        valid_from=date(2017, 1, 1),
    )
    services.equity_link_add(
        acting_user=None,
        held=cast.a2,
        holder=cast.b,
        pct=Decimal("30"),
        valid_from=date(2016, 1, 1),
    )
    services.enterprise_merge(acting_user=None, absorbed=cast.b1, into=cast.b, on=date(2024, 1, 1))
    return foreign, under_foreign


def write(queryset, tmp_path, fmt):
    path = tmp_path / f"export.{fmt}"
    count = export_enterprises(queryset, path, fmt=fmt, day=DAY)
    return path, count


def by_id(rows):
    return {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows}


def test_rows_hold_the_parent_and_its_stake_on_the_day(cast, varied):
    foreign, under_foreign = varied
    rows = by_id(export_rows(Enterprise.objects.all(), DAY))
    assert rows[cast.a.id]["parent"] == "" and rows[cast.a.id]["ownership_pct"] == 100
    assert (rows[cast.a2.id]["parent"], rows[cast.a2.id]["ownership_pct"]) == (cast.a.uscc, 70)
    assert rows[foreign.id]["parent"] == cast.a.uscc
    assert rows[foreign.id]["ownership_pct"] == pytest.approx(33.3333)
    assert rows[under_foreign.id]["parent"] == "DE:HRB 98765"
    assert rows[under_foreign.id]["ownership_pct"] is None
    assert rows[under_foreign.id]["function_class"] == "public_welfare"
    merged = rows[cast.b1.id]
    assert (merged["status"], merged["parent"], merged["ownership_pct"]) == ("merged", "", None)
    before_merger = by_id(export_rows(Enterprise.objects.filter(id=cast.b1.id), date(2023, 1, 1)))
    assert before_merger[cast.b1.id]["parent"] == cast.b.uscc
    assert rows[cast.d.id]["supervisor"] == "dl"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_imports_back_unchanged(cast, varied, tmp_path, fmt):
    path, count = write(Enterprise.objects.all(), tmp_path, fmt)
    assert count == Enterprise.objects.count() == 9
    tables = (Enterprise, ManagementLink, EquityLink)
    before = [sorted(model.objects.values_list()) for model in tables]
    result = import_enterprises(acting_user=None, path=path, valid_from=DAY)
    assert result.ok, [str(e) for e in result.errors]
    assert result.warnings == []
    assert result.counts == {"created": 0, "updated": 0, "unchanged": 9}
    assert [sorted(model.objects.values_list()) for model in tables] == before


def test_a_filtered_export_imports_back_unchanged(cast, varied, tmp_path):
    path, count = write(
        Enterprise.objects.filter(supervisor=cast.ln, status="active"), tmp_path, "csv"
    )
    assert count == 7
    result = import_enterprises(acting_user=cast.analyst, path=path, valid_from=DAY)
    assert result.counts == {"created": 0, "updated": 0, "unchanged": 7}


def test_an_edited_export_updates_what_was_edited(cast, tmp_path):
    path, _count = write(Enterprise.objects.filter(supervisor=cast.ln), tmp_path, "xlsx")
    book = load_workbook(path)
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == cast.a11.id:
            row[COLUMNS.index("name_en")].value = "Anshan Works"
            row[COLUMNS.index("parent")].value = cast.a.uscc
    book.save(path)
    result = import_enterprises(acting_user=None, path=path, valid_from=date(2026, 9, 1))
    assert result.counts == {"created": 0, "updated": 1, "unchanged": 5}
    (plan,) = result.planned
    assert [(c.field, c.after) for c in plan.changes] == [
        ("name_en", "Anshan Works"),
        ("parent", cast.a.uscc),
        ("ownership_pct", "100"),
    ]


def test_formulas_are_neutralised_in_both_formats(cast, varied, tmp_path):
    foreign, _under = varied
    path, _count = write(Enterprise.objects.filter(id=foreign.id), tmp_path, "csv")
    text = path.read_bytes().decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["name_en"] == '\'=HYPERLINK("http://x")'
    assert row["short_name"] == "'-欧洲"
    assert row["main_business"] == "'@贸易\n第二行"
    assert row["ownership_pct"] == "33.3333"  # numbers stay numbers

    path, _count = write(Enterprise.objects.filter(id=foreign.id), tmp_path, "xlsx")
    cells = {
        c: cell
        for c, cell in zip(
            COLUMNS, next(load_workbook(path).active.iter_rows(min_row=2)), strict=True
        )
    }
    assert cells["name_en"].value == '\'=HYPERLINK("http://x")'
    assert cells["name_en"].data_type == "s"
    assert cells["ownership_pct"].data_type == "n"
    assert cells["established_on"].is_date


def test_neutralise_leaves_numbers_and_plain_text_alone():
    assert neutralise(-5) == -5
    assert neutralise(Decimal("-1.5")) == Decimal("-1.5")
    assert neutralise("-5") == "'-5"
    assert neutralise("+86 411") == "'+86 411"
    assert neutralise("辽宁") == "辽宁"
    assert neutralise("a=b") == "a=b"


def test_the_export_runs_in_few_queries(cast, django_assert_max_num_queries, tmp_path):
    # How many, the parents and their stakes, then the enterprises.
    with django_assert_max_num_queries(4):
        export_enterprises(Enterprise.objects.all(), io.BytesIO(), fmt="xlsx", day=DAY)


def test_an_unknown_format_is_refused(cast):
    with pytest.raises(ValueError):
        export_enterprises(Enterprise.objects.all(), io.BytesIO(), fmt="pdf")
