import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guozi.accounts.services import token_create
from guozi.api import imports as api_imports
from guozi.audit.models import AuditEvent
from guozi.jobs.models import Job
from guozi.lib.uscc import make_uscc
from guozi.registry.models import Enterprise
from guozi.registry.tasks import import_enterprises_job

from .helpers import assert_error

HEADER = "uscc,name_zh,parent,ownership_pct,supervisor,region_code,industry_code,ownership_level\n"
NEW = make_uscc("9", "1", "210100", "M0000001")


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def upload(client, user, content: str, name: str = "enterprises.csv", **form):
    _, key = token_create(acting_user=None, user=user)
    data = {"file": SimpleUploadedFile(name, content.encode(), content_type="text/csv"), **form}
    return client.post(
        "/api/v1/imports/enterprises", data=data, headers={"Authorization": f"Bearer {key}"}
    )


def good_file(cast) -> str:
    return HEADER + f"{NEW},辽钢导入测试有限公司,{cast.a.uscc},55,ln,210100,C31,provincial\n"


def test_dry_run_reports_without_writing(client, cast, data_dir):
    response = upload(client, cast.analyst, good_file(cast), dry_run="true")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["dry_run"], body["written"], body["rows"]) == (True, False, 1)
    assert body["counts"]["created"] == 1
    assert body["changes"][0]["action"] == "new"
    assert not Enterprise.objects.filter(uscc=NEW).exists()
    assert list((data_dir / "uploads").iterdir()) == []


def test_import_writes_and_audits_through_the_api(client, cast):
    response = upload(client, cast.analyst, good_file(cast))
    assert response.status_code == 200, response.content
    assert response.json()["written"] is True
    created = Enterprise.objects.get(uscc=NEW)
    event = AuditEvent.objects.get(object_type="registry.enterprise", object_id=str(created.id))
    assert (event.channel, event.actor_id) == ("api", cast.analyst.id)


def test_errors_come_with_row_and_column_and_nothing_is_written(client, cast):
    content = HEADER + (
        f"{NEW},辽钢导入测试有限公司,{cast.a.uscc},55,ln,210100,C31,provincial\n"
        "91210100XXXXXXXXXX,坏代码公司,,,ln,999999,C31,provincial\n"
    )
    fields = assert_error(upload(client, cast.analyst, content), 422, "invalid")
    assert "rows.3.uscc" in fields
    assert "rows.3.region_code" in fields
    assert not any(place.startswith("rows.2.") for place in fields)
    assert not Enterprise.objects.filter(uscc=NEW).exists()


def test_unreadable_file_and_missing_file(client, cast):
    fields = assert_error(upload(client, cast.analyst, "x", name="list.txt"), 422, "invalid")
    assert list(fields) == ["file"]
    _, key = token_create(acting_user=None, user=cast.analyst)
    response = client.post(
        "/api/v1/imports/enterprises", data={}, headers={"Authorization": f"Bearer {key}"}
    )
    assert list(assert_error(response, 422, "invalid")) == ["file"]


def test_import_needs_the_edit_role(client, cast):
    assert_error(upload(client, cast.reporter, good_file(cast)), 403, "forbidden")
    assert_error(upload(client, cast.leader, good_file(cast)), 403, "forbidden")
    # Dalian's analyst may edit, but not Liaoning's registry.
    fields = assert_error(upload(client, cast.dl_analyst, good_file(cast)), 422, "invalid")
    assert "rows.2.supervisor" in fields
    assert not Enterprise.objects.filter(uscc=NEW).exists()


def test_a_large_file_runs_as_a_job(client, call, cast, monkeypatch):
    monkeypatch.setattr(api_imports, "IN_REQUEST_ROWS", 0)
    response = upload(client, cast.analyst, good_file(cast), dry_run="true")
    assert response.status_code == 202, response.content
    job_id = response.json()["job"]["id"]
    job = Job.objects.get(id=job_id)
    assert (job.kind, job.created_by, job.params["dry_run"]) == (
        "enterprise_import",
        cast.analyst,
        True,
    )
    assert call(cast.analyst, "get", f"/jobs/{job_id}").json()["status"] == "queued"
    assert_error(call(cast.reviewer, "get", f"/jobs/{job_id}"), 404, "not_found")

    import_enterprises_job.call(job_id)
    body = call(cast.analyst, "get", f"/jobs/{job_id}").json()
    assert body["status"] == "succeeded"
    assert body["result"]["counts"]["created"] == 1
    assert body["result"]["written"] is False
    assert not Enterprise.objects.filter(uscc=NEW).exists()
