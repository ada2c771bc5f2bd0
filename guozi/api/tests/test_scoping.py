import pytest
from django.core.exceptions import ImproperlyConfigured
from ninja import NinjaAPI, Router

from guozi.accounts.access import Scope
from guozi.api.api import api_operations
from guozi.api.auth import api_scope, enforce_scopes
from guozi.registry.models import EquityLink

from .helpers import assert_error

EXPECTED_SCOPES = {
    ("/enterprises", "GET"): Scope.PORTFOLIO,
    ("/enterprises", "POST"): Scope.REGISTRY_EDIT,
    ("/enterprises/{int:id}", "GET"): Scope.PORTFOLIO,
    ("/enterprises/{int:id}", "PATCH"): Scope.REGISTRY_EDIT,
    ("/enterprises/{int:id}/identifiers", "GET"): Scope.PORTFOLIO,
    ("/enterprises/{int:id}/equity-links", "GET"): Scope.PORTFOLIO,
    ("/enterprises/{int:id}/equity-links", "POST"): Scope.REGISTRY_EDIT,
    ("/equity-links/{int:id}/end", "POST"): Scope.REGISTRY_EDIT,
    ("/enterprises/{int:id}/subsidiaries", "GET"): Scope.PORTFOLIO,
    ("/enterprises/{int:id}/transfer", "POST"): Scope.REGISTRY_EDIT,
    ("/tree", "GET"): Scope.PORTFOLIO,
    ("/supervisors", "GET"): Scope.SELF,
    ("/memberships", "GET"): Scope.SECURITY_ADMIN,
    ("/memberships", "POST"): Scope.SECURITY_ADMIN,
    ("/memberships/{int:id}/end", "POST"): Scope.SECURITY_ADMIN,
    ("/me", "GET"): Scope.SELF,
    ("/imports/enterprises", "POST"): Scope.REGISTRY_EDIT,
    ("/jobs/{uuidstr:id}", "GET"): Scope.SELF,
    ("/reporting/forms", "GET"): Scope.PORTFOLIO,
    ("/reporting/forms/{code}", "GET"): Scope.PORTFOLIO,
    ("/reporting/submissions", "GET"): Scope.PORTFOLIO,
    ("/reporting/submissions", "PUT"): Scope.PORTFOLIO,
    ("/reporting/submissions/{int:id}", "GET"): Scope.PORTFOLIO,
    ("/reporting/submissions/{int:id}/history/{cell}", "GET"): Scope.PORTFOLIO,
    ("/reporting/reports/batch", "POST"): Scope.PORTFOLIO,
    ("/reporting/submissions/{int:id}/submit", "POST"): Scope.PORTFOLIO,
    ("/reporting/submissions/{int:id}/approve", "POST"): Scope.PORTFOLIO,
    ("/reporting/submissions/{int:id}/return", "POST"): Scope.PORTFOLIO,
    ("/reporting/submissions/{int:id}/reopen-request", "POST"): Scope.PORTFOLIO,
    ("/reporting/submissions/{int:id}/reopen-decision", "POST"): Scope.PORTFOLIO,
    ("/reporting/submissions/{int:id}/extend", "POST"): Scope.PORTFOLIO,
    ("/reporting/submissions/{int:id}/explanations", "POST"): Scope.PORTFOLIO,
    ("/reporting/submissions/{int:id}/explanations/{rule}/decision", "POST"): Scope.PORTFOLIO,
    ("/reporting/completeness", "GET"): Scope.PORTFOLIO,
    ("/reporting/templates", "GET"): Scope.PORTFOLIO,
    ("/ledgers/items", "GET"): Scope.PORTFOLIO,
    ("/ledgers/items", "POST"): Scope.PORTFOLIO,
    ("/ledgers/items/{int:id}", "GET"): Scope.PORTFOLIO,
    ("/ledgers/items/{int:id}", "PATCH"): Scope.PORTFOLIO,
    ("/ledgers/items/{int:id}/cancel", "POST"): Scope.PORTFOLIO,
    ("/ledgers/items/{int:id}/verification-request", "POST"): Scope.PORTFOLIO,
    ("/ledgers/items/{int:id}/verification", "POST"): Scope.PORTFOLIO,
    ("/ledgers/items/{int:id}/updates", "POST"): Scope.PORTFOLIO,
    ("/ledgers/items/{int:id}/updates/{int:update_id}", "PATCH"): Scope.PORTFOLIO,
    ("/ledgers/items/{int:id}/updates/{int:update_id}/submit", "POST"): Scope.PORTFOLIO,
    ("/ledgers/items/{int:id}/updates/{int:update_id}/approve", "POST"): Scope.PORTFOLIO,
    ("/ledgers/items/{int:id}/updates/{int:update_id}/return", "POST"): Scope.PORTFOLIO,
    ("/ledgers/items/{int:id}/updates/{int:update_id}/evidence", "POST"): Scope.PORTFOLIO,
    ("/ledgers/evidence/{int:id}", "GET"): Scope.PORTFOLIO,
    ("/ledgers/counts", "GET"): Scope.PORTFOLIO,
    ("/ledgers/items/import", "POST"): Scope.PORTFOLIO,
    ("/ledgers/legacy/problems", "GET"): Scope.PORTFOLIO,
    ("/ledgers/legacy/problems", "POST"): Scope.PORTFOLIO,
    ("/ledgers/legacy/problems/{int:id}", "GET"): Scope.PORTFOLIO,
    ("/ledgers/legacy/problems/{int:id}", "PATCH"): Scope.PORTFOLIO,
    ("/ledgers/legacy/statistics", "GET"): Scope.PORTFOLIO,
    ("/ledgers/legacy/import", "POST"): Scope.PORTFOLIO,
    ("/ledgers/supply/inputs", "GET"): Scope.PORTFOLIO,
    ("/ledgers/supply/inputs", "POST"): Scope.PORTFOLIO,
    ("/ledgers/supply/inputs/{int:id}", "GET"): Scope.PORTFOLIO,
    ("/ledgers/supply/inputs/{int:id}", "PATCH"): Scope.PORTFOLIO,
    ("/ledgers/supply/inputs/{int:id}/sources", "PUT"): Scope.PORTFOLIO,
    ("/ledgers/supply/portfolio", "GET"): Scope.PORTFOLIO,
    ("/ledgers/supply/export", "GET"): Scope.PORTFOLIO,
    ("/ledgers/supply/import", "POST"): Scope.PORTFOLIO,
    ("/ledgers/reform/catalogues", "GET"): Scope.PORTFOLIO,
    ("/ledgers/reform/catalogues/{int:id}", "GET"): Scope.PORTFOLIO,
    ("/ledgers/reform/assignments", "GET"): Scope.PORTFOLIO,
    ("/ledgers/reform/assignments", "POST"): Scope.PORTFOLIO,
    ("/ledgers/reform/assignments/rows", "POST"): Scope.PORTFOLIO,
    ("/ledgers/reform/tasks", "POST"): Scope.PORTFOLIO,
    ("/ledgers/reform/assignments/{int:id}", "GET"): Scope.PORTFOLIO,
    ("/ledgers/reform/assignments/{int:id}", "PATCH"): Scope.PORTFOLIO,
    ("/ledgers/reform/assignments/{int:id}/measures", "POST"): Scope.PORTFOLIO,
    ("/ledgers/reform/proposals/{int:id}/decision", "POST"): Scope.PORTFOLIO,
    ("/ledgers/reform/completion", "GET"): Scope.PORTFOLIO,
    ("/ledgers/reform/snapshots", "GET"): Scope.PORTFOLIO,
    ("/ledgers/reform/overdue", "GET"): Scope.PORTFOLIO,
    ("/ledgers/reform/at-risk", "GET"): Scope.PORTFOLIO,
    ("/ledgers/safety/incidents", "GET"): Scope.PORTFOLIO,
    ("/ledgers/safety/incidents", "POST"): Scope.PORTFOLIO,
    ("/ledgers/safety/incidents/{int:id}", "GET"): Scope.PORTFOLIO,
    ("/ledgers/safety/incidents/{int:id}/reports", "GET"): Scope.PORTFOLIO,
    ("/ledgers/safety/incidents/{int:id}/reports", "POST"): Scope.PORTFOLIO,
    ("/ledgers/safety/statistics", "GET"): Scope.PORTFOLIO,
    ("/ledgers/rnd/projects", "GET"): Scope.PORTFOLIO,
    ("/ledgers/rnd/projects", "POST"): Scope.PORTFOLIO,
    ("/ledgers/rnd/projects/{int:id}", "GET"): Scope.PORTFOLIO,
    ("/ledgers/rnd/projects/{int:id}", "PATCH"): Scope.PORTFOLIO,
    ("/ledgers/rnd/projects/{int:id}/years/{int:year}", "PUT"): Scope.PORTFOLIO,
    ("/ledgers/rnd/projects/{int:id}/outcomes", "POST"): Scope.PORTFOLIO,
    ("/ledgers/rnd/projects/{int:id}/outcomes/{int:outcome_id}/remove", "POST"): Scope.PORTFOLIO,
    ("/ledgers/rnd/summary", "GET"): Scope.PORTFOLIO,
    ("/indicators/frameworks", "GET"): Scope.PORTFOLIO,
    ("/indicators/periods", "GET"): Scope.PORTFOLIO,
    ("/indicators/values", "GET"): Scope.PORTFOLIO,
    ("/indicators/enterprises/{int:id}/series", "GET"): Scope.PORTFOLIO,
    ("/indicators/explain", "GET"): Scope.PORTFOLIO,
    ("/indicators/contributions", "GET"): Scope.PORTFOLIO,
    ("/alerts", "GET"): Scope.PORTFOLIO,
    ("/alerts/{int:id}", "GET"): Scope.PORTFOLIO,
    ("/alerts/{int:id}/acknowledge", "POST"): Scope.PORTFOLIO,
    ("/alerts/{int:id}/rectify", "POST"): Scope.PORTFOLIO,
    ("/alerts/targets", "GET"): Scope.PORTFOLIO,
    ("/alerts/targets", "PUT"): Scope.PORTFOLIO,
    ("/alerts/lines", "GET"): Scope.PORTFOLIO,
    ("/alerts/lines/method", "PUT"): Scope.PORTFOLIO,
    ("/alerts/lines/baselines", "PUT"): Scope.PORTFOLIO,
    ("/alerts/lines/baselines/{int:id}", "DELETE"): Scope.PORTFOLIO,
    ("/alerts/rules", "GET"): Scope.PORTFOLIO,
    ("/alerts/rules/{code}/backtest", "POST"): Scope.PORTFOLIO,
    ("/alerts/rules/{code}/switch", "POST"): Scope.PORTFOLIO,
    ("/alerts/stress", "GET"): Scope.PORTFOLIO,
}


