"""Each stop shows the latest approved figures up to the tour's period, and says so when they
are older."""

from guozi.briefings.compose import tour_document
from guozi.dashboard.profile import latest_period_with_figures
from guozi.indicators.models import IndicatorResult, UnitKind

from .conftest import make_tour

JUNE, JULY = "2026-06", "2026-07"


def test_a_stop_without_approved_figures_for_the_period_shows_the_month_before(figures):
    cast = figures
    tour = make_tour(cast, stops=None)
    IndicatorResult.objects.filter(
        run__period=JULY, enterprise=cast.a1, unit_kind=UnitKind.ENTERPRISE
    ).delete()  # as if A1's July report were still awaiting approval
    assert latest_period_with_figures(cast.a1.id, JULY) == JUNE
    assert latest_period_with_figures(cast.a11.id, JULY) == JULY
    assert latest_period_with_figures(cast.a11.id, JUNE) is None

    document, _tables = tour_document(tour, tour.brief.texts, cast.analyst, watermark="w")
    said = {part.key: " ".join(part.paragraphs) for part in document.parts}
    a1, a11 = (tour.stops.get(enterprise=e) for e in (cast.a1, cast.a11))
    assert "figures of Jul 2026 are not approved yet; those of Jun 2026" in said[f"stop-{a1.id}"]
    assert "not approved" not in said[f"stop-{a11.id}"]


def test_a_stop_prints_the_condensed_profile_without_holders_and_reporting(figures):
    tour = make_tour(figures)
    document, _tables = tour_document(tour, tour.brief.texts, figures.analyst, watermark="w")
    stop = tour.stops.get(enterprise=figures.a1)
    keys = {part.key for part in document.parts if part.key.startswith(f"stop-{stop.id}-")}
    assert {f"stop-{stop.id}-identity", f"stop-{stop.id}-figures"} <= keys
    assert not keys & {f"stop-{stop.id}-holders", f"stop-{stop.id}-reporting"}
    charts = [part.key for part in document.parts if part.charts]
    assert charts and all(key.endswith("-figures") for key in charts)
