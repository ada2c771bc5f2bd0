"""Indicators against hand-computed figures; roll-ups as ratios of sums; comparatives; statuses."""

from datetime import date

import pytest

from guozi.indicators import services
from guozi.indicators.models import ComputeRun, DataStatus, IndicatorResult, UnitKind
from guozi.indicators.selectors import unit_figures
from guozi.lib.periods import Period
from guozi.registry.services import management_parent_set
from guozi.reporting.models import ReportScope, State

from .conftest import put_report

JULY = Period.parse("2026-07")
CONSOLIDATED, STANDALONE = ReportScope.CONSOLIDATED, ReportScope.STANDALONE


def figures_of(user, form, enterprise, period="2026-07", scope=CONSOLIDATED, **options):
    found = unit_figures(
        user,
        form,
        period,
        unit_kind=UnitKind.ENTERPRISE,
        enterprise_ids=[enterprise.id],
        scope=scope,
        **options,
    )
    assert len(found) == 1
    return found[0]


def portfolio_of(user, form, supervisor, period="2026-07", **options):
    found = unit_figures(
        user, form, period, unit_kind=UnitKind.PORTFOLIO, supervisor_id=supervisor.id, **options
    )
    assert len(found) == 1
    return found[0]


def test_each_indicator_of_a_clean_report(cast, fast_report):
    put_report(fast_report, cast.d, "2026-07")
    services.compute(periods=[JULY])
    figures = figures_of(cast.analyst, fast_report, cast.d)
    value = figures.values
    assert value["total_profit"] == 100
    assert value["debt_ratio"] == pytest.approx(1200 / 2000)
    # ROE: July's year-to-date net profit annualised, over average equity (opening + closing)/2.
    assert value["roe"] == pytest.approx((75 * 12 / 7) / ((750 + 800) / 2))
    assert value["rd_intensity"] == pytest.approx(30 / 1150)
    # Value added = (wages + D&A) + (operating profit + subsidies − FV gains − investment
    # income) + (taxes payable − income tax payable) = 190 + 109 + 41.
    assert value["value_added"] == pytest.approx(340)
    assert value["labour_productivity"] == pytest.approx((340 * 12 / 7) / 500)
    assert value["operating_cash_ratio"] == pytest.approx(80 / 1150)
    assert value["cash_collection_ratio"] == pytest.approx(1250 / 1150)
    assert value["revenue_profit_margin"] == pytest.approx(100 / 1150)
    assert value["main_business_share"] == pytest.approx(1000 / 1150)
    assert value["sei_share"] == pytest.approx(100 / 1150)
    assert value["hc_debt_to_ebitda"] == pytest.approx(600 / ((100 + 12 + 40) * 12 / 7))
    assert value["hc_debtor_days"] == pytest.approx(250 * 365 / (1150 * 12 / 7))
    altman = (
        6.56 * (800 - 700) / 2000
        + 3.26 * 300 / 2000
        + 6.72 * ((100 + 12) * 12 / 7) / 2000
        + 1.05 * 800 / 1200
    )
    assert value["altman_z"] == pytest.approx(altman)
    assert set(figures.statuses.values()) == {0}


def test_growth_uses_the_restated_prior_year_column_and_ratios_change_in_points(cast, fast_report):
    put_report(fast_report, cast.d, "2025-07", scale=0.5)  # what was filed a year ago
    put_report(fast_report, cast.d, "2026-07")  # with the restated prior-year column: 90
    services.compute(periods=[Period.parse("2025-07"), JULY])
    figures = figures_of(cast.analyst, fast_report, cast.d)
    profit = figures.figure("total_profit")
    assert profit.prior == 90  # the restated column, not the 50 filed last year
    assert profit.change == pytest.approx(100 / 90 - 1)
    # Balances have no prior-year column: last year's filing stands in (1200·0.5 / 2000·0.5).
    debt = figures.figure("debt_ratio")
    assert debt.prior == pytest.approx(0.6)
    assert debt.change == pytest.approx(0.0)
    assert profit.restated and debt.restated  # both read the prior-year column (or stand-in)
    roe = figures.figure("roe")
    assert not roe.restated  # average equity reads the opening column: last year as filed
    assert roe.prior == pytest.approx((37.5 * 12 / 7) / ((375 + 400) / 2))
    margin = figures.figure("revenue_profit_margin")
    assert margin.prior == pytest.approx(90 / 1050)
    assert margin.change == pytest.approx(100 / 1150 - 90 / 1050)  # percentage points
    productivity = figures.figure("labour_productivity")  # 万元/人 grows like an amount
    assert productivity.prior is not None
    assert productivity.change == pytest.approx(productivity.value / productivity.prior - 1)


