"""The REST API of reporting: forms, submissions, values with history, workflow, batch pushes,
completeness; scoped like the pages, with token auth and the API's one error shape."""

import io
import json

import pytest
from python_calamine import CalamineWorkbook

from guozi.accounts.access import Scope
from guozi.accounts.services import token_create
from guozi.api.api import api_operations
from guozi.api.tests.helpers import assert_error
from guozi.audit.models import AuditEvent
from guozi.conftest import make_enterprise
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period
from guozi.reporting import services
from guozi.reporting.api import listed_fields
from guozi.reporting.models import (
    Action,
    Explanation,
    PeriodLock,
    State,
    Submission,
    ValueVersion,
)
from guozi.reporting.workbooks import META_SHEET, XLSX_CONTENT_TYPE

from .conftest import clean_cells

JULY = "2026-07"
WAN = 1_000_000  # fen in one 万元


@pytest.fixture
def call(client, cast):
    """`call(user, method, path, body=None, **query)`: one request with the user's token."""
    keys: dict[int, str] = {}

    def request(user, method: str, path: str, body=None, /, **query):
        if user.id not in keys:
            keys[user.id] = token_create(acting_user=None, user=user)[1]
        headers = {"Authorization": f"Bearer {keys[user.id]}"}
        url = "/api/v1/reporting" + path
        if method == "get":
            return client.get(url, query, headers=headers)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return getattr(client, method)(
            url, data=json.dumps(body or {}), content_type="application/json", headers=headers
        )

    return request


def put_report(call, user, enterprise, cells=None, scope="consolidated", period=JULY):
    body = {
        "form": "fast_report",
        "period": period,
        "enterprise": enterprise.uscc,
        "scope": scope,
        "cells": clean_cells() if cells is None else cells,
    }
    return call(user, "put", "/submissions", body)


def draft(cast, form, enterprise, cells=None, scope="consolidated"):
    """A report filled in by the system (no acting user), as a workbook import would."""
    submission = services.submission_open(
        acting_user=None, enterprise=enterprise, form=form, period=Period.parse(JULY), scope=scope
    )
    services.cells_write(
        acting_user=None,
        submission=submission,
        raw=clean_cells() if cells is None else cells,
        channel="web",
    )
    submission.refresh_from_db()
    return submission


# -- scopes and authentication -----------------------------------------------------------------


def test_every_reporting_operation_reads_the_portfolio_scope():
    found = {
        (path, method): view.guozi_scope
        for path, method, view in api_operations()
        if path.startswith("/reporting/")
    }
    assert len(found) == 17
    assert set(found.values()) == {Scope.PORTFOLIO}
    assert ("/reporting/reports/batch", "POST") in found
    assert ("/reporting/submissions", "PUT") in found


def test_the_openapi_document_describes_the_reporting_api(client):
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/reporting/submissions" in document["paths"]
    assert set(document["paths"]["/api/v1/reporting/submissions"]) == {"get", "put"}
    assert "/api/v1/reporting/reports/batch" in document["paths"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer gz_made-up"}, {"Authorization": "Token x"}]
)
def test_without_a_valid_token_the_answer_is_401(client, cast, fast_report, headers):
    response = client.get("/api/v1/reporting/forms", headers=headers)
    assert_error(response, 401, "unauthenticated")