def test_every_operation_declares_the_expected_scope():
    found = {(path, method): view.guozi_scope for path, method, view in api_operations()}
    assert found == EXPECTED_SCOPES


def test_an_unmarked_operation_stops_the_api_from_being_built():
    throwaway = NinjaAPI(urls_namespace="throwaway")
    router = Router()

    @router.get("/marked")
    @api_scope(Scope.SELF)
    def marked(request):
        return {}

    @router.get("/unmarked")
    def unmarked(request):
        return {}

    throwaway.add_router("", router)
    with pytest.raises(ImproperlyConfigured, match="GET /unmarked"):
        enforce_scopes(throwaway)


def test_a_fully_marked_api_passes_the_check():
    throwaway = NinjaAPI(urls_namespace="throwaway2")
    router = Router()

    @router.get("/marked")
    @api_scope(Scope.SELF)
    def marked(request):
        return {}

    throwaway.add_router("", router)
    enforce_scopes(throwaway)


def test_scope_is_checked_before_the_body_is_read(call, cast):
    # A leader reads but does not edit: an invalid body must not earn a validation answer.
    assert_error(call(cast.leader, "post", "/enterprises", {}), 403, "forbidden")
    assert_error(call(cast.reporter, "post", "/memberships", {"user": 1}), 403, "forbidden")


