"""The enterprise export: formulas inert (tab and carriage return starts too), the workbook's
printed footer names who exported it, and the file still imports back unchanged."""

import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from guozi.registry.exports import export_enterprises, neutralise
from guozi.registry.models import Enterprise


@pytest.mark.parametrize("text", ["=1", "+1", "-1+2", "@SUM(1)", "\t=1", "\r=1"])
def test_formula_starts_are_neutralised(text):
    assert neutralise(text) == "'" + text


def test_the_workbook_footer_names_the_user_and_the_rows_stay_importable(cast, login):
    client = login(cast.outsider)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("registry:export"), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.oddFooter.left.text.startswith("Exported by outsider at 2026-08-28 ")
    # Only the outsider's enterprises, and no stamp row the import would read as one.
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted([cast.b.id, cast.b1.id])


def test_an_ampersand_in_the_stamp_is_not_a_footer_code(cast):
    stream = io.BytesIO()
    export_enterprises(Enterprise.objects.all(), stream, fmt="xlsx", stamp="R&D <x>")
    with zipfile.ZipFile(io.BytesIO(stream.getvalue())) as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert "<oddFooter>&amp;LR&amp;&amp;D &lt;x&gt;</oddFooter>" in xml
    assert load_workbook(io.BytesIO(stream.getvalue())).worksheets[0].max_row == 8