def test_a_bearer_token_authenticates(client, cast, fast_report):
    _token, key = token_create(acting_user=None, user=cast.reporter)
    response = client.get("/api/v1/reporting/forms", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert [form["code"] for form in response.json()] == [
        "fast_report",
        "final_accounts",
        "reform_indicators",
    ]


@pytest.mark.parametrize("username", ["sysadmin", "secadmin", "auditadmin"])
def test_administrators_read_no_reports(call, cast, fast_report, username):
    submission = draft(cast, fast_report, cast.a11)
    user = getattr(cast, username)
    assert_error(call(user, "get", "/forms"), 403, "forbidden")
    assert_error(call(user, "get", "/submissions"), 403, "forbidden")
    # An id they cannot see is unknown to them, whatever their roles (the registry's rule).
    assert_error(call(user, "get", f"/submissions/{submission.id}"), 404, "not_found")
    assert_error(
        call(user, "get", "/completeness", form="fast_report", period=JULY), 403, "forbidden"
    )
    assert_error(put_report(call, user, cast.a11), 403, "forbidden")
    assert_error(
        call(
            user, "post", "/reports/batch", {"form": "fast_report", "period": JULY, "reports": []}
        ),
        403,
        "forbidden",
    )


# -- forms -------------------------------------------------------------------------------------


def test_forms_list_their_versions(call, cast, fast_report):
    forms = call(cast.leader, "get", "/forms").json()
    assert forms[0]["code"] == "fast_report"
    assert forms[0]["period_type"] == "month"
    assert forms[0]["versions"][0]["valid_from"] == "2020-01"


def test_a_form_gives_the_definition_in_force(call, cast, fast_report):
    body = call(cast.reporter, "get", "/forms/fast_report", period=JULY).json()
    assert body["period"] == JULY
    definition = body["definition"]
    fields = {f["code"]: f for f in definition["fields"]}
    assets = fields["total_assets"]
    assert (assets["kind"], assets["unit"], assets["columns"]) == (
        "balance",
        "万元",
        ["current", "opening"],
    )
    assert assets["cells"] == ["total_assets.current", "total_assets.opening"]
    assert assets["required"] is True and assets["min"] == 0
    rules = {r["code"]: r for r in definition["rules"]}
    assert rules["bs_identity"]["check"] == "total_assets = total_liabilities + owners_equity"
    assert rules["bs_identity"]["severity"] == "error"
    assert rules["bs_identity"]["tolerance"] == pytest.approx(0.05)


def test_an_unknown_form_is_404_and_a_bad_period_422(call, cast, fast_report):
    assert_error(call(cast.reporter, "get", "/forms/no_such_form"), 404, "not_found")
    fields = assert_error(
        call(cast.reporter, "get", "/forms/fast_report", period="2026-13"), 422, "invalid"
    )
    assert list(fields) == ["period"]
    fields = assert_error(
        call(cast.reporter, "get", "/forms/fast_report", period="2026Q2"), 422, "invalid"
    )
    assert list(fields) == ["period"]


# -- writing one report ------------------------------------------------------------------------


def test_put_creates_a_draft_writes_through_the_checks_and_answers_with_results(
    call, cast, fast_report
):
    cells = clean_cells(**{"total_assets.current": "2,030.3"})
    response = put_report(call, cast.sub_reporter, cast.a11, cells)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "draft"
    assert body["enterprise"]["id"] == cast.a11.id
    assets = body["cells"]["total_assets.current"]
    assert assets["value"] == pytest.approx(2030.3)
    assert assets["stored"] == 2_030_30 * 10_000  # fen
    assert assets["unit"] == "万元"
    assert assets["text"] == "2,030.30"
    assert [r["rule"] for r in body["results"]] == ["bs_identity"]
    assert body["errors"] == 1
    assert body["allowed"] == {"fill": True, "review": False, "consent_reopen": False}
    assert body["blocking"]

    again = put_report(call, cast.sub_reporter, cast.a11, {"total_assets.current": "2000"})
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert again.json()["results"] == []
    versions = ValueVersion.objects.filter(submission_id=body["id"])
    assert [v.channel for v in versions] == ["api", "api"]
    assert AuditEvent.objects.filter(
        channel="api", actor=cast.sub_reporter, action="create", object_type="reporting.submission"
    ).exists()


def test_a_bad_cell_value_is_400_naming_the_cell_and_nothing_is_written(call, cast, fast_report):
    cells = clean_cells(**{"cash.current": "12x", "nope.current": "1"})
    response = put_report(call, cast.sub_reporter, cast.a11, cells)
    fields = assert_error(response, 400, "cells")
    assert set(fields) == {"cells.cash.current", "cells.nope.current"}
    assert "12x" in fields["cells.cash.current"][0]
    assert not Submission.objects.exists()
    assert not ValueVersion.objects.exists()


def test_a_bad_value_in_an_existing_report_changes_nothing(call, cast, fast_report):
    submission = draft(cast, fast_report, cast.a11)
    response = put_report(
        call, cast.sub_reporter, cast.a11, {"cash.current": "1", "total_assets.current": "-5"}
    )
    fields = assert_error(response, 400, "cells")
    assert list(fields) == ["cells.total_assets.current"]
    submission.refresh_from_db()
    assert submission.cells["cash.current"] == 200 * WAN
    assert ValueVersion.objects.filter(submission=submission).count() == 1


def test_put_names_every_bad_request_field(call, cast, fast_report):
    body = {"form": "nope", "period": "July", "enterprise": "nobody", "scope": "both"}
    fields = assert_error(call(cast.reporter, "put", "/submissions", body), 422, "invalid")
    assert set(fields) == {"form", "period", "enterprise", "scope"}


def test_put_refusals_leave_no_draft_behind(call, cast, fast_report):
    # An enterprise outside one's view is unknown, as on the pages.
    fields = assert_error(put_report(call, cast.outsider, cast.a11), 422, "invalid")
    assert list(fields) == ["enterprise"]
    # A supervisor reads every report but fills in none.
    assert_error(put_report(call, cast.analyst, cast.a11), 403, "forbidden")
    # A leaf files one report, not a standalone one.
    assert_error(
        put_report(call, cast.sub_reporter, cast.a11, scope="standalone"), 400, "no_standalone"
    )
    # A closed period takes no writes, and the draft the request opened is not kept.
    PeriodLock.objects.create(form=fast_report, period=JULY)
    assert_error(put_report(call, cast.sub_reporter, cast.a11), 400, "period_locked")
    assert not Submission.objects.exists()


def test_numbers_may_arrive_as_json_numbers_and_in_accounting_style(call, cast, fast_report):
    cells = {"net_profit.current": "(12.5)", "cash.current": 1250.3, "employees_end.current": 505}
    body = put_report(call, cast.sub_reporter, cast.a11, cells).json()
    assert body["cells"]["net_profit.current"]["stored"] == -12_5000_00
    assert body["cells"]["cash.current"]["stored"] == 1250_30 * 10_000
    assert body["cells"]["employees_end.current"]["value"] == 505


# -- reading reports ---------------------------------------------------------------------------


def test_the_list_is_scoped_filtered_and_paged(call, cast, fast_report):
    a11 = draft(cast, fast_report, cast.a11)
    draft(cast, fast_report, cast.a2)
    b1 = draft(cast, fast_report, cast.b1)
    d = draft(cast, fast_report, cast.d)
    services.submit(acting_user=None, submission=a11)

    def ids(user, **query):
        return {item["id"] for item in call(user, "get", "/submissions", **query).json()["items"]}

    assert b1.id not in ids(cast.reporter) and d.id not in ids(cast.reporter)
    assert ids(cast.outsider) == {b1.id}
    assert ids(cast.sub_reporter) == {a11.id}
    assert d.id in ids(cast.analyst)  # a higher supervisor reads Dalian's reports
    assert ids(cast.dl_analyst) == {d.id}
    assert ids(cast.reporter, state="submitted") == {a11.id}
    assert ids(cast.analyst, enterprise=cast.b1.uscc, form="fast_report", period=JULY) == {b1.id}
    page = call(cast.analyst, "get", "/submissions", limit=2, offset=0).json()
    assert (page["total"], len(page["items"])) == (4, 2)
    assert page["items"][0]["form"] == "fast_report"
    assert ids(cast.analyst, period="2026-06") == set()


def test_list_filters_that_name_nothing_are_422(call, cast, fast_report):
    draft(cast, fast_report, cast.b1)
    response = call(cast.reporter, "get", "/submissions", enterprise=cast.b1.uscc, state="done")
    assert set(assert_error(response, 422, "invalid")) == {"enterprise", "state"}
    response = call(cast.reporter, "get", "/submissions", form="x", scope="y", period="z")
    assert set(assert_error(response, 422, "invalid")) == {"form", "scope", "period"}


def test_the_list_reads_a_fixed_number_of_queries(
    call, cast, fast_report, django_assert_max_num_queries
):
    draft(cast, fast_report, cast.a11)
    call(cast.analyst, "get", "/submissions")  # the token's first use writes last_used_at
    with django_assert_max_num_queries(12) as one:
        call(cast.analyst, "get", "/submissions")
    for enterprise in (cast.a2, cast.b1, cast.d):
        draft(cast, fast_report, enterprise)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(call(cast.analyst, "get", "/submissions").json()["items"]) == 4


def test_a_report_outside_ones_view_is_404_like_an_unknown_id(call, cast, fast_report):
    submission = draft(cast, fast_report, cast.a11)
    paths = [
        ("get", f"/submissions/{submission.id}", None),
        ("get", f"/submissions/{submission.id}/history/cash.current", None),
        ("post", f"/submissions/{submission.id}/submit", None),
        ("post", f"/submissions/{submission.id}/approve", None),
        ("post", f"/submissions/{submission.id}/return", {"reason": "x"}),
        ("post", f"/submissions/{submission.id}/reopen-request", {"reason": "x"}),
        ("post", f"/submissions/{submission.id}/reopen-decision", {"consent": True}),
        ("post", f"/submissions/{submission.id}/extend", {"to": "2026-09-30", "reason": "x"}),
        (
            "post",
            f"/submissions/{submission.id}/explanations",
            {"rule": "bs_identity", "cause": "other", "text": "x"},
        ),
        (
            "post",
            f"/submissions/{submission.id}/explanations/bs_identity/decision",
            {"accept": True},
        ),
    ]
    for user in (cast.outsider, cast.dl_analyst):
        for method, path, body in paths:
            response = call(user, method, path, body)
            assert_error(response, 404, "not_found")
            unknown = path.replace(f"/{submission.id}", "/999999")
            assert call(user, method, unknown, body).json() == response.json()
    submission.refresh_from_db()
    assert submission.state == State.DRAFT
    assert not submission.events.exists()


def test_a_report_gives_values_results_and_what_the_caller_may_do(call, cast, fast_report):
    submission = draft(
        cast, fast_report, cast.a11, clean_cells(**{"total_assets.current": "2030.3"})
    )
    body = call(cast.leader, "get", f"/submissions/{submission.id}").json()
    assert body["cells"]["cash.current"] == {
        "value": 200.0,
        "stored": 200 * WAN,
        "unit": "万元",
        "text": "200.00",
    }
    assert body["cells"]["employees_end.current"]["unit"] == "人"
    assert list(body["cells"])[0] == "total_operating_revenue.current"  # the form's order
    result = body["results"][0]
    assert result["rule"] == "bs_identity"
    assert "差额 30.30 万元" in result["message_zh"]
    assert "total_assets.current" in result["cells"]
    assert body["due"] is not None and body["period_end"] == "2026-07-31"
    assert body["allowed"] == {"fill": False, "review": False, "consent_reopen": False}
    reviewer = call(cast.group_reviewer, "get", f"/submissions/{submission.id}").json()
    assert reviewer["allowed"]["review"] is True


def test_cell_history_oldest_first_in_the_fields_unit(call, cast, fast_report):
    submission = draft(cast, fast_report, cast.a11)
    put_report(call, cast.sub_reporter, cast.a11, {"cash.current": "210"})
    body = call(cast.group_reviewer, "get", f"/submissions/{submission.id}/history/cash.current")
    versions = body.json()["versions"]
    assert [(v["old"], v["new"], v["channel"]) for v in versions] == [
        (None, 200.0, "web"),
        (200.0, 210.0, "api"),
    ]
    assert versions[1]["user"] == "sub_reporter"
    assert versions[1]["new_stored"] == 210 * WAN
    for cell in ("nope.current", "cash.prior_year", "cash"):
        response = call(cast.group_reviewer, "get", f"/submissions/{submission.id}/history/{cell}")
        assert_error(response, 404, "not_found")


# -- workflow ----------------------------------------------------------------------------------


def test_submit_approve_reopen_through_the_api(call, cast, fast_report):
    submission_id = put_report(call, cast.sub_reporter, cast.a11).json()["id"]
    response = call(cast.sub_reporter, "post", f"/submissions/{submission_id}/submit")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "submitted"
    # The supervisor's reviewer does not approve a subsidiary's report; the group's does.
    response = call(cast.reviewer, "post", f"/submissions/{submission_id}/approve")
    assert_error(response, 403, "forbidden")
    response = call(cast.group_reviewer, "post", f"/submissions/{submission_id}/approve")
    assert response.json()["state"] == "approved"
    assert response.json()["approved_by"] == "group_reviewer"
    # Approved: locked for every channel.
    assert_error(put_report(call, cast.sub_reporter, cast.a11), 400, "locked")
    response = call(cast.sub_reporter, "post", f"/submissions/{submission_id}/reopen-request", {})
    assert list(assert_error(response, 400, "reason")) == ["reason"]
    response = call(
        cast.sub_reporter,
        "post",
        f"/submissions/{submission_id}/reopen-request",
        {"reason": "审计调整"},
    )
    assert response.json()["reopen_request"] == {
        "reason": "审计调整",
        "requested_by": "sub_reporter",
    }
    decision = {"consent": True, "note": "同意"}
    response = call(
        cast.group_reviewer, "post", f"/submissions/{submission_id}/reopen-decision", decision
    )
    assert_error(response, 403, "forbidden")
    response = call(
        cast.reviewer, "post", f"/submissions/{submission_id}/reopen-decision", decision
    )
    body = response.json()
    assert body["state"] == "returned"
    assert body["revisions_after_approval"] == 1
    assert [e["action"] for e in body["events"]] == [
        Action.SUBMIT,
        Action.APPROVE,
        Action.REOPEN_REQUEST,
        Action.REOPEN,
    ]
    assert put_report(call, cast.sub_reporter, cast.a11, {"cash.current": "201"}).status_code == 200


def test_return_needs_a_reason_and_names_cells(call, cast, fast_report):
    submission_id = put_report(call, cast.sub_reporter, cast.a11).json()["id"]
    call(cast.sub_reporter, "post", f"/submissions/{submission_id}/submit")
    path = f"/submissions/{submission_id}/return"
    assert list(
        assert_error(call(cast.group_reviewer, "post", path, {"reason": " "}), 400, "reason")
    ) == ["reason"]
    bad = {"reason": "核对", "named": ["no_such_cell"]}
    assert_error(call(cast.group_reviewer, "post", path, bad), 400, "named")
    # The filer does not return their own report.
    assert_error(call(cast.sub_reporter, "post", path, {"reason": "x"}), 403, "forbidden")
    body = {"reason": "货币资金与银行对账单不符", "named": ["cash.current"]}
    returned = call(cast.group_reviewer, "post", path, body).json()
    assert returned["state"] == "returned"
    assert returned["times_returned"] == 1
    assert returned["events"][-1]["named"] == ["cash.current"]
    assert returned["events"][-1]["reason"] == "货币资金与银行对账单不符"


def test_errors_block_submission_until_a_waiver_is_accepted(call, cast, fast_report):
    cells = clean_cells(**{"total_assets.current": "2030.3"})
    submission_id = put_report(call, cast.sub_reporter, cast.a11, cells).json()["id"]
    fields = assert_error(
        call(cast.sub_reporter, "post", f"/submissions/{submission_id}/submit"), 400, "blocked"
    )
    assert len(fields["__all__"]) == 1
    path = f"/submissions/{submission_id}/explanations"
    assert_error(
        call(cast.sub_reporter, "post", path, {"rule": "no_rule", "cause": "other", "text": "x"}),
        400,
        "rule",
    )
    fields = assert_error(
        call(
            cast.sub_reporter, "post", path, {"rule": "bs_identity", "cause": "luck", "text": "x"}
        ),
        400,
        "cause",
    )
    assert fields == {"cause": [fields["cause"][0]]}
    waiver = {"rule": "bs_identity", "cause": "consolidation", "text": "少数股东权益列示差异"}
    response = call(cast.sub_reporter, "post", path, waiver)
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "waiver"
    assert response.json()["decision"] == "pending"

    decision = f"{path}/bs_identity/decision"
    assert_error(call(cast.sub_reporter, "post", decision, {"accept": True}), 403, "forbidden")
    assert_error(call(cast.group_reviewer, "post", decision, {"accept": False}), 400, "reason")
    assert_error(
        call(cast.group_reviewer, "post", f"{path}/cash/decision", {"accept": True}),
        404,
        "not_found",
    )
    accepted = call(cast.group_reviewer, "post", decision, {"accept": True, "note": "可以"}).json()
    assert (accepted["decision"], accepted["decided_by"]) == ("accepted", "group_reviewer")
    assert Explanation.objects.get().decision_note == "可以"
    submitted = call(cast.sub_reporter, "post", f"/submissions/{submission_id}/submit").json()
    assert submitted["state"] == "submitted"
    assert submitted["explanations"][0]["rule"] == "bs_identity"


def test_a_higher_supervisor_reads_dalians_reports_but_decides_nothing(call, cast, fast_report):
    submission = draft(cast, fast_report, cast.d)
    services.submit(acting_user=None, submission=submission)
    body = call(cast.analyst, "get", f"/submissions/{submission.id}").json()
    assert body["enterprise"]["id"] == cast.d.id
    assert_error(
        call(cast.reviewer, "post", f"/submissions/{submission.id}/approve"), 403, "forbidden"
    )
    extend = {"to": "2026-09-30", "reason": "系统故障"}
    assert_error(
        call(cast.analyst, "post", f"/submissions/{submission.id}/extend", extend), 403, "forbidden"
    )
    submission.refresh_from_db()
    assert submission.state == State.SUBMITTED and submission.extended_to is None
    extended = call(cast.dl_analyst, "post", f"/submissions/{submission.id}/extend", extend).json()
    assert extended["due"] == "2026-09-30"
    response = call(cast.dl_analyst, "post", f"/submissions/{submission.id}/extend", {"to": "soon"})
    assert list(assert_error(response, 422, "invalid")) == ["to"]


# -- batch pushes ------------------------------------------------------------------------------


def batch(*reports, form="fast_report", period=JULY):
    return {"form": form, "period": period, "reports": list(reports)}


def report(enterprise, scope="consolidated", **overrides):
    return {"enterprise": enterprise.uscc, "scope": scope, "cells": clean_cells(**overrides)}


def test_a_batch_writes_every_report_with_its_checks(call, cast, fast_report):
    existing = draft(cast, fast_report, cast.a2)
    body = batch(
        report(cast.a11, **{"total_assets.current": "2030.3"}),
        report(cast.a2),
        report(cast.a1, scope="standalone"),
    )
    response = call(cast.reporter, "post", "/reports/batch", body)
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["written"] is True
    assert result["counts"] == {"created": 2, "changed": 0, "unchanged": 1}
    first, second, third = result["reports"]
    assert (first["action"], first["errors"]) == ("created", 1)
    assert first["results"][0]["rule"] == "bs_identity"
    assert (second["action"], second["submission_id"], second["changed_cells"]) == (
        "unchanged",
        existing.id,
        [],
    )
    assert third["scope"] == "standalone"
    a11 = Submission.objects.get(enterprise=cast.a11)
    assert first["submission_id"] == a11.id
    assert a11.cells["total_assets.current"] == 2_030_30 * 10_000
    assert ValueVersion.objects.get(submission=a11).channel == "api"


def test_a_dry_run_says_what_would_happen_and_keeps_nothing(call, cast, fast_report):
    existing = draft(cast, fast_report, cast.a2)
    body = batch(report(cast.a11), report(cast.a2, **{"cash.current": "190"}))
    call(cast.reporter, "get", "/forms")  # the token is created (and audited) here
    before = AuditEvent.objects.count()
    result = call(cast.reporter, "post", "/reports/batch", body, dry_run="true").json()
    assert (result["dry_run"], result["written"]) == (True, False)
    assert result["counts"] == {"created": 1, "changed": 1, "unchanged": 0}
    created, changed = result["reports"]
    assert (created["action"], created["submission_id"], created["errors"]) == ("created", None, 0)
    assert (changed["action"], changed["changed_cells"]) == ("changed", ["cash.current"])
    assert not Submission.objects.filter(enterprise=cast.a11).exists()
    existing.refresh_from_db()
    assert existing.cells["cash.current"] == 200 * WAN
    assert ValueVersion.objects.count() == 1
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    "second, key",
    [
        ("outside", "reports.1.enterprise"),
        ("bad_cell", "reports.1.cells.cash.current"),
        ("duplicate", "reports.1"),
        ("leaf_standalone", "reports.1"),
        ("bad_scope", "reports.1.scope"),
    ],
)
def test_a_batch_with_any_problem_writes_nothing(call, cast, fast_report, second, key):
    bad = {
        "outside": report(cast.b1),
        "bad_cell": report(cast.a2, **{"cash.current": "abc"}),
        "duplicate": report(cast.a11),
        "leaf_standalone": report(cast.a2, scope="standalone"),
        "bad_scope": report(cast.a2, scope="both"),
    }[second]
    for dry_run in ("false", "true"):
        response = call(
            cast.reporter, "post", "/reports/batch", batch(report(cast.a11), bad), dry_run=dry_run
        )
        fields = assert_error(response, 400, "batch")
        assert list(fields) == [key]
    assert not Submission.objects.exists()
    assert not ValueVersion.objects.exists()


