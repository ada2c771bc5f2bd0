"""The register's REST API: the same services, scoping and audit as the pages, token auth and
the API's one error shape."""

import json
from decimal import Decimal

import pytest

from guozi.accounts.access import Scope
from guozi.accounts.services import token_create
from guozi.api.api import api_operations
from guozi.api.tests.helpers import assert_error
from guozi.audit.models import AuditEvent
from guozi.ledgers.safety.models import Incident, IncidentReport

from .conftest import at, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(client, cast):
    """`call(user, method, path, body=None, **query)`: one request with the user's token."""
    keys: dict[int, str] = {}

    def request(user, method: str, path: str, body=None, /, **query):
        if user.id not in keys:
            keys[user.id] = token_create(acting_user=None, user=user)[1]
        headers = {"Authorization": f"Bearer {keys[user.id]}"}
        url = "/api/v1/ledgers/safety" + path
        if method == "get":
            return client.get(url, query, headers=headers)
        return getattr(client, method)(
            url, data=json.dumps(body or {}), content_type="application/json", headers=headers
        )

    return request


@pytest.fixture
def incidents(cast):
    steel = report(cast)
    port = report(
        cast,
        by=cast.analyst,
        owner=cast.b1,
        incident_type="water_transport",
        occurred_at=at("2025-11-03 14:10"),
        reported_at=at("2025-11-03 15:00"),
        deaths=1,
        serious_injuries=0,
        direct_loss=Decimal("120000"),
    )
    return steel, port


BODY = {
    "occurred_at": "2026-08-25T16:20:00+08:00",
    "incident_type": "construction",
    "place": "选矿厂新建尾矿库坝体",
    "description": "作业人员从脚手架坠落。",
    "deaths": 3,
    "serious_injuries": 0,
    "direct_loss": "865000.00",
    "reported_at": "2026-08-25T17:00:00+08:00",
}


def test_every_operation_is_marked_portfolio():
    found = {
        (path, method): view.guozi_scope
        for path, method, view in api_operations()
        if path.startswith("/ledgers/safety")
    }
    assert set(found) == {
        ("/ledgers/safety/incidents", "GET"),
        ("/ledgers/safety/incidents", "POST"),
        ("/ledgers/safety/incidents/{int:id}", "GET"),
        ("/ledgers/safety/incidents/{int:id}/reports", "GET"),
        ("/ledgers/safety/incidents/{int:id}/reports", "POST"),
        ("/ledgers/safety/statistics", "GET"),
    }
    assert set(found.values()) == {Scope.PORTFOLIO}


def test_report_an_incident_and_read_it_back(cast, call):
    response = call(cast.reporter, "post", "/incidents", {**BODY, "owner": cast.a2.uscc})
    assert response.status_code == 201, response.content
    body = response.json()
    incident = Incident.objects.get()
    assert body["id"] == incident.item_id
    assert (body["number"], body["grade"], body["deaths"]) == ("LN-AQ-2026-0001", "serious", 3)
    assert body["direct_loss"] == "865000.00"
    assert body["supplementary_until"] == "2026-09-24"
    assert body["item"] == f"/api/v1/ledgers/items/{incident.item_id}"
    assert [v["kind"] for v in body["versions"]] == ["initial"]
    assert body["versions"][0]["reported_by"] == "reporter"
    assert "3" in body["versions"][0]["grade_reason"]
    again = call(cast.reporter, "get", f"/incidents/{incident.item_id}")
    assert again.status_code == 200 and again.json()["number"] == "LN-AQ-2026-0001"
    audited = AuditEvent.objects.get(object_type="safety.incident")
    assert audited.actor == cast.reporter


def test_every_field_error_at_once_and_nothing_written(cast, call):
    bad = {**BODY, "owner": cast.a2.uscc, "incident_type": "meteor", "place": "", "deaths": -1}
    fields = assert_error(call(cast.reporter, "post", "/incidents", bad), 400, "invalid")
    assert set(fields) == {"incident_type", "place", "deaths"}
    assert all(isinstance(messages, list) for messages in fields.values())
    none = {**BODY, "owner": cast.a2.uscc, "deaths": 0, "direct_loss": "0"}
    fields = assert_error(call(cast.reporter, "post", "/incidents", none), 400, "invalid")
    assert set(fields) == {"__all__"}
    assert not Incident.objects.exists()


def test_reporting_for_an_enterprise_outside_ones_view_or_role(cast, call):
    fields = assert_error(
        call(cast.outsider, "post", "/incidents", {**BODY, "owner": cast.a2.uscc}), 422, "invalid"
    )
    assert set(fields) == {"owner"}
    assert_error(
        call(cast.leader, "post", "/incidents", {**BODY, "owner": cast.a2.uscc}), 403, "forbidden"
    )
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("analyst", {"LN-AQ-2026-0001", "LN-AQ-2025-0001"}),
        ("reporter", {"LN-AQ-2026-0001"}),
        ("outsider", {"LN-AQ-2025-0001"}),
        ("dl_analyst", set()),
    ],
)
def test_the_list_is_scoped(cast, call, incidents, username, expected):
    response = call(getattr(cast, username), "get", "/incidents")
    assert response.status_code == 200
    body = response.json()
    assert {item["number"] for item in body["items"]} == expected
    assert body["total"] == len(expected)


