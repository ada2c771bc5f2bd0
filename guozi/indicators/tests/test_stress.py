"""Stress scenarios: the shocks, and who turns loss-making, crosses a line or falls in rating."""

import polars as pl
import pytest

from guozi.indicators import services
from guozi.indicators.definitions import Scenario
from guozi.indicators.models import IndustryBaseline
from guozi.indicators.stress import shocked, stress_test
from guozi.lib.periods import Period

from .conftest import put_report

JULY = Period.parse("2026-07")


def test_the_shocks_move_profit_equity_and_assets_together():
    table = pl.DataFrame(
        {
            "field:operating_revenue": [1000.0],
            "field:operating_cost": [800.0],
            "field:interest_bearing_debt": [600.0],
            "field:interest_expense": [10.0],
            "field:total_profit": [100.0],
            "field:net_profit": [75.0],
            "field:owners_equity": [500.0],
            "field:total_assets": [1500.0],
            "field:operating_revenue@prior_year": [900.0],
            "context:period_index": [6.0],
            "context:periods_per_year": [12.0],
        }
    )
    scenario = Scenario("s", "冲击", "Shock", revenue=-0.1, operating_cost=0.05, interest_bp=200,
                        one_off_loss=20, tax_rate=0.25)  # fmt: skip
    after = shocked(table, scenario).row(0, named=True)
    # Revenue −100, cost +40, interest 600 × 2% × 6/12 = +6, one-off −20: pre-tax −166.
    assert after["field:operating_revenue"] == pytest.approx(900)
    assert after["field:operating_cost"] == pytest.approx(840)
    assert after["field:interest_expense"] == pytest.approx(16)
    assert after["field:total_profit"] == pytest.approx(100 - 166)
    assert after["field:net_profit"] == pytest.approx(75 - 166 * 0.75)
    assert after["field:owners_equity"] == pytest.approx(500 - 124.5)
    assert after["field:total_assets"] == pytest.approx(1500 - 124.5)
    assert after["field:operating_revenue@prior_year"] == 900  # comparatives stay as reported


def test_a_severe_scenario_lists_who_turns_loss_making_and_crosses_a_line(cast, fast_report):
    IndustryBaseline.objects.create(supervisor=cast.ln, year=2026, industry="C", baseline=0.56)
    IndustryBaseline.objects.create(supervisor=cast.ln, year=2026, industry="G", baseline=0.56)
    put_report(fast_report, cast.a, "2026-07")  # margin 100/1150: a 15% revenue fall wipes it
    put_report(fast_report, cast.b, "2026-07", **{"total_profit.current": "900",
               "net_profit.current": "675", "operating_cost.current": "100",
               "total_liabilities.current": "600"})  # fmt: skip
    services.compute(periods=[JULY])
    scenario = Scenario("severe", "严重", "Severe", revenue=-0.15, operating_cost=0.05,
                        interest_bp=200)  # fmt: skip
    result = stress_test(cast.analyst, fast_report, scenario, JULY)
    assert result.enterprises == 2
    by_id = {o.enterprise_id: o for o in result.outcomes}
    hit = by_id[cast.a.id]
    assert hit.turns_loss and hit.net_profit[0] == pytest.approx(75)
    assert hit.net_profit[1] < 0
    # 1200 / (2000 − loss): the debt ratio rises from 60% across the 61% warning line.
    assert hit.crosses_warning and not hit.crosses_key
    spared = by_id.get(cast.b.id)  # still profitable, below its lines
    assert spared is None or not (spared.turns_loss or spared.crosses_warning)
    assert result.count("turns_loss") == 1


def test_a_stress_test_covers_only_what_the_user_may_read(cast, fast_report):
    put_report(fast_report, cast.a, "2026-07")
    put_report(fast_report, cast.d, "2026-07")
    services.compute(periods=[JULY])
    scenario = Scenario("s", "冲击", "Shock", revenue=-0.5)
    assert stress_test(cast.reporter, fast_report, scenario, JULY).enterprises == 1
    assert stress_test(cast.dl_analyst, fast_report, scenario, JULY).enterprises == 1
    assert stress_test(cast.analyst, fast_report, scenario, JULY).enterprises == 2
