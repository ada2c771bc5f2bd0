"""Statistics: incidents per grade, deaths, serious injuries and direct loss by year,
enterprise, industry and city, from each incident's latest report, scoped, without the
cancelled ones."""

from decimal import Decimal

import pytest

from guozi.ledgers import services as ledger_services
from guozi.ledgers.safety.selectors import IncidentFilters, incident_statistics

from .conftest import again, at, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(cast):
    """Incidents in 2025 and 2026 at A2 (本溪, C31), A11 (鞍山, C31), B1 (营口, G55) and
    Dalian's metro D (大连, G54)."""
    mine = report(cast, deaths=2, serious_injuries=1, direct_loss=Decimal("3800000"))
    plant = report(
        cast,
        by=cast.analyst,
        owner=cast.a11,
        incident_type="industry_trade",
        occurred_at=at("2025-04-02 08:00"),
        reported_at=at("2025-04-02 09:00"),
        deaths=0,
        serious_injuries=12,
        direct_loss=Decimal("1500000"),
    )
    port = report(
        cast,
        by=cast.analyst,
        owner=cast.b1,
        incident_type="water_transport",
        occurred_at=at("2026-02-10 13:00"),
        reported_at=at("2026-02-10 14:00"),
        deaths=1,
        serious_injuries=0,
        direct_loss=Decimal("52000000.50"),
    )
    metro = report(
        cast,
        by=cast.dl_analyst,
        owner=cast.d,
        incident_type="construction",
        occurred_at=at("2026-06-02 10:00"),
        reported_at=at("2026-06-02 11:00"),
        deaths=3,
        serious_injuries=0,
        direct_loss=Decimal(0),
    )
    return mine, plant, port, metro


def table(user, by, **filters):
    statistics = incident_statistics(user, by, IncidentFilters(**filters))
    rows = {
        row.key: (
            row.incidents,
            row.grade_counts,
            row.deaths,
            row.serious_injuries,
            row.direct_loss_fen,
        )
        for row in statistics.rows
    }
    return rows, statistics.total


def test_by_year(cast, recorded):
    rows, total = table(cast.analyst, "year")
    assert rows == {
        "2025": (1, [0, 0, 1, 0], 0, 12, 150_000_000),
        "2026": (3, [0, 1, 1, 1], 6, 1, 380_000_000 + 5_200_000_050),
    }
    assert (total.incidents, total.deaths, total.serious_injuries) == (4, 6, 13)
    assert total.direct_loss_fen == 150_000_000 + 380_000_000 + 5_200_000_050
    assert total.grade_counts == [0, 1, 2, 1]


def test_by_enterprise_industry_and_city(cast, recorded):
    by_enterprise, _ = table(cast.analyst, "enterprise")
    assert set(by_enterprise) == {str(e.id) for e in (cast.a2, cast.a11, cast.b1, cast.d)}
    assert by_enterprise[str(cast.b1.id)][1] == [0, 1, 0, 0]  # major, by its loss
    by_industry, _ = table(cast.analyst, "industry")
    assert {key: row[0] for key, row in by_industry.items()} == {"C": 2, "G": 2}
    by_city, _ = table(cast.analyst, "city")
    assert {key: row[0] for key, row in by_city.items()} == {
        "210500": 1,  # 本溪
        "210300": 1,  # 鞍山
        "210800": 1,  # 营口
        "210200": 1,  # 大连
    }


def test_labels_name_cities_industries_and_enterprises(cast, recorded):
    labels = {
        row.key: row.label
        for by in ("city", "industry", "enterprise")
        for row in incident_statistics(cast.analyst, by, IncidentFilters()).rows
    }
    assert labels["210800"] == "营口市"
    assert labels["G"].startswith("G ") and "交通运输" in labels["G"]
    assert labels[str(cast.a11.id)] == "辽钢板材鞍山加工厂"


def test_the_latest_report_counts(cast, recorded):
    mine = recorded[0]
    again(cast, mine, deaths=10, reported_at=at("2026-08-25 10:00"))
    rows, _ = table(cast.reporter, "year", year=2026)
    assert rows == {"2026": (1, [0, 1, 0, 0], 10, 1, 380_000_000)}


def test_cancelled_incidents_do_not_count(cast, recorded):
    ledger_services.item_cancel(
        acting_user=cast.analyst, item=recorded[2].item, reason="非生产安全事故"
    )
    rows, total = table(cast.analyst, "year")
    assert total.incidents == 3
    assert rows["2026"][0] == 2


@pytest.mark.parametrize(
    ("username", "incidents"),
    [("analyst", 4), ("dl_analyst", 1), ("reporter", 2), ("outsider", 1), ("sub_reporter", 1)],
)
def test_statistics_are_scoped_to_what_the_user_may_see(cast, recorded, username, incidents):
    _, total = table(getattr(cast, username), "enterprise")
    assert total.incidents == incidents


def test_filters_narrow_the_statistics(cast, recorded):
    _, in_2026 = table(cast.analyst, "city", year=2026)
    assert in_2026.incidents == 3
    _, water = table(cast.analyst, "year", incident_type="water_transport")
    assert (water.incidents, water.deaths) == (1, 1)
    _, anshan = table(cast.analyst, "enterprise", city="210300")
    assert anshan.incidents == 1


def test_an_unknown_dimension_is_refused(cast):
    with pytest.raises(ValueError):
        incident_statistics(cast.analyst, "month", IncidentFilters())
