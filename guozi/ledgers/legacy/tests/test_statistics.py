"""Statistics of the register: sums and shares by kind, sub-kind, enterprise, group and city,
scoped to what the user may see."""

from decimal import Decimal

import pytest

from guozi.ledgers import services as ledger_services
from guozi.ledgers.legacy import selectors
from guozi.ledgers.legacy.selectors import ProblemFilters

from .conftest import TODAY, WATER, close, open_problem

HEATING = {
    **WATER,
    "sub_kind": "heating",
    "households_total": 800,
    "households_done": 800,
    "amount_total": Decimal("2000000.25"),
    "amount_done": Decimal("2000000.25"),
    "receiving_party": "鞍山市热力公司",
}
RETIREES = {
    "kind": "retirees",
    "people_total": 5000,
    "people_done": 1250,
    "receiving_party": "街道",
}
ZOMBIE = {"kind": "zombie", "sub_kind": "deregistration", "people_total": 60}


@pytest.fixture
def portfolio(cast):
    """Problems of A1 (Shenyang), A11 (Anshan, under A1), A2, B1 (port group) and D (Dalian)."""
    water = open_problem(cast, owner=cast.a1)
    heating = open_problem(cast, owner=cast.a11, title="供热分离移交", fields=HEATING)
    close(cast, heating.item)
    retirees = open_problem(cast, owner=cast.a2, title="退休人员社会化管理", fields=RETIREES)
    zombie = open_problem(cast, owner=cast.b1, title="僵尸企业出清", fields=ZOMBIE)
    metro = open_problem(
        cast,
        owner=cast.d,
        by=cast.dl_analyst,
        title="地铁家属区物业移交",
        fields={**WATER, "sub_kind": "property", "households_done": None, "amount_done": None},
    )
    cancelled = open_problem(cast, owner=cast.a1, title="重复事项", fields=RETIREES)
    ledger_services.item_cancel(acting_user=cast.analyst, item=cancelled.item, reason="重复")
    return {
        "water": water,
        "heating": heating,
        "retirees": retirees,
        "zombie": zombie,
        "metro": metro,
    }


def by_key(stats) -> dict:
    return {line.key: line for line in stats.lines}


def test_by_kind_sums_totals_and_done_and_leaves_cancelled_out(cast, portfolio):
    stats = selectors.statistics(cast.analyst, ProblemFilters(), "kind")
    lines = by_key(stats)
    assert set(lines) == {"three_supplies", "retirees", "zombie"}
    supplies = lines["three_supplies"]
    assert (supplies.problems, supplies.closed) == (3, 1)
    assert supplies.figures["households_total"] == 3200 + 800 + 3200
    assert supplies.figures["households_done"] == 1200 + 800
    assert supplies.households_share == pytest.approx(2000 / 7200)
    # Exact in fen: 18,500,000.00 × 2 + 2,000,000.25 yuan; paid 6,000,000.50 + 2,000,000.25.
    assert supplies.figures["amount_total_fen"] == 3_900_000_025
    assert supplies.amount_done == Decimal("8000000.75")
    assert supplies.amount_share == pytest.approx(8_000_000.75 / 39_000_000.25)
    assert supplies.closed_share == pytest.approx(1 / 3)
    assert lines["retirees"].people_share == 0.25
    assert stats.total.problems == 5 and stats.total.closed == 1


def test_a_share_without_any_total_is_undefined_not_zero(cast, portfolio):
    lines = by_key(selectors.statistics(cast.analyst, ProblemFilters(), "kind"))
    zombie = lines["zombie"]
    assert zombie.figures["households_total"] is None and zombie.households_share is None
    assert zombie.amount_share is None
    assert zombie.figures["people_done"] is None and zombie.people_share == 0.0
    assert lines["retirees"].as_dict()["amount_total"] is None


def test_by_sub_kind_splits_three_supplies(cast, portfolio):
    lines = by_key(selectors.statistics(cast.analyst, ProblemFilters(), "sub_kind"))
    assert set(lines) == {
        "three_supplies/water",
        "three_supplies/heating",
        "three_supplies/property",
        "retirees/",
        "zombie/deregistration",
    }
    assert lines["three_supplies/heating"].households_share == 1.0


def test_by_group_counts_subsidiaries_under_their_group_today(cast, portfolio):
    lines = by_key(selectors.statistics(cast.analyst, ProblemFilters(), "group"))
    steel = lines[str(cast.a.id)]
    assert (steel.problems, steel.closed) == (3, 1)
    assert steel.label == cast.a.short_name
    assert lines[str(cast.b.id)].problems == 1 and lines[str(cast.d.id)].problems == 1
    assert sum(line.problems for line in lines.values()) == 5


def test_by_enterprise_and_city(cast, portfolio):
    enterprises = by_key(selectors.statistics(cast.analyst, ProblemFilters(), "enterprise"))
    assert {key: line.problems for key, line in enterprises.items()} == {
        str(e.id): 1 for e in (cast.a1, cast.a11, cast.a2, cast.b1, cast.d)
    }
    cities = by_key(selectors.statistics(cast.analyst, ProblemFilters(), "city"))
    assert cities["210300"].label == "鞍山市" and cities["210300"].problems == 1
    assert cities["210200"].problems == 1  # Dalian Metro


def test_overdue_counts_open_problems_past_due(cast, portfolio, settings):
    settings.GUOZI_TODAY = "2027-06-01"
    stats = selectors.statistics(cast.analyst, ProblemFilters(), "kind")
    # Every open problem is due 120 days after 2026-08-28; the verified one is not overdue.
    assert stats.total.overdue == 4


@pytest.mark.parametrize(
    ("username", "problems"),
    [("analyst", 5), ("dl_analyst", 1), ("reporter", 3), ("sub_reporter", 2), ("outsider", 1)],
)
def test_statistics_cover_only_what_the_user_may_see(cast, portfolio, username, problems):
    stats = selectors.statistics(getattr(cast, username), ProblemFilters(), "kind")
    assert stats.total.problems == problems


def test_filters_narrow_the_statistics(cast, portfolio):
    filters = ProblemFilters(kind="three_supplies", status="active")
    stats = selectors.statistics(cast.analyst, filters, "kind")
    assert stats.total.problems == 2 and stats.total.closed == 0
    assert (
        selectors.statistics(cast.analyst, ProblemFilters(city="210300"), "kind").total.problems
        == 1
    )
    assert (
        selectors.statistics(cast.analyst, ProblemFilters(q="辽钢矿业"), "kind").total.problems == 1
    )


def test_the_chart_draws_closed_and_open_problems_and_shares(cast, portfolio):
    stats = selectors.statistics(cast.analyst, ProblemFilters(), "kind")
    chart = selectors.chart_data(stats)
    position = chart["labels"].index(str(by_key(stats)["three_supplies"].label))
    assert chart["closed"][position] == 1 and chart["open"][position] == 2
    assert chart["households"][position] == round(100 * 2000 / 7200, 1)
    assert None in chart["households"]  # retirees: no households


def test_an_unknown_grouping_is_refused(cast):
    with pytest.raises(ValueError):
        selectors.statistics(cast.analyst, ProblemFilters(), "province")


def test_no_problems_no_lines(cast):
    stats = selectors.statistics(cast.analyst, ProblemFilters(), "city")
    assert stats.lines == [] and stats.total.problems == 0 and stats.day == TODAY
