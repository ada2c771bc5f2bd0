"""Exports are inert, stamped and scoped: text a spreadsheet would run is neutralised in .xlsx
and CSV, every file names who exported it and when, and nobody exports what they cannot see."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from openpyxl import load_workbook

from guozi.audit.models import AuditEvent
from guozi.indicators.exports import CONTENT_TYPES, write_tables, write_tables_csv
from guozi.indicators.presenters import Table, number_cell, text_cell
from guozi.lib.clock import CHINA
from guozi.registry.exports import neutralise, watermark

from .test_views import JULY, compute_figures, in_english

DANGEROUS = ['=HYPERLINK("http://evil.example","x")', "+1", "-1+2", "@SUM(1)", "\t=1", "\r=1"]


@pytest.fixture
def computed(cast, fast_report):
    return compute_figures(cast, fast_report)


def dangerous_table() -> Table:
    rows = [[text_cell(text), number_cell(-1234.5, "amount")] for text in DANGEROUS]
    return Table("t", "=title", ["@name", "value"], rows, notes=["-note"])


@pytest.mark.parametrize("text", DANGEROUS)
def test_neutralise_quotes_every_formula_start(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["辽钢", "a=b", "1+1", "", 12, -3.5, None])
def test_neutralise_leaves_other_values_alone(value):
    assert neutralise(value) == value


def test_the_workbook_holds_formulas_as_quoted_text():
    stream = io.BytesIO()
    assert write_tables(stream, [dangerous_table()], "Exported by x") == len(DANGEROUS)
    sheet = load_workbook(io.BytesIO(stream.getvalue())).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell for cell in cells if cell.data_type == "f"]
    texts = {cell.value for cell in cells if cell.data_type == "s"}
    # (The carriage return is kept in the XML as _x000D_, which openpyxl does not decode.)
    assert {"'" + text for text in DANGEROUS[:-1]} | {"'_x000D_=1"} <= texts
    assert {"'-note", "'@name"} <= texts
    # Our own negative numbers stay numbers.
    assert [cell.value for cell in cells if cell.data_type == "n"] == [-1234.5] * len(DANGEROUS)


def test_the_csv_holds_formulas_as_quoted_text_and_numbers_as_numbers():
    stream = io.BytesIO()
    assert write_tables_csv(stream, [dangerous_table(), dangerous_table()], "stamp") == 12
    data = stream.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines[:4] == [
        ["'=title"],
        ["'-note"],
        ["'@name", "value"],
        ["'" + DANGEROUS[0], "-1234.50"],
    ]
    firsts = [line[0] for line in lines if len(line) == 2 and line[1] == "-1234.50"]
    assert firsts == ["'" + text for text in DANGEROUS] * 2
    # The tables one after another with a blank line between, the stamp last.
    assert lines[3 + len(DANGEROUS)] == []
    assert lines[-2:] == [[], ["stamp"]]


def test_the_watermark_names_the_user_in_china_time(cast):
    at = datetime(2026, 8, 28, 1, 30, tzinfo=CHINA)
    with translation.override("zh-hans"):
        assert watermark(cast.analyst, at) == "由 analyst 于 2026-08-28 01:30（北京时间）导出"


def test_the_watermark_in_english_uses_china_time(cast):
    utc = datetime(2026, 8, 27, 20, 5, tzinfo=ZoneInfo("UTC"))
    with translation.override("en"):
        assert watermark(cast.reporter, utc) == (
            "Exported by reporter at 2026-08-28 04:05 (China time)"
        )


def test_a_csv_export_is_stamped_and_audited(computed, cast, login):
    client = in_english(login(cast.analyst))
    response = client.get(f"/indicators/rankings/?period={JULY}&code=roe&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["csv"]
    assert response["Content-Disposition"].endswith('.csv"')
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert lines[-1][0].startswith("Exported by analyst at 2026-08-28 ")
    assert lines[-1][0].endswith("(China time)")
    assert ["1", "Liaoning Steel Group", "16.59%"] == lines[5][:3]
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.after["format"]) == (cast.analyst, "csv")


def test_an_xlsx_export_is_stamped_in_the_footer_and_the_last_line(computed, cast, login):
    client = in_english(login(cast.analyst))
    response = client.get(f"/indicators/?period={JULY}&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert "Exported by analyst at 2026-08-28" in sheet.oddFooter.left.text
    last = [cell.value for cell in list(sheet.iter_rows())[-1] if cell.value is not None]
    assert len(last) == 1 and last[0].startswith("Exported by analyst at 2026-08-28 ")


def test_an_unknown_format_is_not_found(computed, cast, login):
    client = login(cast.analyst)
    assert client.get(f"/indicators/?period={JULY}&format=pdf").status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_nobody_exports_an_enterprise_outside_their_view(computed, cast, login, fmt):
    # B's reporter cannot export the series of group A or of one of its subsidiaries.
    client = login(cast.outsider)
    for enterprise in (cast.a, cast.a1):
        url = f"/indicators/enterprises/{enterprise.id}/?format={fmt}"
        assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()
    # Their own subtree is theirs to export, and holds no other group's names.
    own = client.get(f"/indicators/rankings/?period={JULY}&code=roe&format={fmt}")
    assert own.status_code == 200
    if fmt == "csv":
        text = own.content.decode("utf-8-sig")
        assert "营口港务有限公司" in text and "由 outsider 于" in text
        assert "辽宁钢铁集团有限公司" not in text and "Liaoning Steel" not in text
    assert AuditEvent.objects.get(action="export").actor == cast.outsider
