"""The alerts API: the same scoping as the pages (an alert or supervisor outside one's view is
404 like an unknown one; only the supervisor's analysts and reviewers change anything), filters
checked field by field, targets, lines, rules with back-tests and switches, stress tests."""

import json

import pytest
from django.conf import settings

from guozi.accounts.services import token_create
from guozi.api.tests.helpers import assert_error
from guozi.audit.models import AuditEvent
from guozi.indicators import services
from guozi.indicators.definitions import Scenario
from guozi.indicators.models import (
    Alert,
    AlertRuleSwitch,
    AlertStatus,
    DebtLinePolicy,
    IndustryBaseline,
    Target,
)
from guozi.indicators.stress import stress_test
from guozi.lib.periods import Period

from .conftest import put_report

BASE = "/api/v1/alerts"
JUNE, JULY = "2026-06", "2026-07"


@pytest.fixture
def call(client):
    """`call(user, method, path, body=None, **query)` with the user's token (None: none)."""
    keys: dict[int, str] = {}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def request(user, method: str, path: str, body=None, /, **query):
        headers = {}
        if user is not None:
            if user.id not in keys:
                keys[user.id] = token_create(acting_user=None, user=user)[1]
            headers["Authorization"] = f"Bearer {keys[user.id]}"
        if method == "get":
            return client.get(BASE + path, query, headers=headers)
        return getattr(client, method)(
            BASE + path,
            data=json.dumps(body or {}),
            content_type="application/json",
            headers=headers,
        )

    return request


@pytest.fixture
def raised(cast, fast_report):
    for period in (JUNE, JULY):
        put_report(fast_report, cast.a, period, **{"net_profit.current": "-20"})
    put_report(fast_report, cast.b, JULY, **{"net_profit.current": "-5"})
    put_report(fast_report, cast.d, JULY, **{"net_profit.current": "-5"})
    services.compute(periods=[Period.parse(JUNE), Period.parse(JULY)])
    return {
        e: Alert.objects.get(enterprise=e, rule="net_loss_ytd") for e in (cast.a, cast.b, cast.d)
    }


def enterprises(body) -> set[int]:
    return {item["enterprise"]["id"] for item in body["items"]}


