"""The enterprise profile's sections on the cast: each section's content, condensed against
full, a missing figure shown as missing (never 0), the period, and who may read which profile."""

import pytest
from django.http import Http404
from django.utils import translation

from guozi.dashboard.profile import CONDENSED_ROWS, enterprise_profile
from guozi.dashboard.profile_figures import month_flows
from guozi.indicators.models import AlertStatus
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period

from .test_profile_records import (
    JULY,
    JUNE,
    compute_figures,
    fill_registers,
    open_rectification,
    raise_alert,
    set_target,
)

SECTIONS = [
    "identity",
    "holders",
    "subsidiaries",
    "figures",
    "indicators",
    "health",
    "alerts",
    "rectifications",
    "reform",
    "legacy",
    "safety",
    "rnd",
    "supply",
    "reporting",
]


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    """Texts are compared in English; evidence files go to a fresh data directory."""
    settings.DATA_DIR = tmp_path
    with translation.override("en"):
        yield


@pytest.fixture
def world(cast):
    compute_figures(cast)
    records = fill_registers(cast, cast.a1)
    set_target(cast, cast.a1, "total_profit", 300)
    return records


def texts(table, header: str) -> list[str]:
    return [cell.text for cell in table.column(header)]


def row_of(table, first: str) -> dict[str, object]:
    """The row whose first cell reads `first`, as header → cell."""
    row = next(row for row in table.rows if row[0].text == first)
    return dict(zip(table.headers, row, strict=True))


# -- the sections ------------------------------------------------------------------------------


def test_every_section_is_there_in_order_with_a_title_and_a_link(cast, world):
    profile = enterprise_profile(cast.analyst, cast.a1.id)
    assert [section.key for section in profile.sections] == SECTIONS
    assert all(section.title and section.link.startswith("/") for section in profile.sections)
    assert profile.period == JULY
    assert profile.periods == [JULY, JUNE]


def test_identity_chain_holders_and_subsidiaries(cast, world):
    profile = enterprise_profile(cast.analyst, cast.a1.id)
    identity = profile.section("identity").tables[0]
    assert row_of(identity, "USCC")["Value"].text == cast.a1.uscc
    assert row_of(identity, "Group")["Value"].text == "Liaoning Steel Group"
    assert row_of(identity, "Level in the tree")["Value"].text == "level 2 (1 is a group)"
    chain, holders = profile.section("holders").tables
    assert texts(chain, "Supervisor or enterprise") == [
        "Liaoning SASAC",
        "Liaoning Steel Group",
        cast.a1.name_zh,
    ]
    assert row_of(holders, "Liaoning Steel Group")["Stake"].value == pytest.approx(1.0)
    subsidiaries = profile.section("subsidiaries").tables[0]
    assert texts(subsidiaries, "Subsidiary") == [cast.a11.name_zh]
    assert subsidiaries.rows[0][0].link == f"/dashboard/enterprises/{cast.a11.id}/"


def test_a_condensed_identity_has_two_items_a_row(cast, world):
    full = enterprise_profile(cast.analyst, cast.a1.id).section("identity").tables[0]
    short = enterprise_profile(cast.analyst, cast.a1.id, condensed=True).section("identity")
    table = short.tables[0]
    assert table.headers == ["Item", "Value", "Item", "Value"]
    items = {row[i].text: row[i + 1].text for row in table.rows for i in (0, 2)}
    assert items["USCC"] == cast.a1.uscc and "English name" not in items
    kept = [row[0].text for row in full.rows]
    kept = [label for label in kept if label not in ("English name", "Short name", "Portfolio")]
    assert set(items) - {""} == set(kept)
    assert len(table.rows) == (len(kept) + 1) // 2


