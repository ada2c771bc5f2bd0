"""The rectification import on its page and through the API: errors listed with nothing
written, check-only writes nothing, a valid file opens the items; only the supervisor's
analysts and reviewers import."""

import io
from datetime import date

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from guozi.accounts.services import token_create
from guozi.ledgers.models import Register, TrackedItem


def book(rows) -> bytes:
    stream = io.BytesIO()
    workbook = xlsxwriter.Workbook(stream, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    workbook.close()
    return stream.getvalue()


def good(cast) -> bytes:
    return book(
        [["统一社会信用代码", "整改事项", "整改期限"], [cast.a1.uscc, "巡视整改", "2026-12-31"]]
    )


BAD = book([["统一社会信用代码", "整改事项"], ["x", "巡视整改"]])


def test_the_import_page_checks_then_writes(cast, login):
    client = login(cast.analyst)
    assert client.get("/ledgers/import/").status_code == 200
    assert client.get("/ledgers/import/?register=legacy_problem").status_code == 404
    template = client.get("/ledgers/import/template/")
    assert template.status_code == 200 and template.content[:2] == b"PK"

    refused = client.post("/ledgers/import/", {"file": SimpleUploadedFile("a.xlsx", BAD)})
    assert refused.status_code == 400 and b'id="errors"' in refused.content
    assert not TrackedItem.objects.exists()

    checked = client.post(
        "/ledgers/import/", {"file": SimpleUploadedFile("a.xlsx", good(cast)), "dry_run": "on"}
    )
    assert checked.status_code == 200 and not TrackedItem.objects.exists()

    done = client.post("/ledgers/import/", {"file": SimpleUploadedFile("a.xlsx", good(cast))})
    assert done.status_code == 200
    item = TrackedItem.objects.get()
    assert (item.register, item.owner_id, item.due_date) == (
        Register.RECTIFICATION,
        cast.a1.id,
        date(2026, 12, 31),
    )


def test_a_file_that_is_not_a_workbook_is_refused_by_the_form(cast, login):
    response = login(cast.analyst).post(
        "/ledgers/import/", {"file": SimpleUploadedFile("a.csv", b"a,b\n")}
    )
    assert response.status_code == 400 and not TrackedItem.objects.exists()


def test_enterprise_users_do_not_import(cast, login):
    assert login(cast.reporter).get("/ledgers/import/").status_code == 403
    response = login(cast.reporter).post(
        "/ledgers/import/", {"file": SimpleUploadedFile("a.xlsx", good(cast))}
    )
    assert response.status_code == 403 and not TrackedItem.objects.exists()


def test_the_import_endpoint(cast, client):
    token = token_create(acting_user=None, user=cast.analyst)[1]
    headers = {"Authorization": f"Bearer {token}"}
    url = "/api/v1/ledgers/items/import"

    def post(content: bytes, **form):
        return client.post(
            url, {"file": SimpleUploadedFile("a.xlsx", content), **form}, headers=headers
        )

    refused = post(BAD)
    assert refused.status_code == 422
    assert "rows.2.统一社会信用代码" in refused.json()["error"]["fields"]
    unknown = post(good(cast), register_kind="legacy_problem")
    assert unknown.status_code == 422 and "register_kind" in unknown.json()["error"]["fields"]
    checked = post(good(cast), dry_run="true")
    assert checked.status_code == 200 and checked.json()["counts"]["created"] == 1
    assert not TrackedItem.objects.exists()
    done = post(good(cast))
    assert done.status_code == 200 and done.json()["written"]
    assert TrackedItem.objects.count() == 1