def test_list_filters_and_bad_filters(cast, call, incidents):
    def numbers(**query):
        return {
            i["number"] for i in call(cast.analyst, "get", "/incidents", **query).json()["items"]
        }

    assert numbers(year=2025) == {"LN-AQ-2025-0001"}
    assert numbers(grade="general", incident_type="mining") == {"LN-AQ-2026-0001"}
    assert numbers(owner=cast.b1.uscc) == {"LN-AQ-2025-0001"}
    assert numbers(number="ln-aq-2026-0001") == {"LN-AQ-2026-0001"}
    assert numbers(city="210800") == {"LN-AQ-2025-0001"}
    fields = assert_error(
        call(cast.analyst, "get", "/incidents", grade="huge", owner="nobody"), 422, "invalid"
    )
    assert set(fields) == {"grade", "owner"}


def test_one_incident_outside_ones_view_is_not_found(cast, call, incidents):
    steel, _port = incidents
    for path in (f"/incidents/{steel.item_id}", f"/incidents/{steel.item_id}/reports"):
        assert_error(call(cast.outsider, "get", path), 404, "not_found")
        assert_error(
            call(cast.analyst, "get", path.replace(str(steel.item_id), "999999")), 404, "not_found"
        )
    assert_error(
        call(cast.outsider, "post", f"/incidents/{steel.item_id}/reports", {"deaths": 9}),
        404,
        "not_found",
    )
    assert IncidentReport.objects.filter(incident=steel).count() == 1


def test_a_supplementary_report_regrades_the_incident(cast, call, incidents):
    steel, _port = incidents
    body = {
        "deaths": 10,
        "serious_injuries": 0,
        "direct_loss": "3800000",
        "reported_at": "2026-08-24T09:00:00",
    }
    response = call(cast.reporter, "post", f"/incidents/{steel.item_id}/reports", body)
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "supplementary"
    assert (response.json()["grade"], response.json()["late"]) == ("major", False)
    versions = call(cast.reporter, "get", f"/incidents/{steel.item_id}/reports").json()
    assert [(v["version"], v["grade"]) for v in versions] == [(1, "general"), (2, "major")]
    detail = call(cast.reporter, "get", f"/incidents/{steel.item_id}").json()
    assert (detail["grade"], detail["reports"], detail["deaths"]) == ("major", 2, 10)
    audited = AuditEvent.objects.get(object_type="safety.incidentreport")
    assert audited.actor == cast.reporter


def test_further_report_refusals(cast, call, incidents):
    steel, port = incidents
    same = {"deaths": 2, "serious_injuries": 1, "direct_loss": "3800000"}
    assert_error(
        call(cast.reporter, "post", f"/incidents/{steel.item_id}/reports", same), 400, "unchanged"
    )
    # The port incident of 2025 is long past its window: a correction needs its reason.
    late = {"deaths": 2, "serious_injuries": 0, "direct_loss": "120000"}
    fields = assert_error(
        call(cast.analyst, "post", f"/incidents/{port.item_id}/reports", late), 400, "invalid"
    )
    assert set(fields) == {"note"}
    response = call(
        cast.analyst,
        "post",
        f"/incidents/{port.item_id}/reports",
        {**late, "note": "经调查组核实，另有1名死者"},
    )
    assert (response.status_code, response.json()["kind"]) == (201, "correction")
    assert_error(
        call(cast.leader, "post", f"/incidents/{steel.item_id}/reports", {**same, "deaths": 3}),
        403,
        "forbidden",
    )


def test_statistics_are_scoped(cast, call, incidents):
    body = call(cast.outsider, "get", "/statistics", by="enterprise").json()
    assert [(row["label"], row["incidents"]) for row in body["rows"]] == [("营口港务有限公司", 1)]
    assert body["total"]["by_grade"] == {
        "especially_serious": 0,
        "major": 0,
        "serious": 0,
        "general": 1,
    }
    everything = call(cast.analyst, "get", "/statistics", by="year").json()
    assert [(row["key"], row["incidents"]) for row in everything["rows"]] == [
        ("2025", 1),
        ("2026", 1),
    ]
    assert everything["total"]["direct_loss"] == "3920000.00"
    assert_error(call(cast.analyst, "get", "/statistics", by="month"), 422, "invalid")


def test_anonymous_callers_and_bad_tokens_are_refused(client, cast, incidents):
    assert client.get("/api/v1/ledgers/safety/incidents").status_code == 401
    response = client.get(
        "/api/v1/ledgers/safety/incidents", headers={"Authorization": "Bearer wrong"}
    )
    assert response.status_code == 401
