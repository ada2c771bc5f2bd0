"""The pure rules: progress, readiness for verification, which reminder is due (no database)."""

from datetime import date, timedelta

import pytest

from guozi.ledgers.rules import (
    Policy,
    Stage,
    escalation_level,
    milestone_progress,
    not_ready_for_verification,
    progress_after_approval,
    reminder_stage,
    should_remind,
)

DAY = date(2026, 8, 28)
POLICY = Policy()


@pytest.mark.parametrize(
    ("done", "total", "percent"), [(0, 3, 0), (1, 3, 33), (2, 3, 66), (3, 3, 100), (0, 0, 0)]
)
def test_milestones_count_down_to_whole_percent_and_100_only_when_all_are_done(
    done, total, percent
):
    assert milestone_progress(done, total) == percent


def test_manual_progress_is_the_last_approved_statement_even_downwards():
    assert progress_after_approval("manual", current=60, stated=45, done=0, total=0) == 45
    assert progress_after_approval("manual", current=60, stated=None, done=0, total=0) == 60


def test_milestone_progress_ignores_any_stated_figure():
    assert progress_after_approval("milestones", current=0, stated=90, done=1, total=4) == 25


def test_verified_only_progress_does_not_move_on_an_update():
    assert progress_after_approval("verified_only", current=0, stated=None, done=0, total=0) == 0


def test_an_unknown_rule_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown progress rule"):
        progress_after_approval("vibes", current=0, stated=None, done=0, total=0)


def test_readiness_for_verification_by_rule():
    assert not_ready_for_verification("manual", progress=99, done=0, total=0) == "progress"
    assert not_ready_for_verification("manual", progress=100, done=0, total=0) is None
    assert not_ready_for_verification("milestones", progress=66, done=2, total=3) == "milestones"
    assert not_ready_for_verification("milestones", progress=100, done=3, total=3) is None
    assert not_ready_for_verification("verified_only", progress=0, done=0, total=0) is None


def stage(due_in: int, idle: int = 0) -> Stage | None:
    return reminder_stage(
        due=DAY + timedelta(days=due_in),
        last_activity=DAY - timedelta(days=idle),
        today=DAY,
        policy=POLICY,
    )


def test_due_soon_within_a_week_and_on_the_day_never_escalates():
    assert stage(8) is None
    assert stage(7) == Stage("due_soon", 1, 7)
    assert stage(0) == Stage("due_soon", 1, 0)


def test_overdue_escalates_to_reviewers_after_a_week_and_the_supervisor_after_two():
    assert stage(-1) == Stage("overdue", 1, 1)
    assert stage(-6).level == 1
    assert stage(-7) == Stage("overdue", 2, 7)
    assert stage(-13).level == 2
    assert stage(-14) == Stage("overdue", 3, 14)


def test_inactivity_counts_from_the_limit_and_overdue_wins():
    assert stage(40, idle=29) is None
    assert stage(40, idle=30) == Stage("inactive", 1, 30)
    assert stage(40, idle=37) == Stage("inactive", 2, 37)
    assert stage(40, idle=44) == Stage("inactive", 3, 44)
    assert stage(-2, idle=60).kind == "overdue"
    assert stage(3, idle=31).kind == "inactive"


def test_escalation_follows_the_policy():
    strict = Policy(reviewer_after=1, supervisor_after=3)
    assert [escalation_level(late, strict) for late in (0, 1, 2, 3)] == [1, 2, 2, 3]


def test_a_stage_is_repeated_weekly_not_daily():
    due = Stage("overdue", 1, 3)
    assert should_remind(due, None, DAY, POLICY)
    assert not should_remind(due, DAY, DAY, POLICY)
    assert not should_remind(due, DAY - timedelta(days=6), DAY, POLICY)
    assert should_remind(due, DAY - timedelta(days=7), DAY, POLICY)
