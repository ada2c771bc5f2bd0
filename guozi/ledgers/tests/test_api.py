"""The REST API of the ledgers: the same services, scoping and audit as the pages, token auth
and the API's one error shape."""

import json

import pytest

from guozi.accounts.access import Scope
from guozi.accounts.services import token_create
from guozi.api.api import api_operations
from guozi.api.tests.helpers import assert_error
from guozi.audit.models import AuditEvent
from guozi.ledgers import services
from guozi.ledgers.demo import REGISTER_APPS
from guozi.ledgers.models import Evidence, ItemUpdate, Status, TrackedItem, UpdateState

from .conftest import TODAY, approved, open_item, pdf, write


@pytest.fixture
def call(client, cast):
    """`call(user, method, path, body=None, **query)`: one request with the user's token."""
    keys: dict[int, str] = {}

    def request(user, method: str, path: str, body=None, /, **query):
        if user.id not in keys:
            keys[user.id] = token_create(acting_user=None, user=user)[1]
        headers = {"Authorization": f"Bearer {keys[user.id]}"}
        url = "/api/v1/ledgers" + path
        if method == "get":
            return client.get(url, query, headers=headers)
        if method == "upload":
            return client.post(url, {"file": body}, headers=headers)
        return getattr(client, method)(
            url, data=json.dumps(body or {}), content_type="application/json", headers=headers
        )

    return request


def test_every_ledger_operation_is_marked_portfolio():
    found = {
        (path, method): view.guozi_scope
        for path, method, view in api_operations()
        if path.startswith("/ledgers")
    }
    own = [path for path, _method in found if path.split("/")[2] not in REGISTER_APPS]
    assert len(own) == 16
    assert set(found.values()) == {Scope.PORTFOLIO}