def test_key_figures_and_the_monthly_trend(cast, world):
    section = enterprise_profile(cast.analyst, cast.a1.id).section("figures")
    table = section.tables[0]
    revenue = row_of(table, "Operating revenue")
    assert revenue["Value"].value == pytest.approx(1725)
    assert revenue["Year on year"].kind == "growth"
    chart = section.charts[0]
    assert len(chart.categories) == 36 and chart.categories[-1] == JULY
    by_name = {series.name: series.values for series in chart.series}
    # July's own revenue is July's year to date less June's: 1,725 − 1,380.
    assert by_name["Operating revenue"][-1] == pytest.approx(345)
    # June has no May to subtract: a gap, not the year to date and not 0.
    assert by_name["Operating revenue"][-2] is None
    assert by_name["Total profit"][-1] == pytest.approx(150 - 120)
    assert any("approved data" in note for note in section.notes)


def test_month_flows_take_january_as_it_is_and_leave_gaps():
    months = [Period.parse(p) for p in ("2025-12", "2026-01", "2026-02", "2026-03")]
    ytd = {"2025-11": 90.0, "2025-12": 100.0, "2026-01": 10.0, "2026-03": 40.0}
    assert month_flows(months, ytd) == [10.0, 10.0, None, None]


def test_indicators_against_target_and_industry(cast, world):
    section = enterprise_profile(cast.analyst, cast.a1.id).section("indicators")
    table = section.tables[0]
    profit = row_of(table, "Total profit")
    assert profit["Target"].value == 300
    # 150 of 300 with seven months of twelve gone: behind.
    assert profit["Progress"].value == pytest.approx(0.5)
    assert "behind" in profit["Progress"].css
    # The peers of division C31 the analyst reads: A (300), A11 (80) and A2 (50).
    assert profit["Industry"].value == pytest.approx(80)
    # A2 has no R&D figure: two peers are too few for a median.
    rd = row_of(table, "R&D intensity")
    assert rd["Industry"].text == "—" and "fewer than 3 peers" in rd["Industry"].value
    assert rd["Target"].text == ""
    assert any("median of 3 enterprises of division C31" in note for note in section.notes)


def test_without_peers_or_roll_ups_the_industry_figure_is_missing_and_says_why(cast, world):
    # A1's reporter reads A1 and A11 only: one peer, and no roll-ups.
    section = enterprise_profile(cast.sub_reporter, cast.a1.id).section("indicators")
    cells = section.tables[0].column("Industry")
    assert {cell.text for cell in cells} == {"—"}
    assert any("you may not read the industry roll-up" in note for note in section.notes)


def test_a_missing_figure_shows_as_missing_not_zero(cast, world):
    # A2 reported no R&D expenditure.
    profile = enterprise_profile(cast.analyst, cast.a2.id)
    rd = row_of(profile.section("figures").tables[0], "R&D intensity")
    assert rd["Value"].text == "—"
    assert rd["Value"].kind == "text" and rd["Value"].value == "missing"
    assert "missing" in rd["Value"].css


def test_an_enterprise_without_figures_says_so(cast, world):
    # B1 (port) filed in July; D filed but its report awaits approval.
    profile = enterprise_profile(cast.analyst, cast.d.id)
    figures = profile.section("figures")
    assert figures.is_empty
    assert figures.empty == "No approved figures of this enterprise for Jul 2026."
    assert profile.section("indicators").is_empty
    assert profile.section("health").is_empty


def test_health_rating_with_the_negative_equity_reason(cast, world):
    profile = enterprise_profile(cast.analyst, cast.a2.id)
    rating, ratios = profile.section("health").tables
    assert row_of(rating, "Rating")["Value"].text[0] in "12345"
    reasons = texts(ratios, "Reason")
    assert "band 5: Owners' equity is negative or zero" in reasons
    forced = row_of(ratios, "Debt to equity")
    assert forced["Band"].value == 5


