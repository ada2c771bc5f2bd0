"""Article 3 grades at every boundary of every criterion, and the Article 13 re-report window."""

from decimal import Decimal

import pytest

from guozi.ledgers.safety.grading import (
    Criterion,
    Grade,
    GradingError,
    NotAnIncident,
    grade_incident,
    within_supplementary_window,
)

G, S, M, E = Grade.GENERAL, Grade.SERIOUS, Grade.MAJOR, Grade.ESPECIALLY_SERIOUS
YI = Decimal(100_000_000)
WAN = Decimal(10_000)


def grade(deaths=0, injuries=0, loss=Decimal(0)) -> Grade:
    return grade_incident(deaths=deaths, serious_injuries=injuries, direct_loss=loss).grade


@pytest.mark.parametrize(
    ("deaths", "expected"),
    [(1, G), (2, G), (3, S), (9, S), (10, M), (29, M), (30, E), (31, E), (300, E)],
)
def test_deaths_grade_on_half_open_intervals(deaths, expected):
    assert grade(deaths=deaths) == expected


@pytest.mark.parametrize(
    ("injuries", "expected"),
    [(1, G), (9, G), (10, S), (49, S), (50, M), (99, M), (100, E), (101, E)],
)
def test_serious_injuries_grade_on_half_open_intervals(injuries, expected):
    assert grade(injuries=injuries) == expected


@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        (Decimal("0.01"), G),
        (1000 * WAN - 1, G),
        (1000 * WAN, S),
        (1000 * WAN + 1, S),
        (5000 * WAN - 1, S),
        (5000 * WAN, M),
        (5000 * WAN + 1, M),
        (YI - 1, M),
        (YI, E),
        (YI + 1, E),
        (YI - Decimal("0.01"), M),
    ],
)
def test_direct_loss_grades_to_the_yuan(loss, expected):
    assert grade(loss=loss) == expected


def test_the_highest_grade_any_criterion_reaches_wins():
    # Two deaths (general), 12 injured (serious), 6,000万 loss (major): major.
    grading = grade_incident(deaths=2, serious_injuries=12, direct_loss=6000 * WAN)
    assert grading.grade == M
    assert [c.grade for c in grading.criteria] == [G, S, M]
    assert [c.criterion for c in grading.deciding] == [Criterion.DIRECT_LOSS]


def test_criteria_that_agree_are_all_named_as_the_reason():
    grading = grade_incident(deaths=3, serious_injuries=10, direct_loss=1000 * WAN)
    assert grading.grade == S
    assert [c.criterion for c in grading.deciding] == list(Criterion)


def test_one_criterion_at_the_top_outranks_two_lower_ones():
    grading = grade_incident(deaths=9, serious_injuries=49, direct_loss=YI)
    assert grading.grade == E
    assert [c.criterion for c in grading.deciding] == [Criterion.DIRECT_LOSS]


def test_the_intervals_of_each_criterion_are_reported():
    deaths, injuries, loss = grade_incident(
        deaths=12, serious_injuries=0, direct_loss=Decimal(500)
    ).criteria
    assert (deaths.grade, deaths.lower, deaths.upper) == (M, 10, 30)
    assert (injuries.grade, injuries.lower, injuries.upper) == (None, None, None)
    assert (loss.grade, loss.lower, loss.upper) == (G, None, 1000 * WAN)
    top = grade_incident(deaths=30, serious_injuries=0, direct_loss=Decimal(0)).criteria[0]
    assert (top.lower, top.upper) == (30, None)


def test_nothing_lost_and_nobody_hurt_is_not_an_incident():
    with pytest.raises(NotAnIncident) as refused:
        grade_incident(deaths=0, serious_injuries=0, direct_loss=Decimal(0))
    assert refused.value.code == "not_an_incident"


@pytest.mark.parametrize(
    ("figures", "code", "criterion"),
    [
        ({"deaths": -1}, "negative", Criterion.DEATHS),
        ({"serious_injuries": -3}, "negative", Criterion.SERIOUS_INJURIES),
        ({"direct_loss": Decimal("-0.01")}, "negative", Criterion.DIRECT_LOSS),
        ({"deaths": 1.5}, "not_a_whole_number", Criterion.DEATHS),
        ({"serious_injuries": True}, "not_a_whole_number", Criterion.SERIOUS_INJURIES),
        ({"direct_loss": Decimal("NaN")}, "not_a_number", Criterion.DIRECT_LOSS),
        ({"direct_loss": 12.5}, "not_a_number", Criterion.DIRECT_LOSS),
    ],
)
def test_figures_that_cannot_be_graded_are_refused(figures, code, criterion):
    values = {"deaths": 1, "serious_injuries": 0, "direct_loss": Decimal(0), **figures}
    with pytest.raises(GradingError) as refused:
        grade_incident(**values)
    assert (refused.value.code, refused.value.criterion) == (code, criterion)


@pytest.mark.parametrize(
    ("incident_type", "days", "within"),
    [
        ("mining", 0, True),
        ("mining", 30, True),
        ("mining", 31, False),
        ("hazardous_chemicals", 30, True),
        ("road_traffic", 7, True),
        ("road_traffic", 8, False),
        ("fire", 7, True),
        ("fire", 8, False),
        ("construction", -1, False),
    ],
)
def test_the_supplementary_window_is_30_days_and_7_for_road_traffic_and_fire(
    incident_type, days, within
):
    assert within_supplementary_window(incident_type, days) is within
