"""Key-project spend beside the R&D expenditure reported in the monthly fast report: the
December report of a past year, the latest approved month of the current one (named), the
standalone figure of a parent and the one report of a leaf, missing reports shown as missing."""

import pytest

from guozi.ledgers.rnd import services
from guozi.ledgers.rnd.reported import periods_of, reported_rd
from guozi.ledgers.rnd.selectors import SummaryFilters, spend_summary
from guozi.reporting.models import ReportScope, State

from .conftest import TODAY, file_report, open_project

pytestmark = pytest.mark.django_db
STANDALONE, CONSOLIDATED = ReportScope.STANDALONE, ReportScope.CONSOLIDATED


def spend(cast, project, year, budget, amount):
    services.year_set(acting_user=None, item=project.item, year=year, budget=budget, spend=amount)


def rows_of(user, **filters) -> dict:
    found = spend_summary(user, SummaryFilters(**filters), today=TODAY)
    return {(row.enterprise.id, row.year): row for row in found.rows}


def test_the_months_that_give_a_years_figure():
    assert periods_of(2025, TODAY) == ["2025-12"]
    assert periods_of(2026, TODAY) == [f"2026-{m:02d}" for m in range(8, 0, -1)]
    assert periods_of(2027, TODAY) == []


def test_a_past_year_reads_the_standalone_december_report_of_a_parent(cast, fast_report):
    # A1 manages A11, so its own figure is its standalone report, not the consolidated one
    # that includes A11's R&D.
    file_report(fast_report, cast.a1, "2025-12", rd_wan="1200", scope=CONSOLIDATED)
    file_report(fast_report, cast.a1, "2025-12", rd_wan="800", scope=STANDALONE)
    file_report(fast_report, cast.a1, "2025-11", rd_wan="700", scope=STANDALONE)
    found = reported_rd([cast.a1.id], [2025], today=TODAY)[(cast.a1.id, 2025)]
    assert (found.amount_fen, found.period, found.scope, found.full_year) == (
        800_000_000,
        "2025-12",
        STANDALONE,
        True,
    )


def test_a_leafs_one_report_counts_as_its_own(cast, fast_report):
    file_report(fast_report, cast.a2, "2025-12", rd_wan="356.78")
    found = reported_rd([cast.a2.id], [2025], today=TODAY)[(cast.a2.id, 2025)]
    assert (found.amount_fen, found.scope) == (356_780_000, CONSOLIDATED)


def test_a_parent_without_its_standalone_report_has_no_figure(cast, fast_report):
    file_report(fast_report, cast.a1, "2025-12", rd_wan="1200", scope=CONSOLIDATED)
    assert reported_rd([cast.a1.id], [2025], today=TODAY) == {}


def test_the_current_year_reads_the_latest_approved_month(cast, fast_report):
    file_report(fast_report, cast.a2, "2026-05", rd_wan="150")
    file_report(fast_report, cast.a2, "2026-06", rd_wan="190")
    file_report(fast_report, cast.a2, "2026-07", rd_wan="230", state=State.SUBMITTED)
    found = reported_rd([cast.a2.id], [2026], today=TODAY)[(cast.a2.id, 2026)]
    assert (found.period, found.month, found.full_year, found.amount_fen) == (
        "2026-06",
        6,
        False,
        190_000_000,
    )


@pytest.mark.parametrize(
    ("period", "state"),
    [
        ("2025-11", State.APPROVED),  # a past year needs its December report
        ("2025-12", State.SUBMITTED),  # not approved yet
        ("2025-12", State.RETURNED),
        ("2025-12", State.DRAFT),
    ],
)
def test_without_an_approved_december_report_the_year_is_missing(cast, fast_report, period, state):
    file_report(fast_report, cast.a2, period, rd_wan="100", state=state)
    assert reported_rd([cast.a2.id], [2025], today=TODAY) == {}


def test_the_summary_sets_spend_beside_reported_rd(cast, fast_report):
    first = open_project(cast, owner=cast.a2, title="尾矿资源综合利用")
    second = open_project(cast, owner=cast.a2, title="智能选矿系统")
    spend(cast, first, 2025, "300万", "250万")
    spend(cast, second, 2025, "200万", "150万")
    file_report(fast_report, cast.a2, "2025-12", rd_wan="1000")
    row = rows_of(cast.analyst)[(cast.a2.id, 2025)]
    assert (row.projects, row.budget_fen, row.spend_fen) == (2, 500_000_000, 400_000_000)
    assert row.reported.amount_fen == 1_000_000_000
    assert (row.coverage.status, row.coverage.share, row.coverage.exceeds) == ("ok", 0.4, False)


