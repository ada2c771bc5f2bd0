"""The item list export in .xlsx and CSV: formulas inert, stamped with the user, scoped."""

import csv
import io

import pytest
from openpyxl import load_workbook

from guozi.ledgers.exports import CONTENT_TYPES

from .conftest import open_item

# (A leading tab is stripped when an item is saved; neutralise itself is tested in registry.)
DANGEROUS = ['=HYPERLINK("http://evil.example","x")', "+1", "-1+2", "@SUM(1)"]


@pytest.fixture
def items(cast):
    return [open_item(cast, title=text) for text in DANGEROUS] + [
        open_item(cast, owner=cast.b1, title="港口整改事项")
    ]


def csv_lines(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["csv"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def test_the_csv_is_inert_and_stamped(cast, items, login):
    client = login(cast.analyst)
    client.cookies["django_language"] = "en"
    response = client.get("/ledgers/export/", {"format": "csv"})
    assert response["Content-Disposition"].endswith('.csv"')
    lines = csv_lines(response)
    titles = {line[2] for line in lines[1:-2]}
    assert {"'" + text for text in DANGEROUS} <= titles and "港口整改事项" in titles
    assert lines[-2] == []
    assert lines[-1][0].startswith("Exported by analyst at 2026-08-28 ")


def test_the_workbook_is_inert_and_stamped(cast, items, login):
    client = login(cast.analyst)
    client.cookies["django_language"] = "en"
    response = client.get("/ledgers/export/", {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell for cell in cells if cell.data_type == "f"]
    titles = {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"'" + text for text in DANGEROUS} <= titles
    assert "Exported by analyst at 2026-08-28" in sheet.oddFooter.left.text
    last = [value for value in list(sheet.iter_rows(values_only=True))[-1] if value]
    assert len(last) == 1 and last[0].startswith("Exported by analyst at 2026-08-28 ")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_enterprise_user_exports_only_their_items(cast, items, login, fmt):
    response = login(cast.outsider).get("/ledgers/export/", {"format": fmt})
    assert response.status_code == 200
    if fmt == "csv":
        lines = csv_lines(response)
        assert [line[2] for line in lines[1:-2]] == ["港口整改事项"]
        assert lines[-1][0].startswith("由 outsider 于 2026-08-28 ")
    else:
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        text = [value for row in sheet.iter_rows(values_only=True) for value in row if value]
        assert "港口整改事项" in text and "'+1" not in text


def test_an_unknown_format_is_not_found(cast, items, login):
    assert login(cast.analyst).get("/ledgers/export/", {"format": "pdf"}).status_code == 404


@pytest.mark.parametrize("register", ["reform", "legacy", "safety", "rnd", "supply"])
def test_every_register_export_is_stamped_in_its_footer_and_stays_importable(cast, login, register):
    """The footer only: a register's workbook is imported back, so no last line of text."""
    client = login(cast.analyst)
    client.cookies["django_language"] = "en"
    response = client.get(f"/ledgers/{register}/export/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert "Exported by analyst at 2026-08-28" in sheet.oddFooter.left.text
    assert not any(
        str(value).startswith("Exported by")
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value
    )
