"""Monthly snapshots of reform completion, from the tasks and their history.

`rebuild(since=...)` computes, for every month end from the first assignment to the last month
closed before today, the figures of each enterprise in each programme's area and of each
supervisor, city and group (on the management tree of that month), with the arithmetic of
`completion`, and writes the months from `since` on (all of them by default):

- an enterprise's figures as `EnterpriseSnapshot` rows, only where a month differs from the one
  before (so 200,000 tasks over seven years stay a few rows per enterprise and area);
- the roll-ups as `RollupSnapshot` rows, one per month, so a curve is read without summing.

A task's percent complete at a month end comes from its history: the last approved update or
accepted measure up to then (`ItemEvent`), 100 once verified. The scheduler runs
`reform_snapshots_job` on the first of every month for the month just ended; the command
`guozi reform_snapshots` backfills every month. The demo writes its generated history with
`write_rows` directly.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q

from guozi.ledgers.models import EventAction, ItemEvent, Register, Status
from guozi.lib import clock
from guozi.lib.bulk import bulk_insert
from guozi.lib.clock import CHINA
from guozi.registry.models import Enterprise, ManagementLink
from guozi.registry.tree import TreeSnapshot

from .completion import (
    Tally,
    TaskFacts,
    last_closed_month_end,
    month_ends,
    sparse_series,
    task_deltas,
)
from .models import EnterpriseSnapshot, ReformTask, RollupLevel, RollupSnapshot

MEASURES = ["tasks", "weight", "done", "weight_done", "late", "progress", "weighted_progress"]
ENTERPRISE_COLUMNS = ["month", "owner_id", "programme", "area", *MEASURES]
ROLLUP_COLUMNS = ["month", "supervisor_id", "level", "key", "programme", "area", *MEASURES]


@dataclass(frozen=True)
class TaskKey:
    owner: int
    supervisor: int
    programme: str
    area: str


# --- reading the tasks -----------------------------------------------------------------------


def _day(at) -> date:
    return at.astimezone(CHINA).date()


def progress_history(item_ids: set[int] | None = None) -> dict[int, list[tuple[date, int]]]:
    """Each reform item's percent complete as it moved: approved updates and accepted
    measures, in order."""
    events = ItemEvent.objects.filter(item__register=Register.REFORM_TASK)
    if item_ids is not None:
        events = events.filter(item_id__in=item_ids)
    events = (
        events.filter(
            Q(action=EventAction.UPDATE_APPROVED)
            | Q(action=EventAction.EDITED, after__has_key="progress")
        )
        .order_by("item_id", "id")
        .values_list("item_id", "at", "after")
    )
    history: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for item_id, at, after in events.iterator(chunk_size=5000):
        value = (after or {}).get("progress")
        if isinstance(value, int):
            history[item_id].append((_day(at), value))
    return history


def task_facts() -> list[tuple[TaskKey, TaskFacts]]:
    """Every assignment as the arithmetic sees it, with its progress history."""
    return [(key, facts) for _item, key, facts in task_facts_of(None)]


def task_facts_of(item_ids: set[int] | None) -> list[tuple[int, TaskKey, TaskFacts]]:
    """(item id, key, facts) of the assignments of `item_ids` (every one when None)."""
    history = progress_history(item_ids)
    tasks = ReformTask.objects.all()
    if item_ids is not None:
        tasks = tasks.filter(item_id__in=item_ids)
    rows = tasks.values_list(
        "item_id",
        "owner_id",
        "supervisor_id",
        "programme",
        "area",
        "weight",
        "assigned_on",
        "item__due_date",
        "item__status",
        "item__closed_on",
    )
    found = []
    for (
        item_id,
        owner,
        supervisor,
        programme,
        area,
        weight,
        assigned,
        due,
        status,
        closed,
    ) in rows.iterator(chunk_size=5000):
        found.append(
            (
                item_id,
                TaskKey(owner, supervisor, programme, area),
                TaskFacts(
                    weight=weight,
                    assigned_on=assigned,
                    due_on=due,
                    verified_on=closed if status == Status.VERIFIED else None,
                    cancelled_on=closed if status == Status.CANCELLED else None,
                    progress=tuple(history.get(item_id, ())),
                ),
            )
        )
    return found


# --- the tree, month by month ----------------------------------------------------------------


class TreeHistory:
    """The management tree on any day, from the links read once; groups of enterprises."""

    def __init__(self) -> None:
        self.links = list(
            ManagementLink.objects.values_list(
                "child_id", "parent_id", "parent_supervisor_id", "valid_from", "valid_to"
            )
        )
        self.changes = sorted(
            {valid_from for *_rest, valid_from, _to in self.links}
            | {valid_to for *_rest, valid_to in self.links if valid_to}
        )

    def tree(self, day: date) -> TreeSnapshot:
        snapshot = TreeSnapshot(day=day)
        for child, parent, supervisor, valid_from, valid_to in self.links:
            if valid_from > day or (valid_to is not None and valid_to <= day):
                continue
            if parent is not None:
                snapshot.parent[child] = parent
                snapshot.children[parent].append(child)
            elif supervisor is not None:
                snapshot.supervisor_of_group[child] = supervisor
        return snapshot

    def changed_between(self, after: date, until: date) -> bool:
        return any(after < day <= until for day in self.changes)


def groups_by_month(owners: set[int], months: list[date]) -> list[dict[int, int | None]]:
    """For each month end, each owner's group on the tree of that day."""
    history = TreeHistory()
    found: list[dict[int, int | None]] = []
    previous_day = None
    for day in months:
        if found and not history.changed_between(previous_day, day):
            found.append(found[-1])
        else:
            tree = history.tree(day)
            found.append({owner: tree.group_of(owner) for owner in owners})
        previous_day = day
    return found


