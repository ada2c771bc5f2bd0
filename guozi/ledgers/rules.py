"""Pure rules of the ledgers (no database): how progress is counted, when an item is ready to
be verified, and which reminder an item is due on a day.

Progress rules:
- manual: the item's progress is the percentage stated in the last approved update;
- milestones: the share of the item's milestones done, rounded down (an approved update marks
  the milestones it names as done);
- verified_only: 0 until the supervisor verifies the item, then 100.
A verified item is at 100 whatever its rule.
"""

from dataclasses import dataclass
from datetime import date

MANUAL, MILESTONES, VERIFIED_ONLY = "manual", "milestones", "verified_only"


def milestone_progress(done: int, total: int) -> int:
    """The share of milestones done, in whole percent, rounded down: 100 only when all are."""
    if total <= 0:
        return 0
    return min(100, (100 * done) // total)


def progress_after_approval(
    rule: str, *, current: int, stated: int | None, done: int, total: int
) -> int:
    """The item's progress once an update is approved.

    `stated` is the update's percentage (manual rule); `done` and `total` count the item's
    milestones once the update's are marked done (milestones rule).
    """
    if rule == MANUAL:
        return current if stated is None else stated
    if rule == MILESTONES:
        return milestone_progress(done, total)
    if rule == VERIFIED_ONLY:
        return current
    raise ValueError(f"unknown progress rule {rule!r}")


def not_ready_for_verification(rule: str, *, progress: int, done: int, total: int) -> str | None:
    """Why an item cannot be handed in for verification under its rule; None when it can.

    Returns a code: "progress" (a manual item below 100%) or "milestones" (some not done).
    """
    if rule == MANUAL and progress < 100:
        return "progress"
    if rule == MILESTONES and done < total:
        return "milestones"
    return None


# --- reminders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    due_soon_days: int = 7  # remind this many days before the due date, and on it
    inactive_days: int = 30  # remind when nothing happened for this many days
    reviewer_after: int = 7  # late by this many days: the owner's reviewers hear of it too
    supervisor_after: int = 14  # late by this many days: the supervisor's analysts too
    repeat_days: int = 7  # while an item stays at one stage, remind again after this many days


@dataclass(frozen=True)
class Stage:
    kind: str  # "due_soon", "overdue" or "inactive"
    level: int  # 1: reporters; 2: and reviewers; 3: and the supervisor's analysts
    days: int  # days left (due_soon), days overdue, or days without activity


def escalation_level(late: int, policy: Policy) -> int:
    if late >= policy.supervisor_after:
        return 3
    if late >= policy.reviewer_after:
        return 2
    return 1


def reminder_stage(*, due: date, last_activity: date, today: date, policy: Policy) -> Stage | None:
    """The reminder an item the owner is working on is due on `today`, if any.

    Overdue comes first (late = days past the due date); then inactive (late = days beyond the
    inactivity limit); then due soon, which never escalates.
    """
    if today > due:
        late = (today - due).days
        return Stage("overdue", escalation_level(late, policy), late)
    idle = (today - last_activity).days
    if idle >= policy.inactive_days:
        return Stage("inactive", escalation_level(idle - policy.inactive_days, policy), idle)
    left = (due - today).days
    if left <= policy.due_soon_days:
        return Stage("due_soon", 1, left)
    return None


def should_remind(stage: Stage, last_sent: date | None, today: date, policy: Policy) -> bool:
    """Remind on entering a stage, then again every `repeat_days` while it lasts; never twice
    on one day."""
    return last_sent is None or (today - last_sent).days >= policy.repeat_days