def test_missing_and_undefined_are_carried_never_zero(cast, fast_report):
    put_report(
        fast_report,
        cast.d,
        "2026-07",
        **{"rd_expenditure.current": None, "operating_revenue.current": "0"},
    )
    services.compute(periods=[JULY])
    figures = figures_of(cast.analyst, fast_report, cast.d)
    rd = figures.figure("rd_intensity")
    assert (rd.value, rd.status) == (None, 1)  # missing numerator wins: missing
    margin = figures.figure("revenue_profit_margin")
    assert (margin.value, margin.status) == (None, 2)  # division by zero: undefined
    assert figures.figure("debt_ratio").status == 0
    # Without last year's filing, the balance comparatives are missing, not 0.
    debt = figures.figure("debt_ratio")
    assert debt.prior is None and debt.change is None


def test_a_portfolio_is_the_ratio_of_its_groups_sums(cast, fast_report):
    put_report(fast_report, cast.a, "2026-07")  # debt ratio 0.6
    put_report(
        fast_report,
        cast.b,
        "2026-07",
        scale=3,
        **{"total_liabilities.current": "2700", "owners_equity.current": "3300"},
    )  # 0.45
    put_report(fast_report, cast.a1, "2026-07", scale=50)  # a subsidiary: not added again
    services.compute(periods=[JULY])
    portfolio = portfolio_of(cast.analyst, fast_report, cast.ln)
    assert portfolio.members == 2
    assert portfolio.values["debt_ratio"] == pytest.approx((1200 + 2700) / (2000 + 6000))
    assert portfolio.values["total_profit"] == pytest.approx(100 + 300)


def test_after_a_merger_the_absorbed_group_is_counted_once(cast, fast_report):
    for period in ("2026-06", "2026-07"):
        put_report(fast_report, cast.a, period, scale=2)
        put_report(fast_report, cast.b, period)
    # From July, group B is managed by A: A's consolidated report now includes it.
    management_parent_set(acting_user=None, enterprise=cast.b, parent=cast.a, on=date(2026, 7, 1))
    services.compute(periods=[Period.parse("2026-06"), JULY])
    june = portfolio_of(cast.analyst, fast_report, cast.ln, "2026-06")
    july = portfolio_of(cast.analyst, fast_report, cast.ln, "2026-07")
    assert (june.members, july.members) == (2, 1)
    assert june.values["total_profit"] == pytest.approx(200 + 100)
    assert july.values["total_profit"] == pytest.approx(200)


def test_breakdowns_add_up_standalone_reports(cast, fast_report):
    # Group A (Shenyang, 210100) files both scopes; A1 (Shenyang) is a parent too; A11 and A2
    # are leaves in Anshan (210300) and Fushun (210500).
    put_report(fast_report, cast.a, "2026-07", scale=10)
    put_report(fast_report, cast.a, "2026-07", scope=STANDALONE, scale=2)
    put_report(fast_report, cast.a1, "2026-07", scale=5)
    put_report(fast_report, cast.a1, "2026-07", scope=STANDALONE)
    put_report(fast_report, cast.a11, "2026-07", scale=3)
    put_report(fast_report, cast.a2, "2026-07")
    services.compute(periods=[JULY])
    cities = {
        f.unit_code: f
        for f in unit_figures(cast.analyst, fast_report, "2026-07", unit_kind=UnitKind.CITY)
    }
    assert cities["210100"].values["total_profit"] == pytest.approx(200 + 100)  # standalone
    assert cities["210100"].members == 2
    assert cities["210300"].values["total_profit"] == pytest.approx(300)  # a leaf's only report
    assert cities["210500"].values["total_profit"] == pytest.approx(100)
    assert all(f.scope == STANDALONE for f in cities.values())