# --- the computation -------------------------------------------------------------------------


@dataclass
class Computed:
    months: list[date]
    enterprise_rows: list[tuple]
    rollup_rows: list[tuple]


def _tally_row(tally: Tally) -> tuple:
    return tally.values()


def compute(
    tasks: Iterable[tuple[TaskKey, TaskFacts]],
    months: list[date],
    *,
    cities: dict[int, str],
    groups: list[dict[int, int | None]],
) -> Computed:
    """The snapshot rows of every month end in `months` for the tasks: see the module doc.
    `cities` maps an owner to its city code, `groups[i]` an owner to its group at month i."""
    deltas: dict[TaskKey, dict[int, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for key, facts in tasks:
        for index, change in task_deltas(facts, months):
            slot = deltas[key]
            slot[index] = slot[index] + change
    enterprise_rows = _enterprise_rows(deltas, months)
    rollup_rows = _rollup_rows(deltas, months, cities, groups)
    return Computed(months, enterprise_rows, rollup_rows)


def _enterprise_rows(deltas, months) -> list[tuple]:
    merged: dict[tuple, dict[int, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for key, changes in deltas.items():
        slot = merged[key.owner, key.programme, key.area]
        for index, change in changes.items():
            slot[index] = slot[index] + change
    rows = []
    for (owner, programme, area), changes in merged.items():
        for index, tally in sparse_series(changes):
            rows.append((months[index], owner, programme, area, *_tally_row(tally)))
    return rows


def _rollup_rows(deltas, months, cities, groups) -> list[tuple]:
    """Dense monthly rows per (supervisor, level, key, programme, area). A group's figures
    follow the tree: when an enterprise moves to another group, its figures so far move too."""
    units: dict[tuple, dict[int, Tally]] = defaultdict(lambda: defaultdict(Tally))
    by_index: dict[int, list[tuple[TaskKey, Tally]]] = defaultdict(list)
    for key, changes in deltas.items():
        for index, change in changes.items():
            by_index[index].append((key, change))
    running: dict[TaskKey, Tally] = defaultdict(Tally)
    keys_of_owner: dict[int, list[TaskKey]] = defaultdict(list)
    for key in deltas:
        keys_of_owner[key.owner].append(key)

    def unit(key: TaskKey, level: str, name: str) -> dict[int, Tally]:
        return units[key.supervisor, level, name, key.programme, key.area]

    for index in range(len(months)):
        if index and groups[index] is not groups[index - 1]:
            moved = [o for o, g in groups[index].items() if groups[index - 1].get(o) != g]
            for owner in moved:
                old, new = groups[index - 1].get(owner), groups[index].get(owner)
                for key in keys_of_owner.get(owner, ()):
                    so_far = running[key]
                    if not so_far:
                        continue
                    if old is not None:
                        slot = unit(key, RollupLevel.GROUP, str(old))
                        slot[index] = slot[index] - so_far
                    if new is not None:
                        slot = unit(key, RollupLevel.GROUP, str(new))
                        slot[index] = slot[index] + so_far
        for key, change in by_index.get(index, ()):
            running[key] = running[key] + change
            targets = [(RollupLevel.SUPERVISOR, ""), (RollupLevel.CITY, cities.get(key.owner, ""))]
            group = groups[index].get(key.owner)
            if group is not None:
                targets.append((RollupLevel.GROUP, str(group)))
            for level, name in targets:
                slot = unit(key, level, name)
                slot[index] = slot[index] + change
    rows = []
    for (supervisor, level, name, programme, area), changes in units.items():
        running_total = Tally()
        for index in range(min(changes), len(months)):
            running_total = running_total + changes.get(index, Tally())
            rows.append(
                (months[index], supervisor, level, name, programme, area,
                 *_tally_row(running_total))
            )  # fmt: skip
    return rows


# --- writing ---------------------------------------------------------------------------------


def _as_text(rows: list[tuple]) -> list[tuple]:
    """Dates as ISO text, which COPY and SQLite both take."""
    return [(row[0].isoformat(), *row[1:]) for row in rows]


def write_rows(computed: Computed, since: date | None = None) -> dict:
    """Replace the snapshots of the months from `since` (every month when None)."""
    enterprise = [row for row in computed.enterprise_rows if since is None or row[0] >= since]
    rollups = [row for row in computed.rollup_rows if since is None or row[0] >= since]
    with transaction.atomic():
        if since is None:
            EnterpriseSnapshot.objects.all().delete()
            RollupSnapshot.objects.all().delete()
        else:
            EnterpriseSnapshot.objects.filter(month__gte=since).delete()
            RollupSnapshot.objects.filter(month__gte=since).delete()
        bulk_insert(EnterpriseSnapshot, ENTERPRISE_COLUMNS, _as_text(enterprise))
        bulk_insert(RollupSnapshot, ROLLUP_COLUMNS, _as_text(rollups))
    return {"enterprise_rows": len(enterprise), "rollup_rows": len(rollups)}


def _stored_before(since: date) -> dict[tuple, tuple]:
    """The latest stored enterprise figures before `since`, per (owner, programme, area)."""
    latest: dict[tuple, tuple[date, tuple]] = {}
    rows = EnterpriseSnapshot.objects.filter(month__lt=since).values_list(
        "owner_id", "programme", "area", "month", *MEASURES
    )
    for owner, programme, area, month, *values in rows.iterator(chunk_size=5000):
        key = (owner, programme, area)
        if key not in latest or latest[key][0] < month:
            latest[key] = (month, tuple(values))
    return {key: values for key, (_month, values) in latest.items()}


def _against_stored(computed: Computed, since: date) -> None:
    """Make the first month from `since` differ from what is stored, not from a recomputed
    month before: a month end is recorded as it was then, so an earlier row stays as written
    and a key whose figures now equal it needs no row, one whose figures differ needs one."""
    stored = _stored_before(since)
    first = next((m for m in computed.months if m >= since), None)
    if first is None:
        return
    current: dict[tuple, tuple] = {}
    for row in computed.enterprise_rows:
        if row[0] <= first:
            key = (row[1], row[2], row[3])
            if key not in current or current[key][0] < row[0]:
                current[key] = (row[0], row)
    keep = []
    for row in computed.enterprise_rows:
        if row[0] != first:
            keep.append(row)
    for key, (_month, row) in current.items():
        if tuple(row[4:]) != stored.get(key):
            keep.append((first, *row[1:]))
    for key, values in stored.items():
        if key not in current and any(values):
            keep.append((first, *key, *(0 for _m in MEASURES)))
    computed.enterprise_rows = keep


def rebuild(*, since: date | None = None, today: date | None = None) -> dict:
    """Compute every month end up to the last closed one and write those from `since` on."""
    today = today or clock.today()
    tasks = task_facts()
    if not tasks:
        write_rows(Computed([], [], []), since)
        return {"months": 0, "enterprise_rows": 0, "rollup_rows": 0}
    first = min(facts.assigned_on for _key, facts in tasks)
    last = last_closed_month_end(today)
    months = month_ends(first, last) if first <= last else []
    owners = {key.owner for key, _facts in tasks}
    cities = dict(Enterprise.objects.filter(id__in=owners).values_list("id", "city_code"))
    computed = compute(tasks, months, cities=cities, groups=groups_by_month(owners, months))
    if since is not None:
        since = since.replace(day=1)
        _against_stored(computed, since)
    written = write_rows(computed, since)
    return {"months": len(months), **written}


def rebuild_last_month(today: date | None = None) -> dict:
    """The monthly run: the month just ended."""
    today = today or clock.today()
    return rebuild(since=last_closed_month_end(today), today=today)