def test_open_alerts_with_their_rectification(cast, world):
    cleared = raise_alert(cast, cast.a1, rule="revenue_down", status=AlertStatus.CLEARED)
    rectification = open_rectification(cast, cast.a1, title="压降两金")
    world["alert"].rectification = rectification
    world["alert"].save(update_fields=["rectification"])
    section = enterprise_profile(cast.analyst, cast.a1.id).section("alerts")
    table = section.tables[0]
    assert len(table.rows) == 1  # the cleared one is not open
    assert table.rows[0][0].text == "Warning"
    assert row_of(table, "Warning")["Rectification"].link == f"/ledgers/items/{rectification.id}/"
    assert cleared.id not in [int(row[1].link.strip("/").split("/")[-1]) for row in table.rows]
    assert "status=active" in section.link


def test_no_alerts_is_said_so(cast, world):
    section = enterprise_profile(cast.analyst, cast.a11.id).section("alerts")
    assert section.is_empty and section.empty == "No open alerts."


def test_the_registers_of_the_enterprise(cast, world):
    profile = enterprise_profile(cast.analyst, cast.a1.id)
    rectifications = profile.section("rectifications").tables[0]
    assert texts(rectifications, "Item") == ["应收账款坏账准备计提不足"]
    completion, tasks = profile.section("reform").tables
    assert row_of(completion, completion.rows[0][0].text)["Tasks"].value == 2
    assert len(tasks.rows) == 2
    assert profile.section("reform").charts
    legacy = row_of(
        profile.section("legacy").tables[0], "Water, power, heating and property (三供一业)"
    )
    assert legacy["Households handed over"].text == "1,200 / 3,200"
    assert legacy["Total cost"].value == pytest.approx(1850)  # 万元
    assert legacy["People handed over"].text == "—"  # not recorded, not 0
    safety = profile.section("safety")
    incident = safety.tables[0].rows[0]
    assert incident[0].text == world["incident"].number
    assert dict(zip(safety.tables[0].headers, incident, strict=True))["Deaths"].value == 2
    assert safety.charts[0].series[1].values[-1] == 2
    project = profile.section("rnd").tables[0]
    assert row_of(project, "高强度汽车用钢板关键技术攻关")["Budget"].value == pytest.approx(3000)
    supply = row_of(profile.section("supply").tables[0], "铁矿石")
    assert supply["HHI"].value == pytest.approx(55**2 + 25**2 + 20**2)
    assert "Import-dependent" in supply["Flags"].text
    record, reports = profile.section("reporting").tables
    assert row_of(record, "Reports")["Count"].value == 3
    assert texts(reports, "Period") == [JULY, JULY, JUNE]


def test_a_register_item_of_another_enterprise_stays_out(cast, world):
    open_rectification(cast, cast.a11, title="A11 的整改")
    rows = enterprise_profile(cast.analyst, cast.a1.id).section("rectifications").tables[0].rows
    assert [row[0].text for row in rows] == ["应收账款坏账准备计提不足"]


def test_empty_registers_say_so(cast, world):
    profile = enterprise_profile(cast.analyst, cast.b1.id)
    for key in ("rectifications", "reform", "legacy", "safety", "rnd", "supply"):
        section = profile.section(key)
        assert section.is_empty, key
        assert section.empty, key


# -- condensed ---------------------------------------------------------------------------------


def test_condensed_keeps_the_open_items_and_a_few_of_each(cast, world):
    for number in range(CONDENSED_ROWS + 2):
        open_rectification(cast, cast.a1, title=f"整改 {number}", days=number + 1)
    full = enterprise_profile(cast.analyst, cast.a1.id)
    short = enterprise_profile(cast.analyst, cast.a1.id, condensed=True)
    assert short.condensed and not full.condensed
    assert [s.key for s in short.sections] == SECTIONS
    assert len(full.section("rectifications").tables[0].rows) == CONDENSED_ROWS + 3
    short_rows = short.section("rectifications").tables[0].rows
    assert len(short_rows) == CONDENSED_ROWS
    # The most urgent first.
    assert short_rows[0][0].text == "整改 0"
    assert any("The first 5 of 8" in note for note in short.section("rectifications").notes)
    # The assessed indicators only; the health ratios in band 4 or 5 only.
    full_indicators = full.section("indicators").tables[0].rows
    short_indicators = short.section("indicators").tables[0].rows
    assert len(short_indicators) == 6 < len(full_indicators)
    bands = short.section("health").tables[1].column("Band")
    assert all(cell.value in (4, 5) for cell in bands)
    assert len(bands) < len(full.section("health").tables[1].rows)


