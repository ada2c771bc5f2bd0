"""The reform indicators beside completion: sums, ratios of sums, the latest approved period."""

import pytest

from guozi.ledgers.reform import kpis
from guozi.ledgers.reform.indicator_reports import write_reports
from guozi.registry.selectors import visible_enterprises
from guozi.reporting.models import Form, State, Submission

from .conftest import TODAY, assign


def test_shares_are_ratios_of_sums_not_means_of_shares():
    summary = kpis.summarise(
        "2026H1",
        [
            {"board_established": True, "external_majority": False, "managers_total": 10,
             "managers_contract": 10, "non_state_share": 40},
            {"board_established": True, "external_majority": True, "managers_total": 90,
             "managers_contract": 45, "non_state_share": None},
            {"board_established": False, "external_majority": None, "managers_total": None},
        ],
    )  # fmt: skip
    assert summary.reports == 3
    assert (summary.yes["board_established"], summary.answered["board_established"]) == (2, 3)
    assert (summary.yes["external_majority"], summary.answered["external_majority"]) == (1, 2)
    assert summary.contract_share == pytest.approx(55.0)  # 55 of 100, not (100% + 50%) / 2
    assert summary.non_state_mean == 40
    assert summary.board_share is None


@pytest.mark.django_db
def test_the_latest_approved_period_of_the_users_enterprises(cast):
    assign(cast, [cast.a, cast.a1, cast.b], ["front_list"])
    written = write_reports(seed=1, today=TODAY)
    form = Form.objects.get(code=kpis.FORM_CODE)
    assert written == Submission.objects.filter(form=form, state=State.APPROVED).count() == 36
    mine = kpis.latest(visible_enterprises(cast.reporter))
    assert (mine.period, mine.reports) == ("2026H1", 2)
    assert mine.yes["board_established"] == 1  # the group A; A1 has verified no boards task
    everyone = kpis.latest(visible_enterprises(cast.analyst))
    assert everyone.reports == 3
    cells = [s.cells for s in Submission.objects.filter(form=form, period="2026H1")]
    total = sum(c["managers_total.current"] for c in cells)
    contract = sum(c["managers_contract.current"] for c in cells)
    assert everyone.contract_share == pytest.approx(100 * contract / total)
    Submission.objects.filter(form=form, period="2026H1", enterprise=cast.b).update(
        state=State.SUBMITTED
    )
    assert kpis.latest(visible_enterprises(cast.outsider)).period == "2025H2"
    assert kpis.latest(visible_enterprises(cast.dl_analyst)) is None
