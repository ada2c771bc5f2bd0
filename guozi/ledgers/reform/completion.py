"""Completion arithmetic of the reform programme (pure Python, no database).

The rule, one for every page, export and API answer:

- A task's **percent complete** is the share of its measures (the item's milestones) done, as
  approved by the enterprise's reviewer; a task the supervisor has verified is at 100.
- A task **counts as complete** only once the supervisor has verified it. Completion of a set
  of tasks is the share of them verified: unweighted (tasks) or weighted (by each task's
  weight). Percent complete is shown beside it, never instead of it.
- **As of a day** D: the tasks assigned on or before D, less those cancelled on or before D;
  complete if verified on or before D; **late** if not verified by D and due before D.
- A roll-up (area, enterprise, group, city, portfolio) adds the tasks' figures and divides
  once: a rate over many enterprises is never a mean of their rates.
- **At risk**: a task still worked on, due within `AT_RISK_DAYS` days and not yet late, whose
  percent complete trails the share of its time already gone by more than `AT_RISK_SLACK`
  points (e.g. 80% of its time gone and under 55% done).
- A **milestone** ("70% of the tasks by 2021-12-31") is reached on the first day the
  unweighted rate is at or above its target; until its date passes it is pending, after it
  either reached (on time or late) or missed by the gap at its date.
"""

from bisect import bisect_left, bisect_right
from calendar import monthrange
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

AT_RISK_DAYS = 90
AT_RISK_SLACK = 25


@dataclass(slots=True)
class Tally:
    """The figures of a set of tasks on one day; they only ever add up."""

    tasks: int = 0
    weight: int = 0
    done: int = 0
    weight_done: int = 0
    late: int = 0
    progress: int = 0  # the sum of the tasks' percent complete
    weighted_progress: int = 0  # the sum of weight × percent complete

    def values(self) -> tuple[int, ...]:
        return (self.tasks, self.weight, self.done, self.weight_done, self.late, self.progress,
                self.weighted_progress)  # fmt: skip

    @classmethod
    def of(cls, values: Iterable[int]) -> "Tally":
        return cls(*(int(v or 0) for v in values))

    # Written out field by field: these run millions of times when snapshots are computed.
    def __add__(self, other: "Tally") -> "Tally":
        return Tally(
            self.tasks + other.tasks,
            self.weight + other.weight,
            self.done + other.done,
            self.weight_done + other.weight_done,
            self.late + other.late,
            self.progress + other.progress,
            self.weighted_progress + other.weighted_progress,
        )

    def __sub__(self, other: "Tally") -> "Tally":
        return Tally(
            self.tasks - other.tasks,
            self.weight - other.weight,
            self.done - other.done,
            self.weight_done - other.weight_done,
            self.late - other.late,
            self.progress - other.progress,
            self.weighted_progress - other.weighted_progress,
        )

    def __bool__(self) -> bool:
        return any(self.values())

    @property
    def rate(self) -> float | None:
        """Share of the tasks verified, in percent; None for no tasks."""
        return 100 * self.done / self.tasks if self.tasks else None

    @property
    def weighted_rate(self) -> float | None:
        return 100 * self.weight_done / self.weight if self.weight else None

    @property
    def mean_progress(self) -> float | None:
        return self.progress / self.tasks if self.tasks else None

    @property
    def weighted_mean_progress(self) -> float | None:
        return self.weighted_progress / self.weight if self.weight else None

    @property
    def open(self) -> int:
        return self.tasks - self.done


ZERO = Tally()


def total(tallies: Iterable[Tally]) -> Tally:
    result = Tally()
    for tally in tallies:
        result = result + tally
    return result


def roll_up(rows: Iterable[tuple[Hashable, Tally]], key_of: Callable) -> dict:
    """Sum `(key, tally)` rows into the units `key_of(key)` names (None: left out)."""
    units: dict = defaultdict(Tally)
    for key, tally in rows:
        unit = key_of(key)
        if unit is not None:
            units[unit] = units[unit] + tally
    return dict(units)


# --- one task --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskFacts:
    """One assignment as the arithmetic sees it. `progress` is the history of its percent
    complete: (day, percent) in the order it happened."""

    weight: int
    assigned_on: date
    due_on: date
    verified_on: date | None = None
    cancelled_on: date | None = None
    progress: tuple[tuple[date, int], ...] = ()

    def counts_on(self, day: date) -> bool:
        return self.assigned_on <= day and not (self.cancelled_on and self.cancelled_on <= day)

    def done_on(self, day: date) -> bool:
        return self.verified_on is not None and self.verified_on <= day

    def progress_on(self, day: date) -> int:
        if self.done_on(day):
            return 100
        percent = 0
        for when, value in self.progress:
            if when > day:
                break
            percent = value
        return percent

    def tally_on(self, day: date) -> Tally:
        if not self.counts_on(day):
            return Tally()
        done = self.done_on(day)
        progress = self.progress_on(day)
        return Tally(
            tasks=1,
            weight=self.weight,
            done=int(done),
            weight_done=self.weight if done else 0,
            late=int(not done and self.due_on < day),
            progress=progress,
            weighted_progress=self.weight * progress,
        )


