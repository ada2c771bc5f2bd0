"""The grade of a production-safety incident, by Article 3 of the 生产安全事故报告和调查处理条例
(State Council Order No. 493, 2007).

Three criteria, each graded on its own: deaths, serious injuries (acute industrial poisoning
included) and direct economic loss in yuan. The incident takes the highest grade any one
criterion reaches. In the regulation "以上" includes the number and "以下" excludes it, so every
grade is a half-open interval [lower, upper): exactly 30 deaths is 特别重大, exactly 10 deaths
is 重大, 29 deaths is 重大.

| grade                 | deaths | serious injuries | direct loss (yuan)         |
|-----------------------|--------|------------------|----------------------------|
| especially serious 特别重大 | ≥ 30   | ≥ 100            | ≥ 100,000,000 (1亿)        |
| major 重大             | 10–29  | 50–99            | 50,000,000 (5000万) – 1亿   |
| serious 较大           | 3–9    | 10–49            | 10,000,000 (1000万) – 5000万|
| general 一般           | 1–2    | 1–9              | above 0 – 1000万           |

A criterion at zero grades nothing; an incident with no death, no injury and no loss is not a
production-safety incident at all and is refused (`NotAnIncident`).

Pure: plain numbers in, plain values out; the labels and sentences are the caller's.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum


class Grade(Enum):
    """The four grades, lowest first; `rank` orders them."""

    GENERAL = "general"  # 一般
    SERIOUS = "serious"  # 较大
    MAJOR = "major"  # 重大
    ESPECIALLY_SERIOUS = "especially_serious"  # 特别重大

    @property
    def rank(self) -> int:
        return list(Grade).index(self)


class Criterion(Enum):
    DEATHS = "deaths"
    SERIOUS_INJURIES = "serious_injuries"
    DIRECT_LOSS = "direct_loss"


YI = Decimal(100_000_000)  # 1亿元
WAN = Decimal(10_000)  # 1万元

# The lower bound of each grade, per criterion, highest grade first. A value at or above a
# bound is in that grade (以上 includes the number).
THRESHOLDS: dict[Criterion, tuple[tuple[Grade, Decimal], ...]] = {
    Criterion.DEATHS: (
        (Grade.ESPECIALLY_SERIOUS, Decimal(30)),
        (Grade.MAJOR, Decimal(10)),
        (Grade.SERIOUS, Decimal(3)),
    ),
    Criterion.SERIOUS_INJURIES: (
        (Grade.ESPECIALLY_SERIOUS, Decimal(100)),
        (Grade.MAJOR, Decimal(50)),
        (Grade.SERIOUS, Decimal(10)),
    ),
    Criterion.DIRECT_LOSS: (
        (Grade.ESPECIALLY_SERIOUS, YI),
        (Grade.MAJOR, 5000 * WAN),
        (Grade.SERIOUS, 1000 * WAN),
    ),
}


class GradingError(ValueError):
    """Figures that cannot be graded. `code` says why, `criterion` which figure (if one)."""

    def __init__(self, code: str, criterion: Criterion | None = None) -> None:
        super().__init__(code if criterion is None else f"{code}: {criterion.value}")
        self.code = code
        self.criterion = criterion


class NotAnIncident(GradingError):
    """No death, no serious injury and no direct loss."""

    def __init__(self) -> None:
        super().__init__("not_an_incident")


@dataclass(frozen=True)
class CriterionGrade:
    """How one criterion grades: its value, the grade it reaches (None at zero) and that
    grade's interval [lower, upper), upper None for the open top."""

    criterion: Criterion
    value: Decimal
    grade: Grade | None
    lower: Decimal | None
    upper: Decimal | None


@dataclass(frozen=True)
class Grading:
    grade: Grade
    criteria: tuple[CriterionGrade, ...]  # deaths, serious injuries, direct loss

    @property
    def deciding(self) -> tuple[CriterionGrade, ...]:
        """The criteria that reach the incident's grade: the reason for it."""
        return tuple(c for c in self.criteria if c.grade == self.grade)


def grade_criterion(criterion: Criterion, value: Decimal) -> CriterionGrade:
    """One criterion's grade on its half-open intervals."""
    if value <= 0:
        return CriterionGrade(criterion, value, None, None, None)
    upper = None
    for grade, lower in THRESHOLDS[criterion]:
        if value >= lower:
            return CriterionGrade(criterion, value, grade, lower, upper)
        upper = lower
    return CriterionGrade(criterion, value, Grade.GENERAL, None, upper)


def _checked_count(value: int, criterion: Criterion) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GradingError("not_a_whole_number", criterion)
    if value < 0:
        raise GradingError("negative", criterion)
    return Decimal(value)


def _checked_loss(value: Decimal) -> Decimal:
    if not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise GradingError("not_a_number", Criterion.DIRECT_LOSS)
    value = Decimal(value)
    if not value.is_finite():
        raise GradingError("not_a_number", Criterion.DIRECT_LOSS)
    if value < 0:
        raise GradingError("negative", Criterion.DIRECT_LOSS)
    return value


def grade_incident(*, deaths: int, serious_injuries: int, direct_loss: Decimal) -> Grading:
    """The incident's grade and how each criterion graded. `direct_loss` is in yuan.

    Raises `GradingError` for a negative or non-numeric figure and `NotAnIncident` when all
    three are zero."""
    values = (
        (Criterion.DEATHS, _checked_count(deaths, Criterion.DEATHS)),
        (Criterion.SERIOUS_INJURIES, _checked_count(serious_injuries, Criterion.SERIOUS_INJURIES)),
        (Criterion.DIRECT_LOSS, _checked_loss(direct_loss)),
    )
    criteria = tuple(grade_criterion(criterion, value) for criterion, value in values)
    graded = [c.grade for c in criteria if c.grade is not None]
    if not graded:
        raise NotAnIncident()
    return Grading(grade=max(graded, key=lambda grade: grade.rank), criteria=criteria)


# --- re-reporting (补报), Article 13 ----------------------------------------------------------

# Casualty figures that change within this many days of the day of the incident are re-reported
# (补报); road-traffic and fire incidents have the shorter window.
SUPPLEMENTARY_DAYS = 30
SUPPLEMENTARY_DAYS_SHORT = 7
SHORT_WINDOW_TYPES = frozenset({"road_traffic", "fire"})


def supplementary_window_days(incident_type: str) -> int:
    return SUPPLEMENTARY_DAYS_SHORT if incident_type in SHORT_WINDOW_TYPES else SUPPLEMENTARY_DAYS


def within_supplementary_window(incident_type: str, days_after: int) -> bool:
    """Whether a report made `days_after` days after the day of the incident is still a 补报.

    The day of the incident is not counted and the last day counts whole (days are counted as
    in the Civil Code, Art. 201): a report on day 30 (day 7 for road traffic and fire) is
    within the window, one on day 31 (day 8) is late."""
    return 0 <= days_after <= supplementary_window_days(incident_type)