def test_condensed_leaves_out_closed_items(cast, world):
    from guozi.ledgers import services as ledger_services

    extra = open_rectification(cast, cast.a1, title="已撤销")
    ledger_services.item_cancel(acting_user=cast.analyst, item=extra, reason="重复")
    full = enterprise_profile(cast.analyst, cast.a1.id).section("rectifications")
    short = enterprise_profile(cast.analyst, cast.a1.id, condensed=True).section("rectifications")
    assert "已撤销" in texts(full.tables[0], "Item")
    assert "已撤销" not in texts(short.tables[0], "Item")


# -- the period --------------------------------------------------------------------------------


def test_an_earlier_period_gives_that_periods_figures(cast, world):
    profile = enterprise_profile(cast.analyst, cast.a1.id, period=JUNE)
    assert profile.period == JUNE
    revenue = row_of(profile.section("figures").tables[0], "Operating revenue")
    assert revenue["Value"].value == pytest.approx(1380)
    # June has no May to subtract from, so no month of the trend has a figure.
    assert profile.section("figures").charts == []
    assert any("No month" in note for note in profile.section("figures").notes)


@pytest.mark.parametrize("period", ["2026-05", "2031-01", "July", "2026-13"])
def test_a_period_without_figures_is_refused_with_the_choices(cast, world, period):
    with pytest.raises(DomainError) as raised:
        enterprise_profile(cast.analyst, cast.a1.id, period=period)
    assert "2026-07" in raised.value.fields["period"][0]


def test_without_any_computed_figures_the_profile_still_shows_the_registers(cast):
    open_rectification(cast, cast.a1)
    profile = enterprise_profile(cast.analyst, cast.a1.id)
    assert profile.period is None
    assert profile.section("figures").empty == "No figures have been computed yet."
    assert len(profile.section("rectifications").tables[0].rows) == 1


# -- scope -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "enterprise", "visible"),
    [
        ("reporter", "a1", True),  # group A's reporter: A's subsidiaries
        ("reporter", "a11", True),
        ("reporter", "b", False),  # not group B
        ("reporter", "b1", False),
        ("sub_reporter", "a", False),  # A1's reporter: not the group above it
        ("sub_reporter", "a11", True),
        ("outsider", "a1", False),
        ("auditor", "a1", True),  # the auditor reads the supervisor's portfolio
        ("auditor", "d", True),  # and the lower supervisor's
        ("dl_analyst", "a1", False),  # Dalian's analyst: not the province's groups
        ("dl_analyst", "d", True),
        ("sysadmin", "a1", False),  # the administrators read no portfolio data
        ("secadmin", "a1", False),
    ],
)
def test_who_may_read_which_profile(cast, world, user, enterprise, visible):
    target = getattr(cast, enterprise)
    if visible:
        assert enterprise_profile(getattr(cast, user), target.id).enterprise == target
    else:
        with pytest.raises(Http404):
            enterprise_profile(getattr(cast, user), target.id)


def test_no_such_enterprise_is_404(cast):
    with pytest.raises(Http404):
        enterprise_profile(cast.analyst, 999_999)


def test_a_reporter_sees_only_the_registers_it_may_read(cast, world):
    # The alert and the items are A1's: its group's reporter sees them, the same as the analyst.
    profile = enterprise_profile(cast.reporter, cast.a1.id)
    assert len(profile.section("alerts").tables[0].rows) == 1
    assert len(profile.section("rectifications").tables[0].rows) == 1