def tally_on(tasks: Iterable[TaskFacts], day: date) -> Tally:
    return total(task.tally_on(day) for task in tasks)


# --- months ----------------------------------------------------------------------------------


def month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def month_ends(first: date, last: date) -> list[date]:
    """The last day of every month from `first`'s month to `last`'s, both included."""
    ends = []
    current = month_end(first)
    while current <= month_end(last):
        ends.append(current)
        current = month_end(current + timedelta(days=1))
    return ends


def last_closed_month_end(today: date) -> date:
    """The end of the last month that is over by `today`."""
    return today.replace(day=1) - timedelta(days=1)


def task_deltas(task: TaskFacts, months: list[date]) -> list[tuple[int, Tally]]:
    """(month index, change of the task's figures at that month end) for every month end of
    `months` (sorted) where they change: its figures at month end m are the sum of the changes
    up to m. A task changes only when assigned, when its percent moves, when it passes its
    deadline, and when verified or cancelled."""
    days = [task.assigned_on, task.verified_on, task.cancelled_on]
    days += [when for when, _value in task.progress]
    # A month end m holds what happened on or before m; lateness starts the day after the due.
    indices = {bisect_left(months, day) for day in days if day is not None}
    indices.add(bisect_right(months, task.due_on))
    changes = []
    before = ZERO
    for index in sorted(i for i in indices if i < len(months)):
        now = task.tally_on(months[index])
        if now != before:
            changes.append((index, now - before))
            before = now
    return changes


def sparse_series(deltas: dict[int, Tally]) -> list[tuple[int, Tally]]:
    """Cumulative figures at each month index where the changes do not cancel out."""
    rows, running = [], ZERO
    for index in sorted(deltas):
        change = deltas[index]
        if change:
            running = running + change
            rows.append((index, running))
    return rows


def dense_series(deltas: dict[int, Tally], length: int) -> list[Tally]:
    """Cumulative figures at every month index from 0 to `length - 1`."""
    series, running = [], ZERO
    for index in range(length):
        running = running + deltas.get(index, ZERO)
        series.append(running)
    return series


def carry_forward(rows: Iterable[tuple[Hashable, date, Tally]], days: list[date]) -> list[Tally]:
    """Totals on each of `days` (sorted) from sparse rows: each key counts with its latest row
    on or before the day."""
    by_key: dict = defaultdict(list)
    for key, when, tally in rows:
        by_key[key].append((when, tally))
    totals = [Tally() for _day in days]
    for history in by_key.values():
        history.sort(key=lambda row: row[0])
        whens = [when for when, _tally in history]
        for position, day in enumerate(days):
            found = bisect_right(whens, day) - 1
            if found >= 0:
                totals[position] = totals[position] + history[found][1]
    return totals


# --- milestones and risk ---------------------------------------------------------------------

REACHED, LATE, MISSED, PENDING = "reached", "late", "missed", "pending"


@dataclass(frozen=True)
class MilestoneCheck:
    state: str  # reached (by its date), late (after it), missed (not yet, date passed), pending
    reached_on: date | None  # the first day of the curve at or above the target
    rate_on_due: float | None  # the rate on the milestone's date (once it has passed)
    rate_now: float | None
    gap: float | None  # target − rate: on the date when missed, today when pending


def check_milestone(
    curve: list[tuple[date, float | None]], *, due_on: date, target: float, today: date
) -> MilestoneCheck:
    """Judge a milestone against a completion curve: (day, rate) points in date order, the
    last one today's. A rate of None (no tasks yet) reaches nothing."""
    points = [(day, rate) for day, rate in curve if day <= today]
    reached_on = next(
        (day for day, rate in points if rate is not None and rate >= target - 1e-9), None
    )
    rate_now = points[-1][1] if points else None
    if due_on <= today:
        before = [rate for day, rate in points if day <= due_on]
        rate_on_due = before[-1] if before else None
        if reached_on is not None and reached_on <= due_on:
            return MilestoneCheck(REACHED, reached_on, rate_on_due, rate_now, None)
        gap = target - (rate_on_due or 0)
        state = LATE if reached_on is not None else MISSED
        return MilestoneCheck(state, reached_on, rate_on_due, rate_now, gap)
    if reached_on is not None:
        return MilestoneCheck(REACHED, reached_on, None, rate_now, None)
    return MilestoneCheck(PENDING, None, None, rate_now, target - (rate_now or 0))


def expected_progress(*, assigned_on: date, due_on: date, today: date) -> float:
    """The share of a task's time gone by `today`, in percent (0–100)."""
    span = (due_on - assigned_on).days
    if span <= 0:
        return 100.0
    gone = (today - assigned_on).days
    return max(0.0, min(100.0, 100 * gone / span))


def at_risk(
    *,
    progress: int,
    assigned_on: date,
    due_on: date,
    today: date,
    days: int = AT_RISK_DAYS,
    slack: int = AT_RISK_SLACK,
) -> bool:
    """Whether a task still worked on is at risk (see the module's doc); a late one is not
    at risk but already late."""
    if due_on < today or (due_on - today).days > days or progress >= 100:
        return False
    expected = expected_progress(assigned_on=assigned_on, due_on=due_on, today=today)
    return progress < expected - slack
