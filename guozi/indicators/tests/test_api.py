"""The indicators API: frameworks, periods, figures by unit, an enterprise over time, explaining
a figure and a roll-up; the same scoping as the pages; bad input named field by field."""

import io

import pytest
from openpyxl import load_workbook

from guozi.accounts.services import token_create
from guozi.api.tests.helpers import assert_error
from guozi.audit.models import AuditEvent
from guozi.reporting.models import Submission

from .test_views import JULY, JUNE, compute_figures

BASE = "/api/v1/indicators"


@pytest.fixture
def computed(cast, fast_report):
    return compute_figures(cast, fast_report)


@pytest.fixture
def call(client):
    """`call(user, path, **query)`: a GET with the user's token (or none for None)."""
    keys: dict[int, str] = {}

    def get(user, path: str, **query):
        headers = {}
        if user is not None:
            if user.id not in keys:
                keys[user.id] = token_create(acting_user=None, user=user)[1]
            headers["Authorization"] = f"Bearer {keys[user.id]}"
        return client.get(BASE + path, query, headers=headers)

    return get


def figures_by_label(body: dict, code: str) -> dict:
    return {item["unit"]["label"]: item["figures"][code] for item in body["items"]}


@pytest.mark.parametrize(
    "path",
    [
        "/frameworks",
        "/periods",
        "/values",
        "/enterprises/1/series",
        "/explain?code=roe&enterprise=1",
        "/contributions?code=roe",
    ],
)
def test_without_a_token_every_operation_is_401(call, path):
    assert_error(call(None, path), 401, "unauthenticated")


def test_administrators_read_no_figures(computed, cast, call):
    assert_error(call(cast.sysadmin, "/values"), 403, "forbidden")


def test_the_frameworks_give_indicators_sets_and_health_thresholds(computed, cast, call):
    response = call(cast.reporter, "/frameworks")
    assert response.status_code == 200
    framework = response.json()[0]
    indicators = {i["code"]: i for i in framework["indicators"]}
    assert indicators["roe"]["numerator"] == "annualized(net_profit)"
    assert indicators["roe"]["variant"]["alternatives"]
    assert indicators["debt_ratio"]["direction"] == "lower"
    sets = {s["code"]: s for s in framework["sets"]}
    assert sets["yili_wulv_2025"]["assessed_from"] == 2025
    assert "cash_collection_ratio" in sets["yili_wulv_2025"]["indicators"]
    ratios = {r["code"]: r for r in framework["health_check"]["ratios"]}
    assert ratios["hc_roa"]["thresholds"] == [0.1, 0.05, 0.0, -0.1]
    assert ratios["hc_transfers"]["enabled"] is False
    assert framework["health_check"]["altman"]["zones"] == [1.1, 2.6]


def test_the_computed_periods_newest_first(computed, cast, call):
    body = call(cast.analyst, "/periods").json()
    assert [p["period"] for p in body["periods"]] == [JULY, JUNE]
    assert body["basis"] == "fast" and body["periods"][0]["computed_at"]


def test_the_portfolio_with_approved_data_and_including_submitted(computed, cast, call):
    approved = call(cast.analyst, "/values", unit="portfolio", period=JULY, code="total_profit")
    assert approved.status_code == 200
    figure = approved.json()["items"][0]["figures"]["total_profit"]
    assert figure == {
        "value": 300,
        "status": "ok",
        "prior": 270,
        "prior_status": "ok",
        "change": pytest.approx(30 / 270),
        "change_kind": "growth",
    }
    submitted = call(
        cast.analyst, "/values", unit="portfolio", code="total_profit", data_status="submitted"
    ).json()
    assert submitted["items"][0]["figures"]["total_profit"]["value"] == 500
    assert submitted["items"][0]["unit"]["members"] == 2


def test_a_ratio_changes_in_points_and_a_missing_comparative_is_null(computed, cast, call):
    body = call(cast.analyst, "/values", unit="portfolio", code="debt_ratio,roe").json()
    debt = body["items"][0]["figures"]["debt_ratio"]
    # The balance-sheet comparative is a year earlier as filed: no July 2025 report here.
    assert debt["value"] == pytest.approx(0.6) and debt["prior"] is None
    assert debt["prior_status"] == "missing" and debt["change"] is None
    assert debt["change_kind"] == "pp"


def test_missing_and_undefined_figures_are_null_and_say_which(computed, cast, call):
    body = call(cast.analyst, "/values", code="rd_intensity", supervisor="ln").json()
    figures = figures_by_label(body, "rd_intensity")
    assert figures[cast.a11.name]["value"] is None
    assert figures[cast.a11.name]["status"] == "undefined"
    assert figures[cast.a2.name] == {
        "value": None,
        "status": "missing",
        "prior": pytest.approx(25 * 0.5 / (1050 * 0.5)),
        "prior_status": "ok",
        "change": None,
        "change_kind": "pp",
    }


def test_an_enterprise_user_gets_their_subtree_and_no_roll_ups(computed, cast, call):
    body = call(cast.reporter, "/values", data_status="submitted", limit=1000).json()
    ids = {item["unit"]["enterprise"]["id"] for item in body["items"]}
    assert ids == {cast.a.id, cast.a1.id, cast.a11.id, cast.a2.id}
    for unit in ("portfolio", "city", "industry", "class"):
        response = call(cast.reporter, "/values", unit=unit)
        assert response.status_code == 200
        assert response.json()["items"] == [], unit
    by_identifier = call(cast.reporter, "/values", enterprise=cast.b.uscc).json()
    assert by_identifier["items"] == []