def test_a_batch_into_a_locked_report_names_it(call, cast, fast_report):
    locked = draft(cast, fast_report, cast.a2)
    services.submit(acting_user=None, submission=locked)
    response = call(
        cast.reporter, "post", "/reports/batch", batch(report(cast.a11), report(cast.a2))
    )
    fields = assert_error(response, 400, "batch")
    assert list(fields) == ["reports.1"]
    assert not Submission.objects.filter(enterprise=cast.a11).exists()


def test_a_supervisor_pushes_no_reports(call, cast, fast_report):
    response = call(
        cast.analyst, "post", "/reports/batch", batch(report(cast.a11), report(cast.b1))
    )
    assert set(assert_error(response, 400, "batch")) == {"reports.0", "reports.1"}
    assert not Submission.objects.exists()


def test_a_batch_request_must_name_a_form_a_period_and_reports(call, cast, fast_report):
    response = call(cast.reporter, "post", "/reports/batch", batch(form="nope", period="2026-13"))
    assert set(assert_error(response, 422, "invalid")) == {"form", "period", "reports"}
    response = call(cast.reporter, "post", "/reports/batch", {"form": "fast_report"})
    assert_error(response, 422, "invalid")


# -- completeness ------------------------------------------------------------------------------


def test_completeness_counts_within_the_callers_view(call, cast, fast_report):
    submitted = draft(cast, fast_report, cast.a11)
    services.submit(acting_user=None, submission=submitted)
    draft(cast, fast_report, cast.b1)
    body = call(cast.analyst, "get", "/completeness", form="fast_report", period=JULY).json()
    counts = body["counts"]
    assert counts["received"] == 1 and counts["draft"] == 1
    assert counts["expected"] == counts["received"] + counts["missing"]
    assert body["today"] == "2026-08-28"
    late = {(row["enterprise"]["id"], row["scope"]) for row in body["late"]}
    assert (cast.a11.id, "consolidated") not in late  # received (late or not, it is in)
    assert (cast.b1.id, "consolidated") in late  # a draft past its deadline
    assert {"group", "city", "industry"} <= set(body["by"])

    own = call(cast.outsider, "get", "/completeness", form="fast_report", period=JULY).json()
    assert {row["enterprise"]["id"] for row in own["late"]} <= {cast.b.id, cast.b1.id}
    assert own["counts"]["expected"] == 3  # B consolidated and standalone, B1
    assert own["counts"]["received"] == 0