def b_paths(cast, link_id):
    """Every way to reach enterprise B, reading or writing."""
    b = cast.b.id
    return [
        ("get", f"/enterprises/{b}", None),
        ("get", f"/enterprises/{b}/identifiers", None),
        ("get", f"/enterprises/{b}/equity-links", None),
        ("get", f"/enterprises/{b}/subsidiaries", None),
        ("patch", f"/enterprises/{b}", {"short_name": "x"}),
        ("post", f"/enterprises/{b}/transfer", {"new_parent": str(cast.a.id), "on": "2026-09-01"}),
        (
            "post",
            f"/enterprises/{b}/equity-links",
            {"holder": {"supervisor": "ln"}, "pct": "1", "valid_from": "2026-01-01"},
        ),
        ("post", f"/equity-links/{link_id}/end", {"on": "2026-09-01"}),
    ]


@pytest.mark.parametrize("username", ["reporter", "dl_analyst"])
def test_out_of_scope_enterprise_is_404_by_every_path_like_an_unknown_id(call, cast, username):
    user = getattr(cast, username)
    b_link = EquityLink.objects.get(held=cast.b)
    for method, path, body in b_paths(cast, b_link.id):
        response = call(user, method, path, body)
        assert_error(response, 404, "not_found")
        unknown = path.replace(f"/{cast.b.id}", "/999999").replace(f"/{b_link.id}/", "/999999/")
        assert call(user, method, unknown, body).json() == response.json()
    cast.b.refresh_from_db()
    assert cast.b.short_name == "辽港"
    assert EquityLink.objects.get(id=b_link.id).valid_to is None


