"""Completion from the database: weighted and unweighted, by area, city, group and enterprise,
as of a day, and what each user sees."""

from datetime import date

import pytest

from guozi.ledgers.reform import selectors
from guozi.ledgers.reform.completion import Tally
from guozi.ledgers.reform.selectors import Filters
from guozi.registry.tree import tree_at

from . import scenario
from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(cast):
    scenario.build(cast)
    return cast


def completion(user, **filters):
    chosen = Filters(**filters)
    return selectors.completion(user, chosen, tree_at(chosen.day()))


def test_completion_today(history):
    result = completion(history.analyst)
    totals = result.totals
    # 7 tasks count (A11's tenure_contract is cancelled), 31 weight points; A's and B's
    # front_list are verified (4 + 4 points); the 5 others are past their deadline.
    assert (totals.tasks, totals.weight, totals.done, totals.weight_done, totals.late) == (
        7, 31, 2, 8, 5
    )  # fmt: skip
    assert totals.rate == pytest.approx(100 * 2 / 7)
    assert totals.weighted_rate == pytest.approx(100 * 8 / 31)
    # Percent complete: 100 + 100 (verified) + 33 (A1's tenure_contract), weighted 400+400+165.
    assert (totals.progress, totals.weighted_progress) == (233, 965)
    assert result.live


def test_completion_as_of_a_past_day_counts_what_was_verified_by_then(history):
    result = completion(history.analyst, as_of=date(2026, 5, 1))
    totals = result.totals
    assert (totals.tasks, totals.weight, totals.done, totals.weight_done, totals.late) == (
        8, 36, 1, 4, 0
    )  # fmt: skip
    assert not result.live
    assert completion(history.analyst, as_of=date(2026, 3, 1)).totals == Tally()


def test_completion_by_area(history):
    rows = {row.key: row.tally for row in completion(history.analyst).by_area}
    front = rows["three_year_action", "corporate_system"]
    tenure = rows["three_year_action", "market_mechanisms"]
    assert (front.tasks, front.done, front.rate) == (4, 2, 50.0)
    assert (tenure.tasks, tenure.done, tenure.weight) == (3, 0, 15)


def test_completion_rolls_up_by_group_and_city(history):
    result = completion(history.analyst)
    groups = {row.key: row.tally for row in result.by_group}
    assert (groups[history.a.id].tasks, groups[history.a.id].done) == (5, 1)
    assert groups[history.a.id].weighted_rate == pytest.approx(100 * 4 / 22)
    assert (groups[history.b.id].tasks, groups[history.b.id].done) == (2, 1)
    cities = {row.key: row.tally for row in result.by_city}
    assert {code: (t.tasks, t.done) for code, t in cities.items()} == {
        "210100": (4, 1), "210300": (1, 0), "210200": (2, 1)
    }  # fmt: skip
    enterprises = [(owner, tally.done) for owner, tally in result.by_enterprise]
    assert len(enterprises) == 4 and enterprises[-1][0] in (history.a.id, history.b.id)


def test_filters_narrow_the_tasks(history):
    assert completion(history.analyst, city="210300").totals.tasks == 1
    assert completion(history.analyst, group=history.b.id).totals.tasks == 2
    assert completion(history.analyst, area="market_mechanisms").totals.tasks == 3
    assert completion(history.analyst, programme="deepening_action").totals == Tally()
    assert completion(history.dl_analyst).totals == Tally()


def test_each_user_sees_their_own_scope(history):
    group = completion(history.reporter).totals
    assert (group.tasks, group.done) == (5, 1)
    sub = completion(history.sub_reporter).totals  # A1 and A11 below it
    assert (sub.tasks, sub.done) == (3, 0)
    port = completion(history.outsider).totals
    assert (port.tasks, port.done) == (2, 1)


def test_overdue_and_at_risk_lists(history):
    tree = tree_at(TODAY)
    overdue = selectors.tasks_in_order(list(selectors.overdue(history.analyst, Filters(), tree)))
    assert {(t.owner_id, t.catalogue_task.code) for t in overdue} == {
        (history.a.id, "tenure_contract"), (history.a1.id, "front_list"),
        (history.a1.id, "tenure_contract"), (history.a11.id, "front_list"),
        (history.b.id, "tenure_contract"),
    }  # fmt: skip
    assert selectors.overdue(history.outsider, Filters(), tree).count() == 1
    assert selectors.risky(history.analyst, Filters(), tree) == []


def test_a_task_at_risk(cast):
    from datetime import timedelta

    from guozi.ledgers.demo import on_day

    from .conftest import assign

    with on_day(TODAY - timedelta(days=120)):
        (late,) = assign(cast, [cast.a1], ["front_list"], deadline=TODAY + timedelta(days=20))
        (fine,) = assign(cast, [cast.a1], ["tenure_contract"], deadline=TODAY + timedelta(days=200))
    ids = selectors.risky(cast.analyst, Filters(), tree_at(TODAY))
    assert ids == [late.item_id]
    assert selectors.risky(cast.outsider, Filters(), tree_at(TODAY)) == []
    assert fine.item_id not in ids


def test_an_enterprises_ledger_counts_its_measures(history):
    rows = list(selectors.enterprise_ledger(history.analyst, history.a1.id))
    tenure = next(r for r in rows if r.catalogue_task.code == "tenure_contract")
    assert (tenure.measures, tenure.measures_done, tenure.proposals_waiting) == (3, 1, 0)
    assert list(selectors.enterprise_ledger(history.outsider, history.a1.id)) == []


def test_todays_table_follows_every_change(history):
    from guozi.ledgers.reform import current, services
    from guozi.ledgers.reform.models import CurrentTally

    assert current.refresh(TODAY) in ("full", "fresh")
    assert current.refresh(TODAY) == "fresh"
    before = completion(history.analyst).totals
    services.task_reweight(
        acting_user=history.analyst, task=scenario.task(history.a1, "front_list"), weight=10
    )
    assert current.refresh(TODAY) == "partial"
    after = completion(history.analyst).totals
    assert after.weight == before.weight + 6 and after.tasks == before.tasks
    rows = CurrentTally.objects.filter(owner=history.a1)
    assert {r.group_id for r in rows} == {history.a.id} and {r.city_code for r in rows} == {
        "210100"
    }
    assert current.refresh(date(2026, 8, 29)) == "full"


def test_todays_table_and_a_count_from_the_tasks_agree(history):
    today = completion(history.analyst)
    past = selectors._past_rows(history.analyst, Filters(), TODAY, tree_at(TODAY))
    assert sorted((o, t.values()) for o, _c, _g, t in past[0]) == sorted(
        (owner, tally.values()) for owner, tally in today.by_enterprise
    )
    assert past[1] == {row.key: row.tally for row in today.by_area}


def test_overdue_and_at_risk_from_one_read_agree_with_the_lists(history):
    tree = tree_at(TODAY)
    late, risk = selectors.late_and_risky(history.analyst, Filters(), tree)
    assert late == list(selectors.overdue(history.analyst, Filters(), tree))
    assert risk == selectors.risky(history.analyst, Filters(), tree)
    assert len(late) == 5
