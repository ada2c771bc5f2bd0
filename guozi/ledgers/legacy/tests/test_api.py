"""The register's REST API: the same services, scoping and audit as the pages, token auth and
the API's one error shape."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guozi.accounts.access import Scope
from guozi.accounts.services import token_create
from guozi.api.api import api_operations
from guozi.api.tests.helpers import assert_error
from guozi.audit.models import AuditEvent
from guozi.ledgers.legacy.exports import COLUMNS
from guozi.ledgers.legacy.models import LegacyProblem
from guozi.ledgers.models import TrackedItem

from .conftest import close, open_problem, workbook

PREFIX = "/api/v1/ledgers/legacy"


@pytest.fixture
def call(client, cast):
    """`call(user, method, path, body=None, **query)`: one request with the user's token."""
    keys: dict[int, str] = {}

    def request(user, method: str, path: str, body=None, /, **query):
        if user.id not in keys:
            keys[user.id] = token_create(acting_user=None, user=user)[1]
        headers = {"Authorization": f"Bearer {keys[user.id]}"}
        if method == "get":
            return client.get(PREFIX + path, query, headers=headers)
        if method == "upload":
            return client.post(PREFIX + path, body, headers=headers)
        return getattr(client, method)(
            PREFIX + path,
            data=json.dumps(body or {}),
            content_type="application/json",
            headers=headers,
        )

    return request


@pytest.fixture
def problems(cast):
    steel = open_problem(cast, title="钢铁供水移交")
    port = open_problem(
        cast,
        owner=cast.b1,
        title="港口退休人员移交",
        fields={"kind": "retirees", "people_total": 900, "receiving_party": "营口市站前区"},
    )
    return steel, port


def test_every_operation_declares_the_portfolio_scope():
    found = {
        (path, method): view.guozi_scope
        for path, method, view in api_operations()
        if path.startswith("/ledgers/legacy")
    }
    assert set(found) == {
        ("/ledgers/legacy/problems", "GET"),
        ("/ledgers/legacy/problems", "POST"),
        ("/ledgers/legacy/problems/{int:id}", "GET"),
        ("/ledgers/legacy/problems/{int:id}", "PATCH"),
        ("/ledgers/legacy/statistics", "GET"),
        ("/ledgers/legacy/import", "POST"),
    }
    assert set(found.values()) == {Scope.PORTFOLIO}