def test_open_an_item_and_read_it_back(cast, call):
    body = {
        "owner": cast.a1.uscc,
        "title": "三年以上应收账款未足额计提",
        "due_date": "2026-10-31",
        "responsible_user": "reporter",
        "source_kind": "inspection",
        "source_ref": "2026Q2-07",
        "attributes": {"severity": "serious"},
    }
    response = call(cast.analyst, "post", "/items", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["register"] == "rectification" and created["status"] == "open"
    assert created["owner"]["id"] == cast.a1.id and created["supervisor"]["code"] == "ln"
    assert created["responsible_user"] == "reporter"
    assert created["allowed"] == {"report": False, "review": False, "manage": True}
    assert [e["action"] for e in created["events"]] == ["created"]
    read = call(cast.sub_reporter, "get", f"/items/{created['id']}").json()
    assert read["allowed"] == {"report": True, "review": False, "manage": False}
    assert AuditEvent.objects.filter(object_type="ledgers.trackeditem", channel="api").exists()


def test_every_bad_field_is_named(cast, call):
    response = call(
        cast.analyst,
        "post",
        "/items",
        {"owner": cast.a1.uscc, "title": "", "due_date": "2020-01-01", "attributes": {"x": 1}},
    )
    fields = assert_error(response, 400, "invalid")
    assert {"title", "due_date", "attributes.x"} <= set(fields)
    assert all(isinstance(messages, list) for messages in fields.values())
    fields = assert_error(
        call(
            cast.analyst,
            "post",
            "/items",
            {"owner": cast.a1.uscc, "title": "x", "due_date": "soon"},
        ),
        422,
        "invalid",
    )
    assert "due_date" in fields
    assert not TrackedItem.objects.exists()


def test_opening_is_refused_to_those_who_may_not(cast, call):
    body = {"owner": cast.a1.uscc, "title": "x"}
    assert_error(call(cast.reporter, "post", "/items", body), 403, "forbidden")
    assert_error(call(cast.leader, "post", "/items", body), 403, "forbidden")
    fields = assert_error(call(cast.outsider, "post", "/items", body), 422, "invalid")
    assert "owner" in fields  # an enterprise out of view is not named
    assert_error(call(cast.sysadmin, "post", "/items", body), 403, "forbidden")
    assert not TrackedItem.objects.exists()


def test_the_list_is_scoped_filtered_and_paged(cast, call, settings):
    open_item(cast, title="钢铁", due_date=TODAY)
    open_item(cast, owner=cast.b1, title="港口")
    open_item(cast, owner=cast.d, by=cast.dl_analyst, title="地铁")
    titles = lambda body: [i["title"] for i in body["items"]]  # noqa: E731
    assert titles(call(cast.reporter, "get", "/items").json()) == ["钢铁"]
    everything = call(cast.analyst, "get", "/items", limit=2).json()
    assert everything["total"] == 3 and len(everything["items"]) == 2
    assert titles(call(cast.analyst, "get", "/items", owner=cast.b.uscc, subtree=True).json()) == [
        "港口"
    ]
    settings.GUOZI_TODAY = "2026-09-02"
    overdue = call(cast.analyst, "get", "/items", overdue=True).json()
    assert titles(overdue) == ["钢铁"] and overdue["items"][0]["overdue_days"] == 5
    fields = assert_error(
        call(cast.reporter, "get", "/items", owner=cast.b.uscc, status="lost"), 422, "invalid"
    )
    assert set(fields) == {"owner", "status"}
    counts = call(cast.analyst, "get", "/counts").json()
    assert (counts["total"], counts["open"], counts["overdue"]) == (3, 3, 1)
    assert call(cast.outsider, "get", "/counts").json()["total"] == 1


def test_the_workflow_through_the_api(cast, call):
    item = open_item(cast)
    added = call(
        cast.sub_reporter, "post", f"/items/{item.id}/updates", {"text": "核查", "progress": 30}
    )
    assert added.status_code == 201 and added.json()["state"] == "draft"
    update_id = added.json()["id"]
    edited = call(
        cast.reporter, "patch", f"/items/{item.id}/updates/{update_id}", {"progress": 100}
    ).json()
    assert (edited["text"], edited["progress"]) == ("核查", 100)
    uploaded = call(
        cast.sub_reporter, "upload", f"/items/{item.id}/updates/{update_id}/evidence", pdf()
    )
    assert uploaded.status_code == 201, uploaded.content
    file = uploaded.json()[0]
    assert (file["name"], file["type"]) == ("整改报告.pdf", "pdf")
    call(cast.sub_reporter, "post", f"/items/{item.id}/updates/{update_id}/submit")
    returned = call(
        cast.group_reviewer,
        "post",
        f"/items/{item.id}/updates/{update_id}/return",
        {"reason": "补充"},
    ).json()
    assert returned["state"] == "returned" and returned["return_reason"] == "补充"
    call(cast.sub_reporter, "post", f"/items/{item.id}/updates/{update_id}/submit")
    approved_ = call(cast.group_reviewer, "post", f"/items/{item.id}/updates/{update_id}/approve")
    assert approved_.json()["state"] == "approved"
    handed = call(
        cast.group_reviewer, "post", f"/items/{item.id}/verification-request", {"reason": "请验收"}
    )
    assert handed.json()["status"] == "awaiting_verification"
    rejected = call(cast.analyst, "post", f"/items/{item.id}/verification", {"accept": False})
    assert_error(rejected, 400, "reason")
    done = call(cast.analyst, "post", f"/items/{item.id}/verification", {"accept": True}).json()
    assert (done["status"], done["progress"], done["closed_on"]) == ("verified", 100, "2026-08-28")
    assert done["updates"][0]["evidence"][0]["download"] == f"/api/v1/ledgers/evidence/{file['id']}"


def test_refusals_come_in_the_error_shape_and_change_nothing(cast, call):
    item = open_item(cast)
    update = write(cast, item)
    path = f"/items/{item.id}/updates/{update.id}"
    assert_error(call(cast.sub_reporter, "post", f"{path}/approve"), 403, "forbidden")
    assert_error(call(cast.sub_reporter, "patch", path, {"text": "x"}), 400, "state")
    assert_error(
        call(cast.group_reviewer, "post", f"/items/{item.id}/cancel", {"reason": "x"}),
        403,
        "forbidden",
    )
    assert_error(call(cast.analyst, "post", f"/items/{item.id}/cancel", {}), 400, "reason")
    assert_error(
        call(cast.leader, "post", f"/items/{item.id}/updates", {"text": "x", "progress": 1}),
        403,
        "forbidden",
    )
    fields = assert_error(
        call(cast.sub_reporter, "post", f"/items/{item.id}/updates", {"text": "", "progress": 101}),
        400,
        "invalid",
    )
    assert set(fields) == {"text", "progress"}
    assert ItemUpdate.objects.count() == 1
    assert TrackedItem.objects.get(id=item.id).status == Status.OPEN


def test_a_bad_evidence_file_is_refused_with_nothing_kept(cast, call):
    item = open_item(cast)
    update = write(cast, item, submit=False)
    response = call(
        cast.sub_reporter,
        "upload",
        f"/items/{item.id}/updates/{update.id}/evidence",
        pdf("x.pdf", b"GIF89a"),
    )
    fields = assert_error(response, 400, "evidence_content")
    assert fields["file"]
    assert not Evidence.objects.exists()


def test_editing_an_item_through_the_api(cast, call):
    item = open_item(cast)
    fields = assert_error(
        call(cast.analyst, "patch", f"/items/{item.id}", {"due_date": "2026-12-31"}), 400, "invalid"
    )
    assert "reason" in fields
    body = call(
        cast.analyst, "patch", f"/items/{item.id}", {"due_date": "2026-12-31", "reason": "诉讼"}
    ).json()
    assert body["due_date"] == "2026-12-31" and body["events"][-1]["reason"] == "诉讼"
    body = call(
        cast.sub_reporter, "patch", f"/items/{item.id}", {"responsible_user": "sub_reporter"}
    )
    assert body.json()["responsible_user"] == "sub_reporter"
    assert_error(
        call(cast.sub_reporter, "patch", f"/items/{item.id}", {"title": "x"}), 403, "forbidden"
    )


def test_downloads_are_scoped_and_audited(cast, call):
    item = open_item(cast)
    stored = write(cast, item, uploads=[pdf()]).evidence.get()
    response = call(cast.reporter, "get", f"/evidence/{stored.id}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="download", channel="api", actor=cast.reporter).exists()
    assert_error(call(cast.outsider, "get", f"/evidence/{stored.id}"), 404, "not_found")
    assert_error(call(cast.outsider, "get", "/evidence/999999"), 404, "not_found")
    assert AuditEvent.objects.filter(action="download").count() == 1


def item_paths(item_id: int, update_id: int, evidence_id: int):
    """Every way to reach one item, reading or writing."""
    base = f"/items/{item_id}"
    return [
        ("get", base, None),
        ("patch", base, {"responsible_name": "x"}),
        ("post", f"{base}/cancel", {"reason": "x"}),
        ("post", f"{base}/verification-request", {}),
        ("post", f"{base}/verification", {"accept": True}),
        ("post", f"{base}/updates", {"text": "x", "progress": 1}),
        ("patch", f"{base}/updates/{update_id}", {"text": "x"}),
        ("post", f"{base}/updates/{update_id}/submit", None),
        ("post", f"{base}/updates/{update_id}/approve", None),
        ("post", f"{base}/updates/{update_id}/return", {"reason": "x"}),
        ("upload", f"{base}/updates/{update_id}/evidence", "file"),
        ("get", f"/evidence/{evidence_id}", None),
    ]


@pytest.mark.parametrize("username", ["outsider", "dl_analyst"])
def test_an_item_out_of_view_is_404_by_every_path_like_an_unknown_id(cast, call, username):
    item = open_item(cast)
    update = write(cast, item, submit=False, uploads=[pdf()])
    evidence_id = update.evidence.get().id
    user = getattr(cast, username)
    for method, path, body in item_paths(item.id, update.id, evidence_id):
        given = pdf() if body == "file" else body
        response = call(user, method, path, given)
        assert_error(response, 404, "not_found")
        unknown = path.replace(f"/{item.id}", "/999999").replace(f"/{evidence_id}", "/999999")
        again = pdf() if body == "file" else body
        assert call(user, method, unknown, again).json() == response.json(), path
    assert TrackedItem.objects.get(id=item.id).status == Status.OPEN
    assert ItemUpdate.objects.get().state == UpdateState.DRAFT
    assert Evidence.objects.count() == 1


def test_administrators_read_no_ledger_through_the_api(cast, call):
    item = open_item(cast)
    for user in (cast.sysadmin, cast.secadmin, cast.auditadmin):
        assert_error(call(user, "get", "/items"), 403, "forbidden")
        assert_error(call(user, "get", f"/items/{item.id}"), 404, "not_found")


def test_an_anonymous_call_is_401(client, cast):
    response = client.get("/api/v1/ledgers/items")
    assert_error(response, 401, "unauthenticated")


def test_the_openapi_document_names_the_register_field(client, cast):
    document = client.get("/api/v1/openapi.json").json()
    summary = document["components"]["schemas"]["ItemSummary"]["properties"]
    assert "register" in summary and "register_kind" not in summary
    assert "/api/v1/ledgers/items/{id}/updates/{update_id}/evidence" in document["paths"]


def test_a_verified_item_reports_its_history_in_order(cast, call):
    item = open_item(cast)
    approved(cast, item, progress=100)
    services.verification_request(acting_user=cast.group_reviewer, item=item)
    services.verify(acting_user=cast.reviewer, item=item, accept=True)
    events = call(cast.auditor, "get", f"/items/{item.id}").json()["events"]
    assert [e["action"] for e in events][-2:] == ["verification_requested", "verified"]
    assert events[-1]["actor"] == "reviewer" and events[-1]["after"]["status"] == "verified"


def test_patching_a_milestone_update_keeps_its_computed_progress_out_of_the_way(cast, call):
    item = open_item(cast, progress_rule="milestones", milestones=["a", "b"])
    first, second = item.milestones.order_by("position")
    update = write(cast, item, progress=None, milestones=[first.id], submit=False)
    path = f"/items/{item.id}/updates/{update.id}"
    body = call(cast.sub_reporter, "patch", path, {"text": "改写"}).json()
    assert (body["text"], body["progress"], body["milestones_done"]) == ("改写", 50, [first.id])
    body = call(cast.sub_reporter, "patch", path, {"milestones": [first.id, second.id]}).json()
    assert body["progress"] == 100
    fields = assert_error(call(cast.sub_reporter, "patch", path, {"progress": 80}), 400, "invalid")
    assert "progress" in fields


def test_a_register_with_its_own_intake_is_not_opened_bare(cast, call):
    body = {
        "owner": cast.a1.uscc,
        "title": "某事故",
        "due_date": "2026-10-31",
        "register": "safety_incident",
    }
    fields = assert_error(call(cast.analyst, "post", "/items", body), 422, "invalid")
    assert set(fields) == {"register"}
    assert not TrackedItem.objects.exists()
