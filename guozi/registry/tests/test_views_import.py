import csv
import io
import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from guozi.audit.models import AuditEvent
from guozi.jobs.models import Job, JobStatus
from guozi.lib.uscc import make_uscc
from guozi.registry import views_import
from guozi.registry.exports import COLUMNS
from guozi.registry.models import Enterprise, ManagementLink
from guozi.registry.tasks import import_enterprises_job

HEADER = ["uscc", "name_zh", "parent", "ownership_pct", "supervisor", "region_code"]


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def code(n: int) -> str:
    return make_uscc("9", "1", "210100", f"W{n:07d}")


def workbook(rows, header=HEADER) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    data = io.BytesIO()
    book.save(data)
    return SimpleUploadedFile("new.xlsx", data.getvalue())


def english(client):
    client.cookies["django_language"] = "en"
    return client


def upload(client, file, *, dry_run=True, valid_from="2026-09-01"):
    data = {"file": file, "valid_from": valid_from}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(reverse("registry:import"), data)


def test_the_form_page(cast, login):
    response = english(login(cast.analyst)).get(reverse("registry:import"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="dry_run" checked' in body
    assert 'value="2026-08-28"' in body  # the effective date defaults to today
    assert "parent_uscc" not in body and "ownership_pct" in body


def test_the_date_field_is_iso_in_chinese_too(cast, login):
    body = login(cast.analyst).get(reverse("registry:import")).content.decode()
    assert 'type="date"' in body and 'value="2026-08-28"' in body


@pytest.mark.parametrize("user", ["outsider", "leader", "auditor", "sysadmin"])
def test_only_registry_editors_may_import(cast, login, user):
    client = login(getattr(cast, user))
    assert client.get(reverse("registry:import")).status_code == 403
    response = upload(client, workbook([[code(1), "甲", "", 100, "ln", "210100"]]))
    assert response.status_code == 403
    assert client.get(reverse("registry:import_review", args=["abc"])).status_code == 403
    assert not Enterprise.objects.filter(uscc=code(1)).exists()


def test_a_dry_run_shows_errors_and_writes_nothing(cast, login):
    client = english(login(cast.analyst))
    rows = [
        [code(1), "甲公司", "", 100, "ln", "210100"],
        [code(2), "乙公司", code(9), 51, "ln", "219999"],
    ]
    count = Enterprise.objects.count()
    response = upload(client, workbook(rows))
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 errors: nothing was written" in body
    assert 'id="errors"' in body and "Import these changes" not in body
    result = response.context["result"]
    assert [(e.row, e.column, e.value) for e in result.errors] == [
        (3, "region_code", "219999"),
        (3, "parent", code(9)),
    ]
    assert "219999" in body and "GB/T 2260" in body
    assert Enterprise.objects.count() == count


def test_a_valid_upload_is_imported_after_confirmation(cast, login):
    client = english(login(cast.analyst))
    rows = [
        [code(2), "乙公司", code(1), 51, "ln", "210100"],
        [code(1), "甲公司", "", 100, "ln", "210100"],
    ]
    response = upload(client, workbook(rows), valid_from="2026-09-01")
    body = response.content.decode()
    assert "The file is valid" in body and "Import these changes" in body
    assert [p.action for p in response.context["result"].planned] == ["new", "new"]
    assert not Enterprise.objects.filter(uscc=code(1)).exists()
    upload_id = response.context["upload"]["id"]
    confirm = reverse("registry:import_review", args=[upload_id])
    assert f'action="{confirm}"' in body

    response = client.post(confirm, {"valid_from": "2026-09-01"})
    assert response.status_code == 200
    assert "Imported: 2 created, 0 updated, 0 unchanged" in response.content.decode()
    parent, child = Enterprise.objects.get(uscc=code(1)), Enterprise.objects.get(uscc=code(2))
    link = ManagementLink.objects.get(child=child)
    assert (link.parent_id, link.valid_from) == (parent.id, date(2026, 9, 1))
    events = AuditEvent.objects.filter(enterprise_id__in=[parent.id, child.id], action="create")
    assert {(e.actor_id, e.channel) for e in events} == {(cast.analyst.id, "ui")}
    assert events.count() == 2

    # The same file again changes nothing.
    response = client.post(confirm, {"valid_from": "2026-09-01"})
    assert response.context["result"].counts == {"created": 0, "updated": 0, "unchanged": 2}


def test_an_import_without_dry_run_writes_at_once(cast, login):
    client = english(login(cast.reviewer))
    response = upload(
        client, workbook([[code(3), "丙公司", "", 100, "ln", "210100"]]), dry_run=False
    )
    assert response.context["result"].written
    assert Enterprise.objects.filter(uscc=code(3)).exists()


def test_an_upload_is_only_for_its_uploader(cast, login, client):
    login(cast.analyst)
    response = upload(client, workbook([[code(4), "丁公司", "", 100, "ln", "210100"]]))
    upload_id = response.context["upload"]["id"]
    review = reverse("registry:import_review", args=[upload_id])
    assert client.get(review).status_code == 200
    login(cast.reviewer)
    assert client.get(review).status_code == 404
    assert client.post(review).status_code == 404
    assert client.get(reverse("registry:import_review", args=["x.json"])).status_code == 404
    assert not Enterprise.objects.filter(uscc=code(4)).exists()
    page = client.get(reverse("registry:import")).content.decode()
    assert upload_id not in page  # someone else's recent upload is not listed


def test_an_editor_of_another_supervisor_gets_row_errors(cast, login):
    client = english(login(cast.dl_analyst))
    response = upload(client, workbook([[code(5), "戊公司", "", 100, "ln", "210100"]]))
    (error,) = response.context["result"].errors
    assert error.column == "supervisor" and "may not change" in error.reason


def test_a_wrong_file_type_is_refused_by_the_form(cast, login):
    client = english(login(cast.analyst))
    response = upload(client, SimpleUploadedFile("list.txt", b"uscc\n"))
    assert response.status_code == 400
    assert ".xlsx and .csv" in response.content.decode()


def test_a_big_file_runs_as_a_job(cast, login, monkeypatch):
    monkeypatch.setattr(views_import, "IN_REQUEST_ROWS", 1)
    client = login(cast.analyst)
    rows = [
        [code(6), "己公司", "", 100, "ln", "210100"],
        [code(7), "庚公司", code(6), 60, "ln", ""],
    ]
    response = upload(client, workbook(rows), dry_run=False)
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert job.kind == "enterprise_import" and job.created_by == cast.analyst
    assert job.params["dry_run"] is False and job.params["valid_from"] == "2026-09-01"
    assert not Enterprise.objects.filter(uscc=code(6)).exists()

    summary = import_enterprises_job.call(str(job.id))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["counts"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert job.result == summary and json.loads(json.dumps(summary)) == summary
    assert (job.done, job.total) == (2, 2)
    made = Enterprise.objects.get(uscc=code(7))
    assert AuditEvent.objects.get(enterprise_id=made.id).channel == "job"


def test_a_big_files_errors_are_in_the_job_result(cast, login, monkeypatch):
    monkeypatch.setattr(views_import, "IN_REQUEST_ROWS", 0)
    client = login(cast.analyst)
    upload(client, workbook([["bad", "辛公司", "", 100, "ln", "210100"]]), dry_run=True)
    job = Job.objects.get()
    import_enterprises_job.call(str(job.id))
    job.refresh_from_db()
    assert job.result["error_count"] == 1
    assert job.result["errors"][0]["row"] == 2 and job.result["errors"][0]["column"] == "uscc"
    assert job.params["review_url"] == reverse(
        "registry:import_review", args=[job.params["upload"]]
    )


# --- export ---------------------------------------------------------------------------------


def exported_rows(response) -> list[dict]:
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    # Trailing empty cells are not written, so a row may be shorter than the header.
    return [dict(zip(COLUMNS, [*row, *[None] * len(COLUMNS)], strict=False)) for row in rows[1:]]


def test_export_of_the_directory(cast, login):
    client = login(cast.analyst)
    response = client.get(reverse("registry:export"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="enterprises-2026-08-28.xlsx"'
    rows = exported_rows(response)
    assert {row["uscc"] for row in rows} >= {cast.a.uscc, cast.a11.uscc, cast.d.uscc}
    a2 = next(row for row in rows if row["id"] == cast.a2.id)
    assert (a2["parent"], a2["ownership_pct"], a2["supervisor"]) == (cast.a.uscc, 70, "ln")


def test_export_follows_the_directory_filters(cast, login):
    client = login(cast.analyst)
    rows = exported_rows(client.get(reverse("registry:export"), {"city": "210300"}))
    assert [row["id"] for row in rows] == [cast.a11.id]


def test_an_enterprise_user_exports_only_what_they_see(cast, login):
    client = login(cast.outsider)
    response = client.get(reverse("registry:export"), {"format": "csv"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["id"] for row in rows} == {str(cast.b.id), str(cast.b1.id)}


def test_export_refuses_an_unknown_format_and_admins(cast, login):
    assert login(cast.analyst).get(reverse("registry:export"), {"format": "pdf"}).status_code == 400
    assert login(cast.secadmin).get(reverse("registry:export")).status_code == 403