def test_spend_above_the_reported_rd_is_flagged(cast, fast_report):
    project = open_project(cast, owner=cast.a2)
    spend(cast, project, 2025, "900万", "1,250万")
    file_report(fast_report, cast.a2, "2025-12", rd_wan="1000")
    quiet = open_project(cast, owner=cast.a11, title="板材表面检测")
    spend(cast, quiet, 2025, "100万", "90万")
    file_report(fast_report, cast.a11, "2025-12", rd_wan="500")
    rows = rows_of(cast.analyst)
    assert rows[(cast.a2.id, 2025)].coverage.exceeds
    assert rows[(cast.a2.id, 2025)].coverage.share == 1.25
    assert not rows[(cast.a11.id, 2025)].coverage.exceeds
    assert set(rows_of(cast.analyst, flagged=True)) == {(cast.a2.id, 2025)}


def test_a_missing_report_is_shown_as_missing_never_zero(cast, fast_report):
    project = open_project(cast, owner=cast.a2)
    spend(cast, project, 2025, "300万", "250万")
    spend(cast, project, 2026, "500万", "120万")
    file_report(fast_report, cast.a2, "2026-07", rd_wan="600")
    rows = rows_of(cast.analyst)
    missing = rows[(cast.a2.id, 2025)]
    assert missing.reported is None
    assert (missing.coverage.status, missing.coverage.share) == ("missing", None)
    assert not missing.coverage.exceeds
    current = rows[(cast.a2.id, 2026)]
    assert current.reported.period == "2026-07" and current.coverage.share == 0.2


def test_the_totals_are_ratios_of_sums(cast, fast_report):
    for owner, amount, reported in ((cast.a2, "100万", "1000"), (cast.a11, "900万", "1000")):
        project = open_project(cast, owner=owner, title=f"项目{owner.id}")
        spend(cast, project, 2025, amount, amount)
        file_report(fast_report, owner, "2025-12", rd_wan=reported)
    unreported = open_project(cast, owner=cast.b1, title="港口自动化")
    spend(cast, unreported, 2025, "500万", "500万")
    found = spend_summary(cast.analyst, SummaryFilters(), today=TODAY)
    (total,) = found.totals
    assert (total.enterprises, total.projects, total.spend_fen) == (3, 3, 1_500_000_000)
    assert (total.coverage.spend_fen, total.coverage.reported_fen) == (1_000_000_000, 2_000_000_000)
    assert total.coverage.share == 0.5 and total.flagged == 0


def test_outcomes_are_counted_by_the_year_achieved(cast, fast_report):
    project = open_project(cast, owner=cast.a2)
    for number, day in (("ZL1", "2025-06-01"), ("ZL2", "2026-02-01"), ("ZL3", "2026-03-01")):
        services.outcome_add(
            acting_user=None,
            item=project.item,
            kind="patent",
            title="专利",
            identifier=number,
            achieved_on=day,
        )
    rows = rows_of(cast.analyst)
    assert rows[(cast.a2.id, 2025)].outcomes == {"patent": 1}
    assert rows[(cast.a2.id, 2026)].outcomes == {"patent": 2}
    assert rows[(cast.a2.id, 2026)].spend_fen is None


def test_the_summary_is_scoped_and_filtered(cast, fast_report):
    steel = open_project(cast, owner=cast.a2)
    spend(cast, steel, 2025, "1", "1")
    port = open_project(cast, owner=cast.b1, title="港口自动化")
    spend(cast, port, 2025, "1", "1")
    spend(cast, port, 2026, "1", "1")
    assert set(rows_of(cast.outsider)) == {(cast.b1.id, 2025), (cast.b1.id, 2026)}
    assert set(rows_of(cast.reporter)) == {(cast.a2.id, 2025)}
    assert set(rows_of(cast.dl_analyst)) == set()
    assert set(rows_of(cast.analyst, year=2026)) == {(cast.b1.id, 2026)}
    assert set(rows_of(cast.analyst, q="营口")) == {(cast.b1.id, 2025), (cast.b1.id, 2026)}
