"""The history check: this month's own flow against the enterprise's seasonal history."""

from guozi.lib.periods import Period
from guozi.reporting.batch import BatchItem, batch_write
from guozi.reporting.models import RuleResult, Submission
from guozi.reporting.validation import validate_period

WAN = 1_000_000  # fen in one 万元


def monthly_revenue(period: Period) -> float:
    """A steady business with a Spring Festival dip and a December peak, growing 5% a year."""
    season = {1: 0.7, 2: 0.6, 12: 1.8}.get(period.index, 1.0)
    return 100 * season * 1.05 ** (period.year - 2024)


def file_history(cast, form, last: Period, current_month: float) -> Submission:
    periods = Period.range(last.shift(-27), last)
    for period in periods:
        months = Period.range(period.first_of_year(), period)
        ytd = sum(monthly_revenue(p) for p in months[:-1])
        ytd += current_month if period == last else monthly_revenue(period)
        cells = {"operating_revenue.current": round(ytd * 100) * 10_000}
        batch_write(
            acting_user=None,
            form=form,
            period=period,
            channel="demo",
            validate=False,
            items=[BatchItem(cast.a11.id, "consolidated", cells)],
        )
    return Submission.objects.get(enterprise=cast.a11, period=str(last))


def test_a_sudden_jump_is_flagged_with_the_numbers(cast, fast_report):
    last = Period.parse("2026-07")
    submission = file_history(cast, fast_report, last, current_month=monthly_revenue(last) * 3)
    validate_period(fast_report, last, [submission.id])
    result = RuleResult.objects.get(submission=submission, rule="revenue_history_outlier")
    assert result.severity == "warning"
    assert "3.15" in result.message_zh  # three times July's usual, which grew 5% on last year
    assert result.cells == ["operating_revenue.current"]


def test_a_recurring_december_peak_is_not_an_outlier(cast, fast_report):
    last = Period.parse("2025-12")
    submission = file_history(cast, fast_report, last, current_month=monthly_revenue(last))
    validate_period(fast_report, last, [submission.id])
    assert not RuleResult.objects.filter(
        submission=submission, rule="revenue_history_outlier"
    ).exists()