def test_open_a_problem_and_read_it_back(cast, call):
    body = {
        "owner": cast.a1.uscc,
        "title": "厂办大集体改革",
        "due_date": "2026-12-31",
        "kind": "collective",
        "people_total": 1260,
        "amount_total": "35000000.00",
    }
    response = call(cast.analyst, "post", "/problems", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["item"]["register"] == "legacy_problem"
    assert created["figures"]["people_total"] == 1260
    assert created["figures"]["amount_total"] == "35000000.00"
    assert "households_total" in created["may_change"]
    read = call(cast.sub_reporter, "get", f"/problems/{created['item']['id']}").json()
    assert read["may_change"] == [
        "households_done",
        "people_done",
        "amount_done",
        "done_on",
        "closure_text",
    ]
    assert AuditEvent.objects.filter(object_type="legacy.legacyproblem", channel="api").exists()


def test_every_bad_field_is_named_and_nothing_is_kept(cast, call):
    response = call(
        cast.analyst,
        "post",
        "/problems",
        {
            "owner": cast.a1.uscc,
            "title": "",
            "kind": "three_supplies",
            "households_total": 10,
            "households_done": 11,
            "people_total": 5,
        },
    )
    fields = assert_error(response, 400, "invalid")
    assert set(fields) == {
        "title",
        "sub_kind",
        "households_done",
        "people_total",
        "amount_total",
        "receiving_party",
    }
    assert all(isinstance(messages, list) for messages in fields.values())
    assert not TrackedItem.objects.exists()


def test_a_body_of_the_wrong_type_is_refused_in_the_one_shape(cast, call):
    response = call(
        cast.analyst,
        "post",
        "/problems",
        {"owner": cast.a1.uscc, "title": "x", "kind": "zombie", "people_total": "many"},
    )
    assert "people_total" in assert_error(response, 422, "invalid")


@pytest.mark.parametrize("username", ["reporter", "leader", "auditor"])
def test_only_the_supervisor_opens_problems(cast, call, username):
    response = call(
        getattr(cast, username),
        "post",
        "/problems",
        {
            "owner": cast.a1.uscc,
            "title": "x",
            "kind": "zombie",
            "sub_kind": "bankruptcy",
            "people_total": 3,
        },
    )
    assert_error(response, 403, "forbidden")
    assert not LegacyProblem.objects.exists()


def test_an_owner_outside_the_users_view_is_named(cast, call):
    response = call(
        cast.dl_analyst,
        "post",
        "/problems",
        {"owner": cast.a1.uscc, "title": "x", "kind": "zombie"},
    )
    assert "owner" in assert_error(response, 422, "invalid")


@pytest.mark.parametrize(
    ("username", "titles"),
    [
        ("analyst", {"钢铁供水移交", "港口退休人员移交"}),
        ("reporter", {"钢铁供水移交"}),
        ("outsider", {"港口退休人员移交"}),
        ("dl_analyst", set()),
    ],
)
def test_the_list_and_statistics_are_scoped(cast, call, problems, username, titles):
    user = getattr(cast, username)
    listed = call(user, "get", "/problems").json()
    assert {p["item"]["title"] for p in listed["problems"]} == titles
    assert listed["total"] == len(titles)
    stats = call(user, "get", "/statistics", by="group").json()
    assert stats["total"]["problems"] == len(titles)


def test_a_problem_outside_the_users_view_is_not_found(cast, call, problems):
    item_id = problems[0].item_id
    assert_error(call(cast.outsider, "get", f"/problems/{item_id}"), 404, "not_found")
    response = call(cast.outsider, "patch", f"/problems/{item_id}", {"households_done": 1})
    assert_error(response, 404, "not_found")
    assert_error(call(cast.outsider, "get", "/problems/99999"), 404, "not_found")
    problems[0].refresh_from_db()
    assert problems[0].households_done == 1200


def test_an_item_of_another_register_is_not_a_problem(cast, call):
    from guozi.ledgers import services as ledger_services

    item = ledger_services.item_create(
        acting_user=cast.analyst, register="rectification", owner=cast.a1, title="整改"
    )
    assert_error(call(cast.analyst, "get", f"/problems/{item.id}"), 404, "not_found")


def test_filters_and_their_errors(cast, call, problems):
    found = call(cast.analyst, "get", "/problems", kind="retirees").json()
    assert [p["item"]["title"] for p in found["problems"]] == ["港口退休人员移交"]
    found = call(cast.analyst, "get", "/problems", owner=cast.a1.uscc).json()
    assert [p["item"]["title"] for p in found["problems"]] == ["钢铁供水移交"]
    fields = assert_error(
        call(cast.analyst, "get", "/problems", kind="x", status="y", owner="z"), 422, "invalid"
    )
    assert set(fields) == {"kind", "status", "owner"}


def test_the_reporter_reports_done_figures_and_no_totals(cast, call, problems):
    item_id = problems[0].item_id
    response = call(
        cast.sub_reporter,
        "patch",
        f"/problems/{item_id}",
        {"households_done": 3200, "amount_done": "18500000", "reason": "全部移交"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["figures"]["households_done"] == 3200
    refused = call(cast.sub_reporter, "patch", f"/problems/{item_id}", {"households_total": 1})
    assert_error(refused, 403, "forbidden")
    too_many = call(cast.reporter, "patch", f"/problems/{item_id}", {"households_done": 3201})
    assert "households_done" in assert_error(too_many, 400, "invalid")


def test_a_closed_problem_is_not_changed(cast, call, problems):
    close(cast, problems[0].item)
    response = call(cast.analyst, "patch", f"/problems/{problems[0].item_id}", {"people_total": 3})
    assert_error(response, 400, "state")


def test_statistics_by_kind_with_shares(cast, call, problems):
    stats = call(cast.analyst, "get", "/statistics", by="kind").json()
    lines = {line["key"]: line for line in stats["lines"]}
    assert lines["three_supplies"]["households_share"] == pytest.approx(1200 / 3200)
    assert lines["three_supplies"]["amount_total"] == "18500000.00"
    assert lines["retirees"]["households_share"] is None
    assert stats["as_of"] == "2026-08-28"
    assert "by" in assert_error(call(cast.analyst, "get", "/statistics", by="x"), 422, "invalid")


def test_the_import_endpoint_writes_a_valid_file_and_refuses_a_bad_one(cast, call):
    header = [str(c.label) for c in COLUMNS]
    good = workbook(
        [
            [
                None,
                cast.a1.uscc,
                None,
                "退休人员移交",
                None,
                None,
                "2026-12-31",
                "李娜",
                None,
                None,
                "retirees",
                None,
                None,
                None,
                4000,
                None,
                None,
                None,
                "鞍山市铁东区",
                None,
                None,
                None,
                None,
            ]
        ],
        header,
    )
    bad = workbook([[None, "no-such", None, "x"]], header)
    refused = call(cast.analyst, "upload", "/import", {"file": SimpleUploadedFile("bad.xlsx", bad)})
    fields = assert_error(refused, 422, "invalid")
    assert any(place.startswith("rows.2.") for place in fields)
    checked = call(
        cast.analyst,
        "upload",
        "/import",
        {"file": SimpleUploadedFile("good.xlsx", good), "dry_run": "true"},
    )
    assert checked.status_code == 200 and checked.json()["written"] is False
    assert not LegacyProblem.objects.exists()
    written = call(
        cast.analyst, "upload", "/import", {"file": SimpleUploadedFile("good.xlsx", good)}
    )
    assert written.json()["counts"]["created"] == 1 and written.json()["written"] is True
    assert LegacyProblem.objects.get().people_total == 4000
    not_xlsx = call(cast.analyst, "upload", "/import", {"file": SimpleUploadedFile("a.csv", b"x")})
    assert "file" in assert_error(not_xlsx, 422, "invalid")


def test_administrators_and_anonymous_callers_get_nothing(cast, call, client, problems):
    assert_error(call(cast.sysadmin, "get", "/problems"), 403, "forbidden")
    assert_error(client.get(PREFIX + "/statistics"), 401, "unauthenticated")