def test_out_of_scope_enterprise_never_appears_in_lists(call, cast):
    hidden = {cast.b.id, cast.b1.id, cast.d.id}
    listed = call(cast.reporter, "get", "/enterprises", limit=500).json()
    assert listed["total"] == 4
    assert not hidden & {item["id"] for item in listed["items"]}
    for query in ("辽宁港口", "lngk", cast.b.uscc, "营口"):
        found = call(cast.reporter, "get", "/enterprises", q=query).json()
        assert found["total"] == 0, query
    tree = call(cast.reporter, "get", "/tree").json()
    group_a = {cast.a.id, cast.a1.id, cast.a11.id, cast.a2.id}
    assert {node["id"] for node in tree["nodes"]} == group_a
    assert_error(call(cast.reporter, "get", "/tree", root=cast.b.id), 404, "not_found")
    assert_error(call(cast.reporter, "get", "/tree", supervisor="dl"), 404, "not_found")
    subsidiaries = call(cast.reporter, "get", f"/enterprises/{cast.a.id}/subsidiaries").json()
    assert {item["id"] for item in subsidiaries["items"]} == {cast.a1.id, cast.a2.id}


def test_enterprise_user_reads_own_group_but_cannot_change_it(call, cast):
    assert call(cast.reporter, "get", f"/enterprises/{cast.a.id}").status_code == 200
    response = call(cast.reporter, "patch", f"/enterprises/{cast.a.id}", {"short_name": "x"})
    assert_error(response, 403, "forbidden")


def test_higher_supervisor_reads_dalian_but_cannot_change_it(call, cast):
    response = call(cast.analyst, "get", f"/enterprises/{cast.d.id}")
    assert response.status_code == 200
    assert response.json()["supervisor"]["code"] == "dl"
    response = call(cast.analyst, "patch", f"/enterprises/{cast.d.id}", {"short_name": "大连地铁"})
    assert_error(response, 403, "forbidden")
    response = call(
        cast.analyst,
        "post",
        f"/enterprises/{cast.d.id}/equity-links",
        {"holder": {"supervisor": "ln"}, "pct": "10", "valid_from": "2026-01-01"},
    )
    assert_error(response, 403, "forbidden")
    cast.d.refresh_from_db()
    assert cast.d.short_name != "大连地铁"
    # Dalian's own analyst may.
    body = {"short_name": "大连地铁"}
    response = call(cast.dl_analyst, "patch", f"/enterprises/{cast.d.id}", body)
    assert response.status_code == 200


def test_administrators_read_no_portfolio(call, cast):
    for user in (cast.sysadmin, cast.secadmin, cast.auditadmin):
        assert_error(call(user, "get", "/enterprises"), 403, "forbidden")
        assert_error(call(user, "get", "/tree"), 403, "forbidden")
        assert call(user, "get", "/me").status_code == 200
