"""Today's completion per enterprise, programme and area (`CurrentTally`), kept up to date.

The completion page reads today's figures from this small derived table instead of counting
every task on each request. Before it is read, `refresh()` compares what it was computed from
(`CurrentMark`: the day, the last item event, the last management link, the last change to an
enterprise) with the database, cheaply (maxima over primary keys):

- a new day, a change to the tree or to the registry: every row is computed again (late tasks
  depend on the day; cities and groups on the registry and the tree);
- new item events only: the enterprises whose reform items they concern are computed again.

Every change to a task's status, percent complete, deadline, weight or existence writes an item
event (the ledger's services and this register's), so the table is exact whenever it is read.
"""

from datetime import date

from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Sum, When

from guozi.ledgers.models import ItemEvent, Register, Status
from guozi.lib import clock
from guozi.lib.bulk import bulk_insert
from guozi.registry.models import Enterprise, ManagementLink
from guozi.registry.tree import tree_at

from .completion import Tally
from .models import CurrentLevel, CurrentMark, CurrentTally, ReformTask

MEASURES = ["tasks", "weight", "done", "weight_done", "late", "progress", "weighted_progress"]
SUM_NAMES = [f"n_{name}" for name in MEASURES]
COLUMNS = ["month", "level", "owner_id", "supervisor_id", "programme", "area", "city_code",
           "group_id", *MEASURES]  # fmt: skip


def counted_on(tasks: QuerySet[ReformTask], day: date) -> QuerySet[ReformTask]:
    """The tasks that count on `day`: assigned by then and not cancelled by then."""
    cancelled = Q(item__status=Status.CANCELLED, item__closed_on__lte=day)
    return tasks.filter(assigned_on__lte=day).exclude(cancelled)


def tally_sums(day: date) -> dict:
    """The measures of `completion.Tally` as SQL sums over tasks, as of `day`."""
    verified = Q(item__status=Status.VERIFIED, item__closed_on__lte=day)
    whole = IntegerField()
    return {
        "n_tasks": Count("item_id"),
        "n_weight": Sum("weight"),
        "n_done": Sum(Case(When(verified, then=1), default=0, output_field=whole)),
        "n_weight_done": Sum(Case(When(verified, then=F("weight")), default=0, output_field=whole)),
        "n_late": Sum(
            Case(When(Q(item__due_date__lt=day) & ~verified, then=1), default=0, output_field=whole)
        ),
        "n_progress": Sum("item__progress"),
        "n_weighted_progress": Sum(F("weight") * F("item__progress")),
    }


def tally_of(row: dict) -> Tally:
    return Tally.of(row[name] for name in SUM_NAMES)


def measure_sums() -> dict:
    """The same measures summed over rows that already hold them (tallies, snapshots)."""
    return {f"n_{name}": Sum(name) for name in MEASURES}


def _marks(today: date) -> dict:
    return {
        "day": today,
        "event_id": ItemEvent.objects.aggregate(last=Max("id"))["last"] or 0,
        "link_id": ManagementLink.objects.aggregate(last=Max("id"))["last"] or 0,
        "registry_changed": Enterprise.objects.aggregate(last=Max("updated_at"))["last"],
    }


def _area_rows(day: date, owners: set[int] | None) -> list[tuple]:
    """(owner, supervisor, programme, area, city, group, Tally) of the owners (all: None)."""
    tasks = counted_on(ReformTask.objects.all(), day)
    if owners is not None:
        tasks = tasks.filter(owner_id__in=owners)
    found = (
        tasks.values_list("owner_id", "supervisor_id", "programme", "area")
        .annotate(**tally_sums(day))
        .order_by()
    )
    cities = Enterprise.objects.all()
    if owners is not None:
        cities = cities.filter(id__in=owners)
    city_of = dict(cities.values_list("id", "city_code"))
    tree = tree_at(day)
    groups: dict[int, int | None] = {}
    rows = []
    for owner, supervisor, programme, area, *sums in found:
        if owner not in groups:
            groups[owner] = tree.group_of(owner)
        rows.append(
            (owner, supervisor, programme, area, city_of.get(owner, ""), groups[owner],
             Tally.of(sums))
        )  # fmt: skip
    return rows


def _row(day: date, level: str, owner, supervisor, programme, area, city, group, tally) -> tuple:
    return (day.isoformat(), level, owner, supervisor, programme, area, city, group,
            *tally.values())  # fmt: skip