def test_groups_and_ranking_by_an_indicator(computed, cast, call):
    body = call(
        cast.analyst, "/values", groups="true", sort="total_profit", data_status="submitted"
    ).json()
    ranked = [(item["rank"], item["unit"]["enterprise"]["id"]) for item in body["items"]]
    # Both supervisors' groups (no supervisor asked for): A 300, B 200, D 100.
    assert ranked == [(1, cast.a.id), (2, cast.b.id), (3, cast.d.id)]
    one = call(cast.analyst, "/values", groups="true", supervisor="dl").json()
    assert [item["unit"]["enterprise"]["id"] for item in one["items"]] == [cast.d.id]
    page = call(cast.analyst, "/values", sort="total_profit", limit=2, offset=1).json()
    assert page["total"] == 6 and len(page["items"]) == 2 and page["items"][0]["rank"] == 2


def test_roll_ups_of_a_lower_supervisor_but_not_of_a_higher_one(computed, cast, call):
    body = call(cast.analyst, "/values", unit="city", supervisor="dl").json()
    assert [item["unit"]["unit_code"] for item in body["items"]] == ["210200"]
    response = call(cast.dl_analyst, "/values", unit="portfolio", supervisor="ln")
    fields = assert_error(response, 422, "invalid")
    assert "supervisor" in fields


def test_the_health_check_comes_with_every_unit(computed, cast, call):
    body = call(cast.analyst, "/values", enterprise=cast.a2.uscc, code="hc_roe").json()
    health = body["items"][0]["health"]
    assert health["bands"]["hc_roe"] == 5 and "hc_roe" in health["forced"]
    assert 1 <= health["rating"] <= 5 and health["zone"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "2031-01"}, "period"),
        ({"form": "nope"}, "form"),
        ({"data_status": "draft"}, "data_status"),
        ({"unit": "galaxy"}, "unit"),
        ({"code": "roe,nope"}, "code"),
        ({"sort": "nope"}, "code"),
        ({"scope": "group"}, "scope"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_bad_input_is_named(computed, cast, call, query, field):
    fields = assert_error(call(cast.analyst, "/values", **query), 422, "invalid")
    assert field in fields


def test_an_enterprise_over_time(computed, cast, call):
    body = call(cast.reporter, f"/enterprises/{cast.a.id}/series", code="total_profit").json()
    assert body["periods"] == [JUNE, JULY]
    assert [p["value"] for p in body["series"]["total_profit"]] == [250, 300]
    assert set(body["series"]) == {"total_profit"}
    standalone = call(
        cast.reporter, f"/enterprises/{cast.a.id}/series", scope="standalone", code="net_profit"
    ).json()
    assert [p["value"] for p in standalone["series"]["net_profit"]] == [67.5, 75]


@pytest.mark.parametrize("username", ["reporter", "sub_reporter", "outsider"])
def test_an_enterprise_out_of_view_is_404_like_an_unknown_one(computed, cast, call, username):
    user = getattr(cast, username)
    hidden = cast.d
    response = call(user, f"/enterprises/{hidden.id}/series")
    assert_error(response, 404, "not_found")
    assert call(user, "/enterprises/999999/series").json() == response.json()
    explained = call(user, "/explain", code="roe", enterprise=hidden.uscc, period=JULY)
    assert_error(explained, 404, "not_found")
    unknown = call(user, "/explain", code="roe", enterprise="91210000000000000X", period=JULY)
    assert unknown.json() == explained.json()


def test_explaining_an_enterprise_figure(computed, cast, call):
    body = call(cast.reporter, "/explain", code="roe", enterprise=cast.a.uscc).json()
    assert body["value"] == pytest.approx((75 * 3 * 12 / 7) / ((750 + 800) * 3 / 2))
    assert body["stored"]["value"] == pytest.approx(body["value"])
    report = Submission.objects.get(enterprise=cast.a, period=JULY, scope="consolidated")
    sources = {i["key"]: i["source"] for i in body["inputs"]}
    assert sources["field:owners_equity@opening"]["column"] == "opening"
    assert {s["submission_id"] for s in sources.values()} == {report.id}
    undefined = call(cast.analyst, "/explain", code="rd_intensity", enterprise=cast.a11.uscc)
    assert undefined.json()["status"] == "undefined" and undefined.json()["value"] is None


def test_explaining_a_roll_up_lists_its_members(computed, cast, call):
    body = call(
        cast.analyst,
        "/contributions",
        code="total_profit",
        unit="portfolio",
        data_status="submitted",
    ).json()
    assert body["stored"]["value"] == 500
    shares = {item["enterprise"]["id"]: item["share"] for item in body["items"]}
    assert shares == {cast.a.id: pytest.approx(0.6), cast.b.id: pytest.approx(0.4)}
    city = call(
        cast.analyst, "/contributions", code="debt_ratio", unit="city", unit_code="210100"
    ).json()
    assert {(i["enterprise"]["id"], i["scope"]) for i in city["items"]} == {
        (cast.a.id, "standalone"),
        (cast.a1.id, "standalone"),
    }


def test_roll_up_explanations_are_404_outside_ones_roll_ups(computed, cast, call):
    assert_error(call(cast.reporter, "/contributions", code="roe"), 404, "not_found")
    response = call(cast.dl_analyst, "/contributions", code="roe", supervisor="ln")
    assert_error(response, 404, "not_found")
    response = call(cast.analyst, "/contributions", code="roe", unit="city", unit_code="999999")
    assert_error(response, 404, "not_found")


def test_the_values_as_a_workbook_are_audited(computed, cast, call):
    response = call(cast.analyst, "/values", unit="portfolio", code="total_profit", format="xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [row for row in sheet.iter_rows(values_only=True) if row[0] == cast.ln.name]
    assert values[0][2] == 300
    event = AuditEvent.objects.get(action="export")
    assert event.actor == cast.analyst and event.after["table"].startswith("indicators-values")
