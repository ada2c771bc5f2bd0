"""The reform API: the same scoping, services, history and error shape as the pages."""

from datetime import timedelta

import pytest

from guozi.accounts.services import token_create
from guozi.audit.models import AuditEvent
from guozi.ledgers.reform import snapshots
from guozi.ledgers.reform.models import MeasureProposal, ProposalState, ReformTask

from . import scenario
from .conftest import TODAY, assign

pytestmark = pytest.mark.django_db
API = "/api/v1/ledgers/reform"
DUE = (TODAY + timedelta(days=45)).isoformat()


@pytest.fixture
def call(client):
    def send(user, method, path, body=None, **params):
        _token, key = token_create(acting_user=None, user=user)
        headers = {"Authorization": f"Bearer {key}"}
        if method == "get":
            return client.get(API + path, params, headers=headers)
        return getattr(client, method)(
            API + path, body or {}, content_type="application/json", headers=headers
        )

    return send


@pytest.fixture
def history(cast):
    scenario.build(cast)
    snapshots.rebuild(today=TODAY)
    return cast


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_catalogues(call, cast):
    listed = call(cast.reporter, "get", "/catalogues").json()
    three = next(c for c in listed if c["code"] == "three_year_action")
    assert three["current"] and len(three["areas"]) == 8
    assert {m["target"] for m in three["milestones"]} == {70, 90, 98}
    detail = call(cast.reporter, "get", f"/catalogues/{three['id']}").json()
    assert len(detail["tasks"]) == 28
    assert error(call(cast.reporter, "get", "/catalogues/999999"), 404)
    assert error(call(cast.sysadmin, "get", "/catalogues"), 403)["code"] == "forbidden"


def test_assigning_in_bulk(call, cast):
    body = {"catalogue": "three_year_action", "tasks": ["front_list", "tenure_contract"],
            "enterprises": [cast.a.uscc, str(cast.a1.id)], "deadline": DUE}  # fmt: skip
    created = call(cast.analyst, "post", "/assignments", body)
    assert created.status_code == 201
    assert len(created.json()["created"]) == 4 and created.json()["skipped"] == []
    again = call(cast.analyst, "post", "/assignments", body).json()
    assert again["created"] == [] and len(again["skipped"]) == 4
    assert error(call(cast.reporter, "post", "/assignments", body), 403)
    assert error(call(cast.dl_analyst, "post", "/assignments", body), 422)  # cannot see A
    unknown = call(cast.analyst, "post", "/assignments", {**body, "tasks": ["moonshot"]})
    assert "tasks" in error(unknown, 422)["fields"]
    passed = call(
        cast.analyst,
        "post",
        "/assignments",
        {**body, "deadline": None, "enterprises": [cast.b.uscc]},
    )
    assert "deadline" in error(passed, 400)["fields"]
    assert ReformTask.objects.count() == 4


def test_assigning_row_by_row_with_own_weights(call, cast):
    body = {"rows": [
        {"enterprise": cast.a.uscc, "catalogue": "three_year_action", "task": "front_list",
         "weight": 8, "deadline": DUE},
        {"enterprise": cast.a1.uscc, "catalogue": "deepening_action", "task": "rd_intensity",
         "deadline": DUE},
    ]}  # fmt: skip
    response = call(cast.analyst, "post", "/assignments/rows", body)
    assert response.status_code == 201
    assert [row["weight"] for row in response.json()["created"]] == [8, 4]
    bad = call(cast.analyst, "post", "/assignments/rows",
               {"rows": [{**body["rows"][0], "task": "nothing"}]})  # fmt: skip
    assert "rows[0].task" in error(bad, 422)["fields"]


def test_the_supervisors_own_task(call, cast):
    body = {
        "owner": cast.a2.uscc,
        "catalogue": "deepening_action",
        "area": "governance",
        "title": "修订授权清单",
        "measures": ["起草", "审议"],
        "weight": 3,
        "deadline": DUE,
    }
    created = call(cast.analyst, "post", "/tasks", body)
    assert created.status_code == 201 and created.json()["catalogue_task"] is None
    bad = call(cast.analyst, "post", "/tasks", {**body, "area": "space"})
    assert "area" in error(bad, 400)["fields"]