def test_completeness_needs_a_known_form_and_period(call, cast, fast_report):
    response = call(cast.analyst, "get", "/completeness", form="nope", period="soon")
    assert set(assert_error(response, 422, "invalid")) == {"form", "period"}
    assert_error(call(cast.analyst, "get", "/completeness"), 422, "invalid")


def test_a_service_error_naming_a_field_with_one_message_is_sent_as_a_list():
    with pytest.raises(DomainError) as caught, listed_fields():
        raise DomainError("x", fields={"cash.current": "not a number", "__all__": ["a", "b"]})
    assert caught.value.fields == {"cash.current": ["not a number"], "__all__": ["a", "b"]}


# -- templates ---------------------------------------------------------------------------------


def template_rows(response) -> tuple[list[str], list[list]]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    sheets = workbook.sheet_names
    data = [name for name in sheets if name != META_SHEET]
    return sheets, workbook.get_sheet_by_name(data[0]).to_python()


def test_a_template_holds_the_enterprise_and_its_subsidiaries_with_their_values(
    call, cast, fast_report
):
    draft(cast, fast_report, cast.a11)
    query = {"form": "fast_report", "period": JULY, "enterprise": cast.a1.uscc}
    response = call(cast.reporter, "get", "/templates", **query, subsidiaries="true")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert f"fast_report-2026-07-{cast.a1.uscc}.xlsx" in response["Content-Disposition"]
    sheets, rows = template_rows(response)
    assert META_SHEET in sheets
    identifiers = [row[0] for row in rows[1:]]
    assert identifiers == [cast.a1.uscc, cast.a1.uscc, cast.a11.uscc]  # A1 files both scopes
    column = [str(h).split("|")[0] for h in rows[0]].index("货币资金")  # its current column
    assert float(rows[3][column]) == 200.0  # A11's cash, already entered

    alone = call(cast.reporter, "get", "/templates", **query)
    assert [row[0] for row in template_rows(alone)[1][1:]] == [cast.a1.uscc, cast.a1.uscc]


