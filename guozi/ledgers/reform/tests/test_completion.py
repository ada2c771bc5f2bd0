"""The completion arithmetic, by hand-computed cases (no database)."""

from datetime import date

import pytest

from guozi.ledgers.reform.completion import (
    LATE,
    MISSED,
    PENDING,
    REACHED,
    Tally,
    TaskFacts,
    at_risk,
    carry_forward,
    check_milestone,
    dense_series,
    expected_progress,
    last_closed_month_end,
    month_end,
    month_ends,
    roll_up,
    sparse_series,
    tally_on,
    task_deltas,
    total,
)

D = date


def test_rates_are_shares_of_tasks_and_of_weight():
    tally = Tally(tasks=4, weight=10, done=1, weight_done=6, progress=250, weighted_progress=700)
    assert tally.rate == 25.0
    assert tally.weighted_rate == 60.0
    assert tally.mean_progress == 62.5
    assert tally.weighted_mean_progress == 70.0
    assert tally.open == 3


def test_no_tasks_has_no_rate_rather_than_zero():
    empty = Tally()
    assert (empty.rate, empty.weighted_rate, empty.mean_progress) == (None, None, None)
    assert not empty


def test_a_task_counts_from_its_assignment_until_its_cancellation():
    task = TaskFacts(weight=3, assigned_on=D(2021, 3, 1), due_on=D(2021, 12, 31),
                     cancelled_on=D(2022, 2, 1))  # fmt: skip
    assert task.tally_on(D(2021, 2, 28)) == Tally()
    assert task.tally_on(D(2021, 3, 1)).tasks == 1
    assert task.tally_on(D(2022, 1, 31)).tasks == 1
    assert task.tally_on(D(2022, 2, 1)) == Tally()


def test_complete_only_once_verified_whatever_its_percent():
    task = TaskFacts(
        weight=2,
        assigned_on=D(2021, 1, 1),
        due_on=D(2021, 6, 30),
        verified_on=D(2021, 7, 15),
        progress=((D(2021, 3, 1), 50), (D(2021, 5, 1), 100)),
    )
    may = task.tally_on(D(2021, 5, 31))
    assert (may.done, may.progress, may.late) == (0, 100, 0)
    july = task.tally_on(D(2021, 7, 10))
    assert (july.done, july.late) == (0, 1)  # past the deadline, not verified yet
    august = task.tally_on(D(2021, 8, 1))
    assert august == Tally(tasks=1, weight=2, done=1, weight_done=2, late=0, progress=100,
                           weighted_progress=200)  # fmt: skip


def test_percent_complete_as_of_a_day_is_the_last_approved_before_it():
    task = TaskFacts(weight=1, assigned_on=D(2021, 1, 1), due_on=D(2022, 1, 1),
                     progress=((D(2021, 2, 1), 25), (D(2021, 4, 1), 50)))  # fmt: skip
    assert [task.progress_on(D(2021, m, 15)) for m in (1, 2, 3, 4)] == [0, 25, 25, 50]


def test_weighted_and_unweighted_completion_of_a_set_as_of_a_day():
    day = D(2021, 12, 31)
    tasks = [
        TaskFacts(5, D(2021, 1, 1), D(2021, 6, 30), verified_on=D(2021, 6, 1)),
        TaskFacts(1, D(2021, 1, 1), D(2021, 6, 30), verified_on=D(2022, 3, 1)),  # late
        TaskFacts(2, D(2021, 1, 1), D(2022, 6, 30)),  # not due yet
        TaskFacts(2, D(2022, 1, 5), D(2022, 6, 30)),  # assigned after the day
        TaskFacts(4, D(2021, 1, 1), D(2021, 6, 30), cancelled_on=D(2021, 9, 1)),
    ]
    tally = tally_on(tasks, day)
    # Counted: the first three (8 weight points); done: the first (5 points).
    assert (tally.tasks, tally.weight, tally.done, tally.weight_done, tally.late) == (3, 8, 1, 5, 1)
    assert tally.rate == pytest.approx(100 / 3)
    assert tally.weighted_rate == pytest.approx(62.5)
    later = tally_on(tasks, D(2022, 3, 31))
    assert (later.tasks, later.done, later.rate) == (4, 2, 50.0)


def test_roll_up_adds_the_figures_and_divides_once():
    by_enterprise = {
        1: Tally(tasks=1, weight=10, done=1, weight_done=10),
        2: Tally(tasks=9, weight=9, done=0, weight_done=0),
        3: Tally(tasks=2, weight=2, done=2, weight_done=2),
    }
    group_of = {1: "A", 2: "A", 3: "B"}
    units = roll_up(by_enterprise.items(), group_of.get)
    assert units["A"] == Tally(tasks=10, weight=19, done=1, weight_done=10)
    assert units["A"].rate == 10.0  # not the mean of 100% and 0%
    assert units["A"].weighted_rate == pytest.approx(100 * 10 / 19)
    assert units["B"].rate == 100.0
    assert total(units.values()) == total(by_enterprise.values())


def test_roll_up_leaves_out_what_maps_to_no_unit():
    units = roll_up([(1, Tally(tasks=1)), (2, Tally(tasks=2))], {1: "A"}.get)
    assert units == {"A": Tally(tasks=1)}


def test_month_ends():
    assert month_end(D(2024, 2, 10)) == D(2024, 2, 29)
    assert month_ends(D(2021, 11, 15), D(2022, 2, 1)) == [
        D(2021, 11, 30), D(2021, 12, 31), D(2022, 1, 31), D(2022, 2, 28)
    ]  # fmt: skip
    assert last_closed_month_end(D(2026, 8, 28)) == D(2026, 7, 31)
    assert last_closed_month_end(D(2026, 3, 1)) == D(2026, 2, 28)


