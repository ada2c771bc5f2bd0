"""The register's REST API: the same services, scoping and audit as the pages, token auth and
the API's one error shape."""

import json

import pytest

from guozi.accounts.access import Scope
from guozi.accounts.services import token_create
from guozi.api.api import api_operations
from guozi.api.tests.helpers import assert_error
from guozi.audit.models import AuditEvent
from guozi.ledgers.rnd import services
from guozi.ledgers.rnd.models import RdOutcome, RdProject, RdYear

from .conftest import file_report, open_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(client, cast):
    """`call(user, method, path, body=None, **query)`: one request with the user's token."""
    keys: dict[int, str] = {}

    def request(user, method: str, path: str, body=None, /, **query):
        if user.id not in keys:
            keys[user.id] = token_create(acting_user=None, user=user)[1]
        headers = {"Authorization": f"Bearer {keys[user.id]}"}
        url = "/api/v1/ledgers/rnd" + path
        if method == "get":
            return client.get(url, query, headers=headers)
        return getattr(client, method)(
            url, data=json.dumps(body or {}), content_type="application/json", headers=headers
        )

    return request


def test_every_operation_is_marked_portfolio():
    found = {
        (path, method): view.guozi_scope
        for path, method, view in api_operations()
        if path.startswith("/ledgers/rnd")
    }
    assert len(found) == 8
    assert set(found.values()) == {Scope.PORTFOLIO}


def new_project(cast, **values):
    return {
        "owner": cast.a2.uscc,
        "title": "尾矿综合利用技术研发",
        "due_date": "2027-12-31",
        "milestones": ["方案论证", "工业试验", "验收"],
        "tech_field": "energy_saving",
        "kind": "process",
        "start_year": 2026,
        "end_year": 2027,
        "total_budget": "24000000.00",
        "years": [{"year": 2026, "budget": 9000000}, {"year": 2027, "budget": "1500万"}],
        **values,
    }


def test_open_a_project_and_read_it_back(cast, call):
    response = call(cast.analyst, "post", "/projects", new_project(cast))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["register"] == "rd_project" and created["owner"]["id"] == cast.a2.id
    assert created["project"] == {
        "tech_field": "energy_saving",
        "kind": "process",
        "start_year": 2026,
        "end_year": 2027,
        "total_budget": "24000000.00",
    }
    assert [(y["year"], y["budget"], y["spend"]) for y in created["years"]] == [
        (2026, "9000000.00", None),
        (2027, "15000000.00", None),
    ]
    assert len(created["milestones"]) == 3 and created["allowed"]["manage"]
    read = call(cast.reporter, "get", f"/projects/{created['id']}").json()
    assert read["allowed"] == {"report": True, "review": False, "manage": False}
    assert AuditEvent.objects.filter(object_type="rnd.rdproject", channel="api").exists()


def test_every_bad_field_is_named(cast, call):
    response = call(
        cast.analyst,
        "post",
        "/projects",
        new_project(cast, title="", kind="basic", end_year=2025, total_budget="-1", years=[]),
    )
    fields = assert_error(response, 400, "invalid")
    assert set(fields) >= {"title", "kind", "end_year", "total_budget"}
    assert all(isinstance(messages, list) for messages in fields.values())
    assert not RdProject.objects.exists()


def test_a_malformed_body_is_422(cast, call):
    response = call(cast.analyst, "post", "/projects", {"owner": cast.a2.uscc})
    fields = assert_error(response, 422, "invalid")
    assert "title" in fields and "tech_field" in fields


def test_an_owner_outside_ones_view(cast, call):
    response = call(cast.outsider, "post", "/projects", new_project(cast))
    fields = assert_error(response, 422, "invalid")
    assert "owner" in fields


def test_a_reporter_cannot_open_a_project(cast, call):
    response = call(cast.reporter, "post", "/projects", new_project(cast))
    assert_error(response, 403, "forbidden")
    assert not RdProject.objects.exists()


@pytest.fixture
def project(cast):
    return open_project(cast, years=[{"year": 2025, "budget": "800万"}])


def test_the_list_is_scoped_and_filtered(cast, call, project):
    open_project(cast, owner=cast.b1, title="智慧港口平台", tech_field="digital", kind="platform")
    everything = call(cast.analyst, "get", "/projects").json()
    assert everything["total"] == 2
    port = call(cast.outsider, "get", "/projects").json()
    assert [p["title"] for p in port["projects"]] == ["智慧港口平台"]
    digital = call(cast.analyst, "get", "/projects", tech_field="digital").json()
    assert [p["title"] for p in digital["projects"]] == ["智慧港口平台"]
    services.year_set(acting_user=None, item=project.item, year=2025, budget="800万", spend="1.5万")
    steel = call(cast.analyst, "get", "/projects", owner=cast.a1.uscc).json()["projects"]
    assert steel[0]["spend_to_date"] == "15000.00" and steel[0]["project"]["kind"] == "key_core"
    assert call(cast.analyst, "get", "/projects", year=2024).json()["total"] == 0
    bad = call(cast.analyst, "get", "/projects", kind="basic", status="lost", owner="nobody")
    assert set(assert_error(bad, 422, "invalid")) == {"kind", "status", "owner"}