def test_listing_and_reading_assignments_is_scoped(call, history):
    mine = call(history.outsider, "get", "/assignments").json()
    assert mine["total"] == 2 and {row["owner"]["id"] for row in mine["items"]} == {history.b.id}
    all_of_them = call(history.analyst, "get", "/assignments", limit=3).json()
    assert (all_of_them["total"], len(all_of_them["items"])) == (8, 3)
    one = scenario.task(history.a1, "tenure_contract")
    detail = call(history.reporter, "get", f"/assignments/{one.item_id}").json()
    assert (detail["progress"], detail["status"], detail["weight"]) == (33, "in_progress", 5)
    assert error(call(history.outsider, "get", f"/assignments/{one.item_id}"), 404)
    assert error(call(history.outsider, "get", "/assignments", owner=history.a1.uscc), 422)


def test_weight_and_measures(call, cast):
    (task,) = assign(cast, [cast.a1], ["front_list"])
    changed = call(cast.analyst, "patch", f"/assignments/{task.item_id}", {"weight": 9})
    assert changed.json()["weight"] == 9
    assert error(call(cast.reporter, "patch", f"/assignments/{task.item_id}", {"weight": 2}), 403)
    proposed = call(cast.sub_reporter, "post", f"/assignments/{task.item_id}/measures",
                    {"title": "建立动态调整机制", "note": "每年评估"})  # fmt: skip
    assert proposed.status_code == 201
    proposal_id = proposed.json()["id"]
    assert error(call(cast.outsider, "post", f"/proposals/{proposal_id}/decision",
                      {"accept": True}), 404)  # fmt: skip
    no_reason = call(cast.analyst, "post", f"/proposals/{proposal_id}/decision", {"accept": False})
    assert "reason" in error(no_reason, 400)["fields"]
    accepted = call(cast.analyst, "post", f"/proposals/{proposal_id}/decision", {"accept": True})
    assert accepted.json()["state"] == "accepted"
    assert MeasureProposal.objects.get().state == ProposalState.ACCEPTED
    assert AuditEvent.objects.filter(object_type="reform.measureproposal").count() == 2


def test_completion(call, history):
    body = call(history.analyst, "get", "/completion", limit=2).json()
    assert body["totals"]["tasks"] == 7 and body["totals"]["done"] == 2
    assert body["totals"]["rate"] == pytest.approx(28.6)
    assert body["enterprises_total"] == 4 and len(body["enterprises"]) == 2
    assert {row["key"] for row in body["by_area"]} == {
        "three_year_action/corporate_system", "three_year_action/market_mechanisms"
    }  # fmt: skip
    assert {m["code"]: m["state"] for m in body["milestones"]}["seventy_by_2021"] == "missed"
    past = call(history.analyst, "get", "/completion", as_of="2026-05-01").json()
    assert (past["totals"]["tasks"], past["totals"]["mean_progress"]) == (8, None)
    group = call(history.analyst, "get", "/completion", group=history.b.uscc).json()
    assert group["totals"]["tasks"] == 2
    assert call(history.outsider, "get", "/completion").json()["totals"]["tasks"] == 2
    future = call(history.analyst, "get", "/completion", as_of="2027-01-01")
    assert "as_of" in error(future, 422)["fields"]
    hidden = call(history.outsider, "get", "/completion", group=history.a.uscc)
    assert "group" in error(hidden, 422)["fields"]


def test_snapshots(call, history):
    body = call(history.analyst, "get", "/snapshots").json()
    assert body["days"][0] == "2026-03-31" and len(body["days"]) == 5
    series = body["programmes"][0]
    assert series["programme"] == "three_year_action"
    assert [f["done"] for f in series["figures"]] == [0, 1, 1, 1, 2]
    assert call(history.dl_analyst, "get", "/snapshots").json()["programmes"] == []


def test_overdue_and_at_risk(call, history):
    assert call(history.analyst, "get", "/overdue").json()["total"] == 5
    assert call(history.outsider, "get", "/overdue").json()["total"] == 1
    assert call(history.analyst, "get", "/at-risk").json()["total"] == 0


def test_without_a_token_the_answer_is_401(client):
    assert client.get(API + "/completion").status_code == 401
