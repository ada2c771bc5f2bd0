"""Every indicator table as .xlsx: it opens with openpyxl, holds the page's numbers (missing and
undefined as words, never 0), is scoped like the page and written to the audit log."""

import io

import pytest
from openpyxl import load_workbook

from guozi.audit.models import AuditEvent
from guozi.indicators.exports import CONTENT_TYPE

from .test_views import JULY, compute_figures, in_english


@pytest.fixture
def computed(cast, fast_report):
    return compute_figures(cast, fast_report)


@pytest.fixture
def english(client):
    return in_english(client)


def workbook(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == CONTENT_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="indicators-')
    return load_workbook(io.BytesIO(response.content))


def sheet_rows(sheet, header_first: str) -> tuple[list, list[tuple]]:
    """(header, rows below it) of a sheet whose header row starts with `header_first`; the table
    ends at the blank line above the export's stamp."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == header_first)
    end = next(i for i in range(start, len(rows) + 1) if i == len(rows) or not any(rows[i]))
    return list(rows[start]), rows[start + 1 : end]


def cell_of(sheet, first: object, column: int):
    """The cell in `column` (1-based) of the first row whose first cell is `first`."""
    row = next(row for row in sheet.iter_rows() if row[0].value == first)
    return row[column - 1]


def test_the_overview_workbook_holds_the_pages_numbers(computed, cast, login, english):
    client = login(cast.analyst)
    page = client.get("/indicators/?period=2026-07")
    book = workbook(client.get("/indicators/?period=2026-07&format=xlsx"))
    sheet = book.worksheets[0]
    header, rows = sheet_rows(sheet, "Indicator")
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    table = page.context["page"].tables[0]
    for row in table.rows:
        shown = by_name[row[0].text]
        assert shown["Value"] == row[2].value
    assert by_name["Total profit"]["Value"] == 300
    assert by_name["Total profit"]["Year on year"] == pytest.approx(30 / 270)
    assert by_name["Debt-to-asset ratio"]["Value"] == pytest.approx(0.6)
    assert cell_of(sheet, "Debt-to-asset ratio", 3).number_format == "0.00%"
    assert cell_of(sheet, "Total profit", 3).number_format == "#,##0.00"
    # No balance sheet a year earlier: the comparative is missing, written as such, not 0.
    assert by_name["Debt-to-asset ratio"]["Prior-year comparative"] == "missing"
    assert (
        by_name["Debt-to-asset ratio"]["Year on year"]
        == "no comparison: the prior-year figure is missing"
    )
    notes = [sheet.cell(row=1, column=1).value, sheet.cell(row=2, column=1).value]
    assert notes[1] == (
        "Fast report · consolidated: the groups added up, lower supervisors not included · "
        "approved data"
    )


def test_an_export_is_audited_with_what_was_asked(computed, cast, login):
    client = login(cast.analyst)
    workbook(client.get("/indicators/rankings/?period=2026-07&code=roe&format=xlsx"))
    event = AuditEvent.objects.get(action="export")
    assert event.actor == cast.analyst
    assert event.after["event"] == "indicators_export"
    assert event.after["query"] == {"period": "2026-07", "code": "roe"}
    assert event.after["rows"] == 1  # Liaoning's one approved group


def test_the_rankings_workbook_has_every_row_in_order_with_missing_last(
    computed, cast, login, english
):
    client = login(cast.analyst)
    url = "/indicators/rankings/?period=2026-07&code=rd_intensity&enterprises=all"
    book = workbook(client.get(url + "&format=xlsx"))
    header, rows = sheet_rows(book.worksheets[0], "Rank")
    assert header[:5] == ["Rank", "Enterprise", "Value", "Year on year", "Prior-year comparative"]
    # The same ratio for A, A1 and B1 (their reports are scaled alike): one shared place.
    assert [row[0] for row in rows] == [1, 1, 1, None, None]
    assert {row[2] for row in rows[-2:]} == {"missing", "undefined: division by zero"}
    page = client.get(url)
    assert [row[2].value for row in page.context["table"].rows] == [row[2] for row in rows]
    assert 0 not in [row[2] for row in rows]


def test_percentage_points_are_written_as_points(computed, cast, login, english):
    client = login(cast.analyst)
    book = workbook(
        client.get("/indicators/rankings/?period=2026-07&code=rd_intensity&format=xlsx")
    )
    header, rows = sheet_rows(book.worksheets[0], "Rank")
    change = cell_of(book.worksheets[0], 1, 4)
    expected = 30 / 1150 - 25 / 1050  # A's R&D intensity against its restated comparative
    assert change.value == rows[0][3] == pytest.approx(expected * 100)
    assert change.number_format.startswith('+0.00" pp"')


def test_the_enterprise_workbook_is_scoped_like_the_page(computed, cast, login):
    client = login(cast.reporter)
    book = workbook(client.get(f"/indicators/enterprise/{cast.a.id}/?format=xlsx"))
    header, rows = sheet_rows(book.worksheets[0], "指标")
    assert header[2:] == ["2026年6月", "2026年7月"]
    profit = next(row for row in rows if row[0] == "利润总额")
    assert profit[2:] == (250, 300)
    assert AuditEvent.objects.get(action="export").enterprise_id == cast.a.id
    response = client.get(f"/indicators/enterprise/{cast.b.id}/?format=xlsx")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="export").count() == 1


def test_the_health_and_explain_workbooks(computed, cast, login, english):
    client = login(cast.analyst)
    book = workbook(client.get("/indicators/health/?period=2026-07&format=xlsx"))
    header, rows = sheet_rows(book.worksheets[0], "Unit")
    assert rows[0][0] == cast.ln.name_en or rows[0][0] == cast.ln.name
    assert "Score" in header and "Altman zone" in header
    book = workbook(
        client.get(
            f"/indicators/explain/?period=2026-07&code=roe&enterprise={cast.a.id}&format=xlsx"
        )
    )
    assert len(book.worksheets) == 3  # the figure, its inputs, its definition
    header, rows = sheet_rows(book.worksheets[1], "Input")
    assert {row[1] for row in rows} == {
        "field:net_profit",
        "field:owners_equity",
        "field:owners_equity@opening",
    }
    assert {row[2] for row in rows if row[1] == "field:net_profit"} == {225}
    roll_up = workbook(
        client.get(
            "/indicators/explain/?period=2026-07&code=total_profit&unit=portfolio"
            "&data_status=submitted&format=xlsx"
        )
    )
    header, rows = sheet_rows(roll_up.worksheets[1], "Enterprise")
    assert [row[5] for row in rows] == [pytest.approx(0.6), pytest.approx(0.4)]


def test_an_unknown_format_is_404_and_nothing_is_audited(computed, cast, login):
    response = login(cast.analyst).get("/indicators/?format=pdf")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_an_export_of_a_period_without_figures_is_an_empty_workbook(cast, fast_report, login):
    book = workbook(login(cast.analyst).get("/indicators/?format=xlsx"))
    assert len(book.worksheets) == 1
    assert JULY not in str(list(book.worksheets[0].iter_rows(values_only=True)))