def _write(day: date, owners: set[int] | None) -> int:
    """Compute the enterprise rows of `owners` (every one when None) and the portfolio rows
    of their supervisors again."""
    stale = CurrentTally.objects.exclude(level=CurrentLevel.SUPERVISOR)
    if owners is not None:
        stale = stale.filter(owner_id__in=owners)
    stale.delete()
    areas = _area_rows(day, owners)
    enterprises: dict[tuple, list] = {}
    for owner, supervisor, programme, _area, city, group, tally in areas:
        key = (owner, supervisor, programme)
        if key in enterprises:
            enterprises[key][2] = enterprises[key][2] + tally
        else:
            enterprises[key] = [city, group, tally]
    rows = [_row(day, CurrentLevel.AREA, *row) for row in areas]
    rows += [
        _row(day, CurrentLevel.ENTERPRISE, owner, supervisor, programme, "", city, group, tally)
        for (owner, supervisor, programme), (city, group, tally) in enterprises.items()
    ]
    bulk_insert(CurrentTally, COLUMNS, rows)
    supervisors = {row[1] for row in areas} if owners is not None else None
    _write_portfolios(day, supervisors)
    return len(rows)


def _write_portfolios(day: date, supervisors: set[int] | None) -> None:
    """The supervisors' rows per programme and area, summed from their enterprises' rows."""
    stale = CurrentTally.objects.filter(level=CurrentLevel.SUPERVISOR)
    sources = CurrentTally.objects.filter(level=CurrentLevel.AREA)
    if supervisors is not None:
        stale = stale.filter(supervisor_id__in=supervisors)
        sources = sources.filter(supervisor_id__in=supervisors)
    stale.delete()
    found = (
        sources.values_list("supervisor_id", "programme", "area")
        .annotate(**measure_sums())
        .order_by()
    )
    bulk_insert(
        CurrentTally,
        COLUMNS,
        [
            _row(day, CurrentLevel.SUPERVISOR, None, supervisor, programme, area, "", None,
                 Tally.of(sums))
            for supervisor, programme, area, *sums in found
        ],
    )  # fmt: skip


def _changed_owners(after_event: int) -> set[int]:
    events = ItemEvent.objects.filter(id__gt=after_event, item__register=Register.REFORM_TASK)
    return set(events.values_list("item__owner_id", flat=True).distinct())


def _same(mark: CurrentMark | None, now: dict) -> bool:
    return mark is not None and all(getattr(mark, key) == value for key, value in now.items())


def refresh(today: date | None = None) -> str:
    """Bring `CurrentTally` up to date; returns "fresh", "partial" or "full"."""
    today = today or clock.today()
    if _same(CurrentMark.objects.first(), _marks(today)):
        return "fresh"
    with transaction.atomic():
        mark = CurrentMark.objects.select_for_update().first()
        now = _marks(today)  # again, now that no one else writes
        if _same(mark, now):
            return "fresh"
        same_base = mark is not None and (mark.day, mark.link_id, mark.registry_changed) == (
            now["day"], now["link_id"], now["registry_changed"]
        )  # fmt: skip
        if same_base:
            _write(today, _changed_owners(mark.event_id))
            kind = "partial"
        else:
            _write(today, None)
            kind = "full"
        if mark is None:
            CurrentMark.objects.create(**now)
        else:
            for key, value in now.items():
                setattr(mark, key, value)
            mark.save()
    return kind


def forget() -> None:
    """Drop the table and its mark (the demo's reset)."""
    CurrentTally.objects.all().delete()
    CurrentMark.objects.all().delete()


def by_owner(rows: QuerySet[CurrentTally]) -> list[tuple[int, str, int | None, Tally]]:
    """(owner, city, group, Tally) of enterprise or enterprise-area rows, per owner."""
    found = (
        rows.values_list("owner_id", "city_code", "group_id").annotate(**measure_sums()).order_by()
    )
    return [(owner, city, group, Tally.of(sums)) for owner, city, group, *sums in found]


def by_area(rows: QuerySet[CurrentTally]) -> dict[tuple[str, str], Tally]:
    found = rows.values_list("programme", "area").annotate(**measure_sums()).order_by()
    return {(programme, area): Tally.of(sums) for programme, area, *sums in found}
