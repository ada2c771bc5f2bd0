"""Alert rules: raised once per enterprise and rule, open across periods until cleared, linked
to a rectification; lines, targets, health, overdue reports; switches and back-tests."""

from datetime import date

import pytest

from guozi.indicators import services
from guozi.indicators.frameworks import framework_of
from guozi.indicators.lines import DebtLines, fixed_type
from guozi.indicators.models import (
    Alert,
    AlertStatus,
    DebtLineMethod,
    DebtLinePolicy,
    IndicatorFramework,
    IndustryBaseline,
    Target,
)
from guozi.lib.errors import DomainError, Forbidden
from guozi.lib.periods import Period

from .conftest import put_report


def months(*names):
    return [Period.parse(n) for n in names]


def alerts_of(enterprise, rule):
    return list(Alert.objects.filter(enterprise=enterprise, rule=rule).order_by("id"))


def rule(code):
    framework = framework_of(IndicatorFramework.objects.get(code="sasac"))
    return next(r for r in framework.alerts if r.code == code)


def test_a_loss_raises_one_alert_that_stays_open_until_it_clears(cast, fast_report):
    loss = {"net_profit.current": "-20"}
    put_report(fast_report, cast.d, "2026-05", **loss)
    put_report(fast_report, cast.d, "2026-06", **loss)
    put_report(fast_report, cast.d, "2026-07")
    services.compute(periods=months("2026-05", "2026-06"))
    [alert] = alerts_of(cast.d, "net_loss_ytd")
    assert (alert.status, alert.first_period, alert.last_period) == ("open", "2026-05", "2026-06")
    assert "-20.00 万元" in alert.message_zh and "Net profit" in alert.message_en
    services.compute(periods=months("2026-05", "2026-06"))  # again: nothing new
    assert len(alerts_of(cast.d, "net_loss_ytd")) == 1
    services.compute(periods=months("2026-07"))
    alert.refresh_from_db()
    assert (alert.status, alert.cleared_period) == ("cleared", "2026-07")
    assert [e.action for e in alert.events.all()] == ["raised", "cleared"]


def test_recomputing_an_older_period_does_not_clear_a_later_breach(cast, fast_report):
    put_report(fast_report, cast.d, "2026-05")
    put_report(fast_report, cast.d, "2026-06", **{"net_profit.current": "-5"})
    services.compute(periods=months("2026-05", "2026-06"))
    services.compute(periods=months("2026-05"))
    [alert] = alerts_of(cast.d, "net_loss_ytd")
    assert alert.status == "open"


def test_debt_lines_by_the_guideline_and_by_the_fixed_preset(cast, fast_report):
    # D is in G54 (transport): non-industrial. Debt ratio of the clean report: 60%.
    IndustryBaseline.objects.create(supervisor=cast.dl, year=2026, industry="G", baseline=0.52)
    put_report(fast_report, cast.d, "2026-07")
    services.compute(periods=months("2026-07"))
    [alert] = alerts_of(cast.d, "debt_over_warning_line")
    assert "57.0%" in alert.message_zh  # 52% + 5 points
    assert not alerts_of(cast.d, "debt_over_key_line")  # 62% not reached
    DebtLinePolicy.objects.create(supervisor=cast.dl, method=DebtLineMethod.SASAC_FIXED)
    assert DebtLines().lines(cast.dl.id, cast.d.id, 2026) == (0.70, 0.75)
    put_report(fast_report, cast.d, "2026-08")
    services.compute(periods=months("2026-08"))
    alert.refresh_from_db()
    assert alert.status == "cleared"


def test_a_division_baseline_wins_and_types_follow_gbt_4754():
    assert fixed_type("C31") == "industrial"
    assert fixed_type("D44") == "industrial"
    assert fixed_type("M73") == "research"
    assert fixed_type("G54") == "non_industrial"


def test_without_a_baseline_no_line_and_no_alert(cast, fast_report):
    put_report(fast_report, cast.d, "2026-07", **{"total_liabilities.current": "1900"})
    services.compute(periods=months("2026-07"))
    assert not Alert.objects.filter(rule__startswith="debt_").exists()


def test_three_months_of_losses(cast, fast_report):
    # Year-to-date net profit falls each month from April: monthly losses in May, June, July.
    for period, ytd in (("2026-04", "75"), ("2026-05", "60"), ("2026-06", "40"), ("2026-07", "10")):
        put_report(fast_report, cast.d, period, **{"net_profit.current": ytd})
    services.compute(periods=months("2026-04", "2026-05", "2026-06", "2026-07"))
    [alert] = alerts_of(cast.d, "losses_three_months")
    assert alert.first_period == "2026-07"  # the third month in a row
    assert not alerts_of(cast.d, "net_loss_ytd")


def test_profit_behind_the_time_elapsed(cast, fast_report):
    Target.objects.create(
        supervisor=cast.dl, enterprise=cast.d, year=2026, indicator="total_profit", value=400
    )
    put_report(fast_report, cast.d, "2026-07")  # 100 of 400 with 7/12 of the year gone
    services.compute(periods=months("2026-07"))
    [alert] = alerts_of(cast.d, "profit_behind_time")
    assert "25.0%" in alert.message_zh and "58.3%" in alert.message_zh