def test_a_task_changes_only_in_the_months_something_happens():
    months = month_ends(D(2021, 1, 1), D(2021, 8, 31))  # January … August
    task = TaskFacts(
        weight=2,
        assigned_on=D(2021, 1, 20),
        due_on=D(2021, 4, 30),
        verified_on=D(2021, 7, 3),
        progress=((D(2021, 3, 2), 50),),
    )
    changes = task_deltas(task, months)
    assert [index for index, _change in changes] == [0, 2, 4, 6]
    assert changes[0][1] == Tally(tasks=1, weight=2)
    assert changes[1][1] == Tally(progress=50, weighted_progress=100)
    assert changes[2][1] == Tally(late=1)  # 31 May: past the 30 April deadline
    assert changes[3][1] == Tally(done=1, weight_done=2, late=-1, progress=50,
                                  weighted_progress=100)  # fmt: skip
    series = dense_series(dict(changes), len(months))
    assert [t == task.tally_on(m) for t, m in zip(series, months, strict=True)] == [True] * 8


def test_sparse_series_keeps_the_months_that_change():
    changes = {0: Tally(tasks=1), 3: Tally(done=1), 4: Tally(done=1) - Tally(done=1)}
    assert sparse_series(changes) == [(0, Tally(tasks=1)), (3, Tally(tasks=1, done=1))]


def test_carry_forward_takes_each_keys_latest_row():
    days = [D(2021, 1, 31), D(2021, 2, 28), D(2021, 3, 31)]
    rows = [
        ("a", D(2021, 1, 31), Tally(tasks=1)),
        ("a", D(2021, 3, 31), Tally(tasks=1, done=1)),
        ("b", D(2021, 2, 28), Tally(tasks=2)),
    ]
    assert carry_forward(rows, days) == [
        Tally(tasks=1), Tally(tasks=3), Tally(tasks=3, done=1)
    ]  # fmt: skip


CURVE = [(D(2021, 6, 30), 40.0), (D(2021, 11, 30), 68.0), (D(2021, 12, 31), 71.0),
         (D(2022, 6, 30), 93.0)]  # fmt: skip


def test_a_milestone_reached_by_its_date():
    check = check_milestone(CURVE, due_on=D(2021, 12, 31), target=70, today=D(2026, 8, 28))
    assert (check.state, check.reached_on, check.rate_on_due) == (REACHED, D(2021, 12, 31), 71.0)


def test_a_milestone_missed_then_reached_late():
    check = check_milestone(CURVE, due_on=D(2021, 11, 30), target=70, today=D(2026, 8, 28))
    assert check.state == LATE
    assert check.gap == pytest.approx(2.0)
    assert check.reached_on == D(2021, 12, 31)


def test_a_milestone_missed_and_not_reached_yet():
    check = check_milestone(CURVE, due_on=D(2022, 6, 30), target=98, today=D(2026, 8, 28))
    assert (check.state, check.reached_on) == (MISSED, None)
    assert check.gap == pytest.approx(5.0)
    assert check.rate_now == 93.0


def test_a_milestone_ahead_is_pending_with_the_distance_to_go():
    check = check_milestone(CURVE[:2], due_on=D(2021, 12, 31), target=70, today=D(2021, 12, 1))
    assert (check.state, check.gap) == (PENDING, pytest.approx(2.0))


def test_a_milestone_reached_early_is_reached_before_its_date():
    check = check_milestone(CURVE, due_on=D(2022, 12, 31), target=90, today=D(2022, 7, 1))
    assert (check.state, check.reached_on) == (REACHED, D(2022, 6, 30))


def test_a_curve_without_tasks_reaches_nothing():
    check = check_milestone([(D(2021, 1, 31), None)], due_on=D(2021, 1, 31), target=1,
                            today=D(2021, 2, 1))  # fmt: skip
    assert check.state == MISSED and check.gap == 1


def test_expected_progress_is_the_share_of_time_gone():
    assert expected_progress(assigned_on=D(2026, 1, 1), due_on=D(2026, 1, 11),
                             today=D(2026, 1, 9)) == 80.0  # fmt: skip
    assert expected_progress(assigned_on=D(2026, 1, 1), due_on=D(2026, 1, 1),
                             today=D(2026, 1, 1)) == 100.0  # fmt: skip


@pytest.mark.parametrize(
    "progress, due, expected",
    [
        (54, D(2026, 9, 27), True),  # 80% of the time gone, under 55% done
        (55, D(2026, 9, 27), False),  # 24.9 points behind: within the slack
        (0, D(2026, 12, 31), False),  # due in more than 90 days
        (0, D(2026, 8, 27), False),  # already late: overdue, not at risk
        (100, D(2026, 9, 1), False),
    ],
)
def test_the_at_risk_rule(progress, due, expected):
    # Assigned on 2026-05-01, today 2026-08-28: 119 of 149 days gone by 2026-09-27.
    assigned = D(2026, 5, 1)
    if due == D(2026, 9, 27):
        assert expected_progress(assigned_on=assigned, due_on=due, today=D(2026, 8, 28)) == (
            pytest.approx(100 * 119 / 149)
        )
    result = at_risk(progress=progress, assigned_on=assigned, due_on=due, today=D(2026, 8, 28))
    assert result is expected