def test_outsiders_get_404_by_every_path(cast, call, project):
    outcome = services.outcome_add(
        acting_user=None, item=project.item, kind="paper", title="论文", achieved_on="2026-01-05"
    )
    item = project.item_id
    for method, path, body in [
        ("get", f"/projects/{item}", None),
        ("patch", f"/projects/{item}", {"kind": "product"}),
        ("put", f"/projects/{item}/years/2025", {"budget": 1}),
        (
            "post",
            f"/projects/{item}/outcomes",
            {"kind": "paper", "title": "x", "achieved_on": "2026-01-01"},
        ),
        ("post", f"/projects/{item}/outcomes/{outcome.id}/remove", {"reason": "x"}),
    ]:
        response = (
            call(cast.outsider, method, path, body) if body else call(cast.outsider, method, path)
        )
        assert_error(response, 404, "not_found")
    assert_error(call(cast.analyst, "get", "/projects/999999"), 404, "not_found")
    assert RdOutcome.objects.exists() and project.years.get().spend_fen is None


def test_the_supervisor_changes_the_details(cast, call, project):
    response = call(
        cast.analyst,
        "patch",
        f"/projects/{project.item_id}",
        {"kind": "product", "total_budget": "3500万", "reason": "调整"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["project"]["total_budget"] == "35000000.00"
    assert response.json()["events"][-1]["after"] == {
        "rd_project": {"kind": "product", "total_budget": "35000000.00"}
    }
    refused = call(cast.reporter, "patch", f"/projects/{project.item_id}", {"kind": "platform"})
    assert_error(refused, 403, "forbidden")


def test_a_reporter_records_a_year(cast, call, project):
    path = f"/projects/{project.item_id}/years/2025"
    response = call(cast.sub_reporter, "put", path, {"budget": "800万", "spend": 8500000.5})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["spend"], body["over_budget"], body["recorded_by"]) == (
        "8500000.50",
        True,
        "sub_reporter",
    )
    fields = assert_error(
        call(cast.reporter, "put", f"/projects/{project.item_id}/years/2031", {"budget": "-1"}),
        400,
        "invalid",
    )
    assert set(fields) == {"year", "budget"}
    assert_error(call(cast.analyst, "put", path, {"budget": 1}), 403, "forbidden")
    assert RdYear.objects.get().spend_fen == 850_000_050
    assert AuditEvent.objects.filter(object_type="rnd.rdyear", channel="api").count() == 1


def test_a_reporter_records_and_removes_an_outcome(cast, call, project):
    path = f"/projects/{project.item_id}/outcomes"
    body = {
        "kind": "standard",
        "title": "汽车用高强度冷连轧钢板",
        "identifier": "GB/T 20564.2-2026",
        "achieved_on": "2026-03-01",
        "level": "national",
    }
    response = call(cast.reporter, "post", path, body)
    assert response.status_code == 201, response.content
    outcome_id = response.json()["id"]
    twice = assert_error(call(cast.reporter, "post", path, body), 400, "invalid")
    assert set(twice) == {"identifier"}
    removal = f"{path}/{outcome_id}/remove"
    assert_error(call(cast.reporter, "post", removal, {"reason": ""}), 400, "reason")
    done = call(cast.reporter, "post", removal, {"reason": "误录"})
    assert done.status_code == 200 and done.json()["outcomes"] == []
    assert not RdOutcome.objects.exists()


def test_the_summary(cast, call, project, fast_report):
    services.year_set(acting_user=None, item=project.item, year=2025, budget="800万", spend="900万")
    file_report(fast_report, cast.a1, "2025-12", rd_wan="600", scope="standalone")
    port = open_project(cast, owner=cast.b1, title="智慧港口平台")
    services.year_set(acting_user=None, item=port.item, year=2025, budget="1", spend="1")
    found = call(cast.analyst, "get", "/summary").json()
    rows = {row["enterprise"]["id"]: row for row in found["rows"]}
    steel = rows[cast.a1.id]
    assert steel["reported"] == {"amount": "6000000.00", "period": "2025-12", "scope": "standalone"}
    assert steel["coverage"] == {"status": "ok", "share": 1.5, "exceeds": True}
    assert rows[cast.b1.id]["reported"] is None
    assert rows[cast.b1.id]["coverage"]["status"] == "missing"
    (total,) = found["totals"]
    assert (total["enterprises"], total["flagged"], total["reported"]) == (2, 1, "6000000.00")
    flagged = call(cast.analyst, "get", "/summary", flagged="true").json()["rows"]
    assert [r["enterprise"]["id"] for r in flagged] == [cast.a1.id]
    mine = call(cast.outsider, "get", "/summary").json()["rows"]
    assert [r["enterprise"]["id"] for r in mine] == [cast.b1.id]


@pytest.mark.parametrize("username", ["sysadmin", "secadmin", "auditadmin"])
def test_administrators_read_no_register(cast, call, project, username):
    for path in ("/projects", "/summary", f"/projects/{project.item_id}"):
        response = call(getattr(cast, username), "get", path)
        assert response.status_code in (403, 404), path