def test_a_poor_health_rating_raises_an_alert(cast, fast_report):
    from guozi.indicators.models import UnitKind
    from guozi.indicators.selectors import unit_figures

    distress = {
        "owners_equity.current": "-100",
        "owners_equity.opening": "-50",
        "net_profit.current": "-40",
        "total_profit.current": "-30",
        "current_assets.current": "300",
        "cfo_net.current": "-20",
    }
    put_report(fast_report, cast.d, "2026-07", **distress)
    put_report(fast_report, cast.b, "2026-07")
    services.compute(periods=months("2026-07"))
    [figures] = unit_figures(cast.dl_analyst, fast_report, "2026-07", unit_kind=UnitKind.ENTERPRISE)
    _score, rating = figures.rating()
    assert rating >= 4
    [alert] = alerts_of(cast.d, "health_poor")
    assert f"{rating}" in alert.message_en
    assert not alerts_of(cast.b, "health_poor")


def test_a_report_missing_after_its_deadline(cast, fast_report, settings):
    settings.GUOZI_TODAY = "2026-08-28"  # July's fast reports were due in mid-August
    put_report(fast_report, cast.b, "2026-07")
    services.compute(periods=months("2026-07"))
    overdue = set(Alert.objects.filter(rule="report_overdue").values_list("enterprise", flat=True))
    assert cast.d.id in overdue and cast.a.id in overdue
    assert cast.b.id not in overdue


def test_a_supervisor_can_switch_a_rule_off_after_a_backtest(cast, fast_report):
    put_report(fast_report, cast.d, "2026-06", **{"net_profit.current": "-5"})
    put_report(fast_report, cast.d, "2026-07", **{"net_profit.current": "-5"})
    tested = services.backtest(rule=rule("net_loss_ytd"), periods=months("2026-06", "2026-07"))
    assert tested["raised"] == 1 and tested["by_period"] == {"2026-06": 1}
    assert tested["open_at_end"] == 1
    assert not Alert.objects.exists()  # a back-test stores nothing
    with pytest.raises(DomainError) as refused:
        services.rule_switch(
            acting_user=cast.dl_analyst, supervisor_id=cast.dl.id, rule_code="net_loss_ytd",
            enabled=True,
        )  # fmt: skip
    assert refused.value.code == "backtest_first"
    services.rule_switch(
        acting_user=cast.dl_analyst, supervisor_id=cast.dl.id, rule_code="net_loss_ytd",
        enabled=False,
    )  # fmt: skip
    services.compute(periods=months("2026-06", "2026-07"))
    assert not alerts_of(cast.d, "net_loss_ytd")
    with pytest.raises(Forbidden):
        services.rule_switch(
            acting_user=cast.analyst, supervisor_id=cast.dl.id, rule_code="net_loss_ytd",
            enabled=False,
        )  # fmt: skip


def test_a_backtest_of_a_changed_rule_counts_where_and_when(cast, fast_report):
    from dataclasses import replace

    for period in ("2026-05", "2026-06", "2026-07"):
        put_report(fast_report, cast.d, period)
        put_report(fast_report, cast.b, period, **{"net_profit.current": "-1"})
    stricter = replace(rule("net_loss_ytd"), condition="net_profit < 80")
    tested = services.backtest(rule=stricter, periods=months("2026-05", "2026-06", "2026-07"))
    assert tested["raised"] == 2
    assert tested["enterprises"] == {cast.d.id: 1, cast.b.id: 1}
    assert tested["by_period"] == {"2026-05": 2}


def test_acknowledge_and_open_a_rectification(cast, fast_report):
    put_report(fast_report, cast.d, "2026-07", **{"net_profit.current": "-5"})
    services.compute(periods=months("2026-07"))
    [alert] = alerts_of(cast.d, "net_loss_ytd")
    with pytest.raises(Forbidden):
        services.alert_acknowledge(acting_user=cast.analyst, alert=alert)  # Liaoning's, not Dalian
    services.alert_acknowledge(acting_user=cast.dl_analyst, alert=alert, note="seen")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    with pytest.raises(DomainError):
        services.alert_acknowledge(acting_user=cast.dl_analyst, alert=alert)
    services.alert_rectify(acting_user=cast.dl_analyst, alert=alert, due_date=date(2026, 10, 31))
    alert.refresh_from_db()
    item = alert.rectification
    assert item.owner_id == cast.d.id and (item.source_kind, item.source_ref) == (
        "alert",
        str(alert.id),
    )
    services.alert_rectify(acting_user=cast.dl_analyst, alert=alert)
    alert.refresh_from_db()
    assert alert.rectification_id == item.id  # the same item, not a second one
    assert [e.action for e in alert.events.all()] == [
        "raised",
        "acknowledged",
        "rectification",
        "rectification",
    ]


def test_a_rule_shipped_off_stays_off_until_a_supervisor_switches_it_on():
    from dataclasses import replace

    from guozi.indicators.alerts import Switches
    from guozi.indicators.definitions import AlertRuleDef

    shipped_off = AlertRuleDef("r", "规则", "Rule", "warning", "true", "甲", "A", enabled=False)
    shipped_on = replace(shipped_off, enabled=True)
    chosen = Switches({(1, "r"): True, (2, "r"): False})
    assert chosen.on(1, shipped_off) and not chosen.on(2, shipped_on)
    assert not chosen.on(3, shipped_off) and chosen.on(3, shipped_on)
