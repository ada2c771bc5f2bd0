"""A figure opens its formula, its inputs with values and sources, and a roll-up its members."""

import pytest

from guozi.indicators import services
from guozi.indicators.explain import contributions, explain_enterprise
from guozi.indicators.models import UnitKind
from guozi.lib.periods import Period
from guozi.reporting.models import ReportScope, ValueVersion

from .conftest import put_report

JULY = Period.parse("2026-07")


def test_an_enterprise_figure_lists_its_inputs_and_where_they_came_from(cast, fast_report):
    last_year = put_report(fast_report, cast.d, "2025-07", scale=0.5)
    report = put_report(fast_report, cast.d, "2026-07")
    version = ValueVersion.objects.create(
        submission=report,
        at=report.created_at,
        channel="web",
        changes={"net_profit.current": [0, 1]},
    )
    services.compute(periods=[JULY])
    explained = explain_enterprise(
        fast_report, cast.d, JULY, "roe", ReportScope.CONSOLIDATED, "approved"
    )
    assert explained.value == pytest.approx((75 * 12 / 7) / 775)
    assert explained.numerator == pytest.approx(75 * 12 / 7)
    assert explained.denominator == pytest.approx(775)
    by_key = {i.key: i for i in explained.inputs}
    assert set(by_key) == {"field:net_profit", "field:owners_equity", "field:owners_equity@opening"}
    profit = by_key["field:net_profit"]
    assert profit.value == pytest.approx(75)
    assert (profit.source.submission_id, profit.source.column) == (report.id, "current")
    assert profit.source.version_id == version.id
    assert by_key["field:owners_equity@opening"].source.column == "opening"
    # A balance's prior year comes from last year's filing, flagged as such.
    debt = explain_enterprise(fast_report, cast.d, JULY, "debt_ratio", "consolidated", "approved")
    assert debt.value == pytest.approx(0.6)
    assert not any(i.source.fallback for i in debt.inputs)
    assert last_year.id not in {i.source.submission_id for i in debt.inputs}


def test_a_fallback_source_is_flagged(cast, fast_report):
    last_year = put_report(fast_report, cast.d, "2025-07", scale=0.5)
    put_report(fast_report, cast.d, "2026-07", **{"total_profit.prior_year": None})
    explained = explain_enterprise(
        fast_report, cast.d, JULY, "total_profit", "consolidated", "approved"
    )
    assert explained.value == 100
    from guozi.formulas.refs import Ref
    from guozi.indicators.explain import _source

    source = _source(
        fast_report,
        cast.d.id,
        "consolidated",
        JULY,
        Ref("field", "total_profit", "prior_year"),
        "approved",
    )
    assert source.fallback and source.submission_id == last_year.id
    assert (source.period, source.column) == ("2025-07", "current")


def test_a_rollup_lists_its_members_by_contribution(cast, fast_report):
    put_report(fast_report, cast.a, "2026-07", scale=3)
    put_report(fast_report, cast.b, "2026-07")
    put_report(fast_report, cast.a1, "2026-07", scale=9)  # not a top-most member
    services.compute(periods=[JULY])
    members = contributions(
        fast_report,
        JULY,
        "debt_ratio",
        unit_kind=UnitKind.PORTFOLIO,
        supervisor_id=cast.ln.id,
        data_status="approved",
    )
    assert [m.enterprise_id for m in members] == [cast.a.id, cast.b.id]
    assert [m.share for m in members] == [pytest.approx(0.75), pytest.approx(0.25)]
    assert members[0].numerator == pytest.approx(3600)
    assert members[0].value == pytest.approx(0.6)
