"""Health-check banding at every threshold edge, in both directions."""

import pytest

from guozi.indicators import health

HIGHER = (10.0, 5.0, 0.0, -10.0)  # ROA-like: higher is better
LOWER = (30.0, 40.0, 50.0, 90.0)  # debtor days: lower is better


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (25, 1),
        (10, 1),  # on t1: the better band
        (9.99, 2),
        (5, 2),
        (4.99, 3),
        (0, 3),
        (-0.01, 4),
        (-10, 4),
        (-10.01, 5),
    ],
)
def test_higher_is_better(value, band):
    assert health.band(value, HIGHER, "higher") == band


@pytest.mark.parametrize(
    ("value", "band"),
    [(0, 1), (30, 1), (30.01, 2), (40, 2), (40.5, 3), (50, 3), (50.1, 4), (90, 4), (91, 5)],
)
def test_lower_is_better(value, band):
    assert health.band(value, LOWER, "lower") == band


def test_missing_has_no_band_and_a_forced_band_is_the_worst():
    assert health.band(None, HIGHER, "higher") is None
    assert health.band_of(None, HIGHER, "higher", worst=True) == health.Banded(5, True)
    assert health.band_of(25, HIGHER, "higher", worst=True) == health.Banded(5, True)
    assert health.band_of(25, HIGHER, "higher") == health.Banded(1, False)


@pytest.mark.parametrize(
    ("bands", "score", "rating"),
    [
        ([1, 1, 2], 4 / 3, 1),
        ([1, 2], 1.5, 2),  # on a cut: the higher zone
        ([2, 3, None], 2.5, 3),
        ([4, 5], 4.5, 5),
        ([3, 4], 3.5, 4),
    ],
)
def test_overall_score_and_rating(bands, score, rating):
    assert health.overall(bands, (1.5, 2.5, 3.5, 4.5)) == (pytest.approx(score), rating)


def test_no_bands_no_rating():
    assert health.overall([None, None], (1.5, 2.5, 3.5, 4.5)) == (None, None)


@pytest.mark.parametrize(
    ("score", "zone"), [(0.5, 0), (1.1, 1), (2.0, 1), (2.6, 1), (2.61, 2), (None, None)]
)
def test_altman_zones(score, zone):
    assert health.altman_zone(score, (1.1, 2.6)) == zone
