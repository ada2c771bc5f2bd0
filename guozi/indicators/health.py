"""Health-check banding in the style of the IMF SOE Health Check Tool; pure functions.

Four thresholds split a ratio into bands 1 (best) to 5 (worst). For a ratio where higher is
better, the thresholds fall (t1 > t2 > t3 > t4): a value at or above t1 is band 1, at or above t2
band 2, at or above t3 band 3, at or above t4 band 4, below t4 band 5. Where lower is better
they rise, and a value at or below t1 is band 1, …, above t4 band 5. A value exactly on a
threshold takes the better band. A "worst when" condition (negative equity or EBITDA) forces
band 5, since the ratio would otherwise look good for the wrong reason.

The overall score is the mean of the bands of the enabled ratios that have a band; the overall
rating is that score cut into five zones (by default at 1.5, 2.5, 3.5 and 4.5).
"""

from collections.abc import Sequence
from dataclasses import dataclass

WORST = 5


def band(value: float | None, thresholds: Sequence[float], direction: str) -> int | None:
    """The band (1 best … 5 worst) of a value; None for a missing or undefined value."""
    if value is None:
        return None
    for index, threshold in enumerate(thresholds, start=1):
        better_or_equal = value >= threshold if direction == "higher" else value <= threshold
        if better_or_equal:
            return index
    return WORST


@dataclass(frozen=True)
class Banded:
    band: int | None
    forced: bool  # band 5 because of the "worst when" condition


def band_of(
    value: float | None, thresholds: Sequence[float], direction: str, worst: bool = False
) -> Banded:
    if worst:
        return Banded(WORST, True)
    return Banded(band(value, thresholds, direction), False)


def overall(bands: Sequence[int | None], cuts: Sequence[float]) -> tuple[float | None, int | None]:
    """(mean band, rating 1–5) over the bands given; (None, None) when none has a band."""
    present = [b for b in bands if b is not None]
    if not present:
        return None, None
    score = sum(present) / len(present)
    return score, rating(score, cuts)


def rating(score: float, cuts: Sequence[float]) -> int:
    """The zone (1–5) of an overall score: below the first cut is 1, at or above the last is 5."""
    return 1 + sum(score >= cut for cut in cuts)


def altman_zone(score: float | None, limits: Sequence[float]) -> int | None:
    """0 distress (below the lower limit), 1 grey, 2 safe (above the upper limit)."""
    if score is None:
        return None
    lower, upper = limits
    if score < lower:
        return 0
    return 2 if score > upper else 1


def band_expr(value, thresholds: Sequence[float], direction: str):
    """`band` as a polars expression over a column of values (null stays null)."""
    import polars as pl

    expr = pl.lit(WORST, dtype=pl.Int8)
    for index, threshold in reversed(list(enumerate(thresholds, start=1))):
        better = value >= threshold if direction == "higher" else value <= threshold
        expr = pl.when(better).then(pl.lit(index, dtype=pl.Int8)).otherwise(expr)
    return pl.when(value.is_null()).then(None).otherwise(expr)