OPERATIONS = [
    ("get", ""),
    ("get", "/1"),
    ("post", "/1/acknowledge"),
    ("post", "/1/rectify"),
    ("get", "/targets"),
    ("put", "/targets"),
    ("get", "/lines"),
    ("put", "/lines/method"),
    ("put", "/lines/baselines"),
    ("delete", "/lines/baselines/1"),
    ("get", "/rules"),
    ("post", "/rules/net_loss_ytd/backtest"),
    ("post", "/rules/net_loss_ytd/switch"),
    ("get", "/stress"),
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_without_a_token_every_operation_is_401(call, cast, method, path):
    assert_error(call(None, method, path), 401, "unauthenticated")


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_administrators_may_not_use_any_operation(call, cast, method, path):
    # An operation on one alert or baseline first looks it up in the caller's view: 404.
    one = path.endswith("/1") or "/1/" in path
    expected = (404, "not_found") if one else (403, "forbidden")
    assert_error(call(cast.sysadmin, method, path), *expected)


def test_each_user_lists_the_alerts_of_what_they_may_read(raised, cast, call):
    body = call(cast.analyst, "get", "", rule="net_loss_ytd").json()
    assert enterprises(body) == {cast.a.id, cast.b.id, cast.d.id}
    assert body["counts"]["by_rule"] == [
        {"rule": "net_loss_ytd", "name": "Net loss for the year to date", "count": 3}
    ]
    assert enterprises(call(cast.dl_analyst, "get", "", rule="net_loss_ytd").json()) == {cast.d.id}
    assert enterprises(call(cast.reporter, "get", "", rule="net_loss_ytd").json()) == {cast.a.id}
    body = call(cast.analyst, "get", "", rule="net_loss_ytd", supervisor="dl").json()
    assert enterprises(body) == {cast.d.id}
    [item] = body["items"]
    assert item["message"] == "Net profit for the year to date -5.00 万元"
    assert item["can_act"] is False  # Liaoning reads Dalian's alerts, acts on none
    body = call(cast.analyst, "get", "", rule="net_loss_ytd", period_to=JUNE, limit=1).json()
    assert body["total"] == 1 and enterprises(body) == {cast.a.id}


def test_bad_filters_are_named_field_by_field(raised, cast, call):
    fields = assert_error(
        call(
            cast.dl_analyst,
            "get",
            "",
            status="closed",
            rule="nope",
            supervisor="ln",
            period_from="soon",
        ),
        422,
        "invalid",
    )
    assert set(fields) == {"status", "rule", "supervisor", "period_from"}


def test_an_alert_outside_ones_view_is_404_like_an_unknown_one(raised, cast, call):
    hidden = raised[cast.b].id
    for method, suffix in (("get", ""), ("post", "/acknowledge"), ("post", "/rectify")):
        response = call(cast.reporter, method, f"/{hidden}{suffix}")
        assert_error(response, 404, "not_found")
        assert call(cast.reporter, method, f"/999999{suffix}").json() == response.json()
    assert Alert.objects.get(id=hidden).status == AlertStatus.OPEN
    detail = call(cast.reporter, "get", f"/{raised[cast.a].id}").json()
    assert detail["condition"] == "net_profit < 0"
    assert [e["action"] for e in detail["events"]] == ["raised"]


def test_only_the_alerts_supervisor_acknowledges_and_rectifies(raised, cast, call):
    dalian = raised[cast.d].id
    assert_error(call(cast.analyst, "post", f"/{dalian}/acknowledge"), 403, "forbidden")
    assert_error(call(cast.reporter, "post", f"/{raised[cast.a].id}/acknowledge"), 403, "forbidden")
    body = call(cast.dl_analyst, "post", f"/{dalian}/acknowledge", {"note": "seen"}).json()
    assert body["status"] == "acknowledged" and body["events"][-1]["note"] == "seen"
    again = call(cast.dl_analyst, "post", f"/{dalian}/acknowledge")
    assert_error(again, 400, "alert_state")
    past = call(cast.analyst, "post", f"/{raised[cast.a].id}/rectify", {"due_date": "2026-01-01"})
    assert "due_date" in assert_error(past, 400, "invalid")
    body = call(
        cast.analyst, "post", f"/{raised[cast.a].id}/rectify", {"due_date": "2026-10-31"}
    ).json()
    assert body["rectification"] is not None
    assert body["events"][-1]["action"] == "rectification"


def test_targets_read_and_set(raised, cast, call):
    body = call(cast.analyst, "get", "/targets", year=2026).json()
    assert body["indicator_set"] == "yili_wulv_2025" and body["period"] == JULY
    assert {g["enterprise"]["id"] for g in body["groups"]} == {cast.a.id, cast.b.id}
    payload = {
        "supervisor": "ln",
        "year": 2026,
        "targets": [
            {"enterprise": cast.a.uscc, "indicator": "total_profit", "value": 400},
            {"enterprise": str(cast.a.id), "indicator": "debt_ratio", "value": 0.65},
        ],
    }
    assert_error(call(cast.reporter, "put", "/targets", payload), 403, "forbidden")
    assert_error(call(cast.dl_analyst, "put", "/targets", payload), 404, "not_found")
    assert not Target.objects.exists()
    saved = call(cast.analyst, "put", "/targets", payload).json()
    assert (saved["created"], saved["recomputed"]) == (2, [JUNE, JULY])
    [group] = [g for g in saved["targets"]["groups"] if g["enterprise"]["id"] == cast.a.id]
    assert group["targets"]["total_profit"]["completion"] == pytest.approx(0.25)
    assert group["targets"]["total_profit"]["on_track"] is False  # 25% with 58% of the year gone
    assert group["targets"]["debt_ratio"]["on_track"] is True  # 60% under a 65% ceiling
    reader = call(cast.reporter, "get", "/targets", year=2026).json()
    assert [g["enterprise"]["id"] for g in reader["groups"]] == [cast.a.id]
    assert reader["can_change"] is False


def test_a_bad_target_saves_nothing(raised, cast, call):
    payload = {
        "supervisor": "ln",
        "year": 2026,
        "targets": [
            {"enterprise": cast.a.uscc, "indicator": "total_profit", "value": 400},
            {"enterprise": cast.d.uscc, "indicator": "total_profit", "value": 1},
            {"enterprise": cast.b.uscc, "indicator": "net_profit", "value": 1},
        ],
    }
    fields = assert_error(call(cast.analyst, "put", "/targets", payload), 400, "invalid")
    assert set(fields) == {"targets.1", "targets.2"}
    assert "not assessed in 2026" in fields["targets.2"][0]
    assert not Target.objects.exists()


def test_lines_method_and_baselines(raised, cast, call):
    baseline = {"supervisor": "ln", "year": 2026, "industry": "C", "baseline": 0.56}
    assert_error(call(cast.leader, "put", "/lines/baselines", baseline), 403, "forbidden")
    fields = assert_error(
        call(cast.analyst, "put", "/lines/baselines", {**baseline, "baseline": 1.5}),
        400,
        "invalid",
    )
    assert set(fields) == {"baseline"}
    saved = call(cast.analyst, "put", "/lines/baselines", baseline).json()
    assert saved["warning_line"] == pytest.approx(0.61)
    body = call(cast.reporter, "get", "/lines", year=2026).json()
    assert body["method"] == "guideline" and body["unconfirmed"] == ["research"]
    [group] = body["groups"]
    assert (group["warning_line"], group["key_line"]) == pytest.approx((0.61, 0.66))
    assert group["state"] == "below"
    method = {"supervisor": "ln", "method": "sasac_fixed"}
    assert_error(call(cast.dl_analyst, "put", "/lines/method", method), 404, "not_found")
    assert_error(
        call(cast.analyst, "put", "/lines/method", {**method, "method": "x"}), 422, "invalid"
    )
    body = call(cast.analyst, "put", "/lines/method", method).json()
    assert body["method"] == "sasac_fixed"
    assert DebtLinePolicy.objects.get(supervisor=cast.ln).method == "sasac_fixed"
    assert_error(
        call(cast.dl_analyst, "delete", f"/lines/baselines/{saved['id']}"), 404, "not_found"
    )
    assert call(cast.analyst, "delete", f"/lines/baselines/{saved['id']}").status_code == 204
    assert not IndustryBaseline.objects.exists()


def test_rules_back_test_and_switch(raised, cast, call):
    rules = call(cast.reporter, "get", "/rules").json()
    assert rules["can_change"] is False
    assert {r["code"] for r in rules["rules"]} >= {"net_loss_ytd", "report_overdue"}
    span = {"supervisor": "ln", "period_from": JUNE, "period_to": JULY}
    assert_error(
        call(cast.reporter, "post", "/rules/net_loss_ytd/backtest", span), 403, "forbidden"
    )
    tested = call(cast.analyst, "post", "/rules/net_loss_ytd/backtest", span).json()
    assert tested["raised"] == 2 and tested["by_period"] == {JUNE: 1, JULY: 1}
    assert {e["enterprise"]["id"] for e in tested["enterprises"]} == {cast.a.id, cast.b.id}
    assert not AlertRuleSwitch.objects.exists()  # a back-test stores nothing
    bad = call(
        cast.analyst, "post", "/rules/net_loss_ytd/backtest", {**span, "period_to": "2025-01"}
    )
    assert "period_to" in assert_error(bad, 400, "invalid")
    assert_error(call(cast.analyst, "post", "/rules/nope/backtest", span), 404, "not_found")
    off = {"supervisor": "ln", "enabled": False}
    assert_error(
        call(cast.analyst, "post", "/rules/net_loss_ytd/switch", {**off, "supervisor": "dl"}),
        403,
        "forbidden",
    )
    body = call(cast.analyst, "post", "/rules/net_loss_ytd/switch", off).json()
    assert body["rule"]["enabled"] is False and body["backtest"] is None
    on = {"supervisor": "ln", "enabled": True}
    assert "period_from" in assert_error(
        call(cast.analyst, "post", "/rules/net_loss_ytd/switch", on), 422, "invalid"
    )
    body = call(cast.analyst, "post", "/rules/net_loss_ytd/switch", {**on, **span}).json()
    assert body["rule"]["enabled"] is True and body["backtest"]["raised"] == 2
    stored = AlertRuleSwitch.objects.get(supervisor=cast.ln, rule="net_loss_ytd")
    assert stored.enabled and stored.backtest["raised"] == 2
    assert AuditEvent.objects.filter(object_type="indicators.alertruleswitch").count() == 2


def test_the_stress_test_answers_what_stress_test_computes(raised, cast, fast_report, call):
    IndustryBaseline.objects.create(supervisor=cast.ln, year=2026, industry="C", baseline=0.56)
    body = call(cast.analyst, "get", "/stress", scenario="severe").json()
    severe = Scenario(
        "severe", "严重冲击", "Severe shock", revenue=-0.15, operating_cost=0.05, interest_bp=200
    )
    expected = stress_test(cast.analyst, fast_report, severe, Period.parse(JULY))
    assert body["period"] == JULY and body["enterprises"] == expected.enterprises == 3
    assert body["counts"] == {
        flag: expected.count(flag)
        for flag in ("turns_loss", "crosses_warning", "crosses_key", "rating_worse")
    }
    assert [o["enterprise"]["id"] for o in body["outcomes"]] == [
        o.enterprise_id for o in expected.outcomes
    ]
    mine = call(cast.reporter, "get", "/stress", scenario="custom", revenue=-50).json()
    assert mine["enterprises"] == 1 and mine["scenario"]["revenue"] == -0.5
    bad = call(cast.analyst, "get", "/stress", scenario="custom", revenue=-300, tax_rate=120)
    assert set(assert_error(bad, 400, "invalid")) == {"revenue", "tax_rate"}
    assert_error(call(cast.analyst, "get", "/stress", scenario="nope"), 422, "invalid")
    assert_error(
        call(cast.analyst, "get", "/stress", scenario="mild", period="2019-01"), 422, "invalid"
    )