def test_templates_are_scoped(call, cast, fast_report):
    query = {"form": "fast_report", "period": JULY, "enterprise": cast.a.uscc}
    response = call(cast.outsider, "get", "/templates", **query)
    assert list(assert_error(response, 422, "invalid")) == ["enterprise"]
    assert_error(call(cast.sysadmin, "get", "/templates", **query), 403, "forbidden")
    response = call(cast.reporter, "get", "/templates", **query, layout="columns")
    assert_error(response, 400, "layout")


def test_a_batch_names_an_identifier_shared_by_two_enterprises(call, cast, fast_report):
    for body, country in (("F0000001", "SG"), ("F0000002", "DE")):
        make_enterprise(
            None,
            name=f"海外子公司{country}",
            supervisor=cast.ln,
            parent=cast.a2,
            body=body,
            foreign_reg_no="2019-0042",
            foreign_country=country,
        )
    reports = [
        {"enterprise": "2019-0042", "cells": clean_cells()},
        {"enterprise": "SG:2019-0042", "cells": clean_cells()},
    ]
    response = call(cast.reporter, "post", "/reports/batch", batch(*reports))
    fields = assert_error(response, 400, "batch")
    assert list(fields) == ["reports.0.enterprise"]  # the country makes the second one unique
    assert "2019-0042" in fields["reports.0.enterprise"][0]
    assert not Submission.objects.exists()