def test_the_approved_only_switch(cast, fast_report):
    put_report(fast_report, cast.a, "2026-07")
    put_report(fast_report, cast.b, "2026-07", state=State.SUBMITTED, scale=2)
    services.compute(periods=[JULY])
    approved = portfolio_of(cast.analyst, fast_report, cast.ln)
    submitted = portfolio_of(cast.analyst, fast_report, cast.ln, data_status=DataStatus.SUBMITTED)
    assert approved.values["total_profit"] == pytest.approx(100)
    assert submitted.values["total_profit"] == pytest.approx(100 + 200)
    assert {r.data_status for r in ComputeRun.objects.all()} == {"approved", "submitted"}


def test_without_reports_awaiting_approval_no_submitted_run_is_kept(cast, fast_report):
    report = put_report(fast_report, cast.a, "2026-07", state=State.SUBMITTED)
    services.compute(periods=[JULY])
    assert ComputeRun.objects.filter(data_status="submitted").exists()
    report.state = State.APPROVED
    report.save()
    services.compute(periods=[JULY])
    assert not ComputeRun.objects.filter(data_status="submitted").exists()
    assert IndicatorResult.objects.filter(run__data_status="approved").exists()


def test_negative_equity_forces_the_worst_band_with_its_reason(cast, fast_report):
    put_report(
        fast_report,
        cast.d,
        "2026-07",
        **{"owners_equity.current": "-100", "owners_equity.opening": "-50"},
    )
    services.compute(periods=[JULY])
    figures = figures_of(cast.analyst, fast_report, cast.d)
    bands = figures.bands()
    assert bands["hc_debt_to_equity"].band == 5 and bands["hc_debt_to_equity"].forced
    assert bands["hc_roe"].forced
    # Debt/equity would be −6: "better" than every threshold without the rule.
    assert figures.values["hc_debt_to_equity"] == pytest.approx(-6)
    assert bands["hc_current_ratio"].band == 4 and not bands["hc_current_ratio"].forced  # 1.14
    score, rating = figures.rating()
    enabled = [bands[r.code].band for r in figures.framework.health.ratios if r.enabled]
    assert "hc_transfers" not in [r.code for r in figures.framework.health.ratios if r.enabled]
    assert score == pytest.approx(sum(enabled) / len(enabled))
    assert rating == 1 + sum(score >= cut for cut in (1.5, 2.5, 3.5, 4.5))


def test_supervisor_thresholds_override_the_framework(cast, fast_report):
    put_report(fast_report, cast.d, "2026-07")
    services.compute(periods=[JULY])
    figures = figures_of(cast.analyst, fast_report, cast.d)
    assert figures.values["hc_debt_to_assets"] == pytest.approx(0.3)
    assert figures.bands()["hc_debt_to_assets"].band == 1  # on the threshold: the better band
    stricter = {"hc_debt_to_assets": (0.1, 0.2, 0.25, 0.28)}
    assert figures.bands(stricter)["hc_debt_to_assets"].band == 5


def test_a_change_in_the_workflow_marks_figures_stale(
    cast, fast_report, django_capture_on_commit_callbacks
):
    from guozi.reporting import services as reporting
    from guozi.reporting.tests.conftest import clean_cells

    submission = reporting.submission_open(
        acting_user=cast.sub_reporter,
        enterprise=cast.a11,
        form=fast_report,
        period=JULY,
        scope=CONSOLIDATED,
    )
    reporting.cells_write(
        acting_user=cast.sub_reporter, submission=submission, raw=clean_cells(), channel="web"
    )
    put_report(fast_report, cast.a2, "2026-07")
    put_report(fast_report, cast.a2, "2025-06")
    services.compute(periods=[Period.parse("2025-06"), JULY])
    run, earlier = (
        ComputeRun.objects.get(period="2026-07"),
        ComputeRun.objects.get(period="2025-06"),
    )
    assert not run.stale
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reporting.submit(acting_user=cast.sub_reporter, submission=submission)
    run.refresh_from_db()
    earlier.refresh_from_db()
    assert run.stale and not earlier.stale
    assert callbacks  # the recomputation is queued once the change commits
    services.recompute_stale()
    fresh = ComputeRun.objects.get(period="2026-07", data_status="approved")
    assert not fresh.stale
    with_submitted = ComputeRun.objects.get(period="2026-07", data_status="submitted")
    assert (
        with_submitted.reports == fresh.reports + 1
    )  # the recomputation is queued once the change commits
