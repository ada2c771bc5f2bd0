"""Scoped reads of the reform register: completion by area, city, group and enterprise as of a
day, the progress curve, the task ledger of an enterprise, overdue and at-risk tasks.

A user sees the tasks of the enterprises they may read (`visible_enterprises`), the same as
the ledger's items. Nothing here reads the updates table:

- today's completion sums the derived table `CurrentTally` (see `current`) with a GROUP BY per
  enterprise and one per area; cities and groups are summed from the per-enterprise figures;
- completion as of a past day is counted from the tasks and their items' status, closing day
  and deadline (GROUP BY per enterprise and per area), on the tree of that day;
- the curve reads the monthly snapshots: the roll-ups for whole portfolios, a city or a group,
  the enterprises' own rows otherwise;
- overdue and at-risk tasks come from the item table, by status and due date.
"""

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language

from guozi.accounts.access import active_memberships
from guozi.accounts.models import PORTFOLIO_ROLES
from guozi.ledgers.models import WORKING, Register, TrackedItem
from guozi.lib import clock
from guozi.registry.directory import city_name
from guozi.registry.models import Enterprise
from guozi.registry.selectors import supervisor_descendants, visible_enterprises
from guozi.registry.tree import TreeSnapshot, tree_at

from . import current
from .catalogues import current_catalogues
from .completion import (
    AT_RISK_DAYS,
    Tally,
    at_risk,
    carry_forward,
    check_milestone,
    last_closed_month_end,
    month_ends,
    total,
)
from .current import counted_on, tally_of, tally_sums
from .models import (
    Catalogue,
    CatalogueMilestone,
    CurrentLevel,
    CurrentTally,
    EnterpriseSnapshot,
    MeasureProposal,
    ProposalState,
    ReformTask,
    RollupLevel,
    RollupSnapshot,
)
from .snapshots import MEASURES

NO_GROUP = 0  # the group "key" of enterprises outside the tree on the day


@dataclass
class Filters:
    supervisor: int | None = None
    city: str = ""
    group: int | None = None
    programme: str = ""
    area: str = ""
    as_of: date | None = None

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def day(self) -> date:
        return self.as_of or clock.today()


# --- scope -----------------------------------------------------------------------------------


def visible_tasks(user) -> QuerySet[ReformTask]:
    return ReformTask.objects.filter(owner_id__in=Subquery(visible_enterprises(user).values("id")))


def get_visible_task(user, item_id: int) -> ReformTask:
    found = visible_tasks(user).select_related("item", "item__owner", "catalogue", "catalogue_task")
    return get_object_or_404(found, item_id=item_id)


def get_visible_proposal(user, proposal_id: int) -> MeasureProposal:
    proposal = get_object_or_404(MeasureProposal.objects.select_related("task"), id=proposal_id)
    get_visible_task(user, proposal.task_id)
    return proposal


def supervisor_scope(user) -> set[int]:
    """The supervisors whose whole portfolio the user reads (none for enterprise users)."""
    roots = {
        m.supervisor_id
        for m in active_memberships(user)
        if m.supervisor_id and m.role in PORTFOLIO_ROLES
    }
    return supervisor_descendants(roots) if roots else set()


def group_members(tree: TreeSnapshot, group_id: int) -> list[int]:
    return [group_id, *tree.descendants(group_id)]


def filtered(tasks: QuerySet[ReformTask], filters: Filters, tree: TreeSnapshot) -> QuerySet:
    if filters.supervisor:
        tasks = tasks.filter(supervisor_id=filters.supervisor)
    if filters.city:
        tasks = tasks.filter(owner__city_code=filters.city)
    if filters.group:
        tasks = tasks.filter(owner_id__in=group_members(tree, filters.group))
    if filters.programme:
        tasks = tasks.filter(programme=filters.programme)
    if filters.area:
        tasks = tasks.filter(area=filters.area)
    return tasks


def tallies_by(tasks: QuerySet[ReformTask], day: date, *keys: str) -> list[tuple[tuple, Tally]]:
    rows = tasks.values(*keys).annotate(**tally_sums(day)).order_by()
    return [(tuple(row[k] for k in keys), tally_of(row)) for row in rows]


# --- completion ------------------------------------------------------------------------------


@dataclass
class UnitRow:
    key: object
    name: str
    tally: Tally
    extra: dict = field(default_factory=dict)


@dataclass
class Completion:
    day: date
    live: bool  # the day is today: percent complete is shown too
    totals: Tally
    by_area: list[UnitRow]
    by_city: list[UnitRow]
    by_group: list[UnitRow]
    # Every enterprise with tasks, the least complete first: (id, tally), named a page at a
    # time by `name_enterprises`.
    by_enterprise: list[tuple[int, Tally]]


def area_names() -> dict[tuple[str, str], str]:
    names = {}
    for catalogue in current_catalogues():
        for area in catalogue.areas.all():
            names[catalogue.code, area.code] = area.name
    return names


def programme_names() -> dict[str, str]:
    return {c.code: c.name for c in current_catalogues()}


def _sorted_units(units: dict, names: dict) -> list[UnitRow]:
    rows = [UnitRow(key, names.get(key, str(key)), tally) for key, tally in units.items()]
    return sorted(rows, key=lambda r: (r.tally.weighted_rate or 0, r.name))


def enterprise_names(ids) -> dict[int, str]:
    rows = Enterprise.objects.filter(id__in=list(ids)).values_list(
        "id", "short_name", "name_zh", "name_en"
    )
    english = (get_language() or "").startswith("en")
    return {
        i: (name_en if english and name_en else (short or name_zh))
        for i, short, name_zh, name_en in rows
    }


def _today_rows(user, filters: Filters):
    """Today's figures per enterprise and per area, from the derived table (see `current`):
    the enterprise rows, or with an area filter the enterprise-and-area rows; the areas from
    the portfolio rows when the user reads whole portfolios and no city or group is asked
    for."""
    current.refresh()
    visible = Q(owner_id__in=Subquery(visible_enterprises(user).values("id")))
    narrow = Q()
    if filters.supervisor:
        narrow &= Q(supervisor_id=filters.supervisor)
    if filters.programme:
        narrow &= Q(programme=filters.programme)
    if filters.area:
        narrow &= Q(area=filters.area)
    places = Q()
    if filters.city:
        places &= Q(city_code=filters.city)
    if filters.group:
        places &= Q(group_id=filters.group)
    level = CurrentLevel.AREA if filters.area else CurrentLevel.ENTERPRISE
    owners = current.by_owner(CurrentTally.objects.filter(visible, narrow, places, level=level))
    supervisors = supervisor_scope(user)
    if supervisors and not (filters.city or filters.group):
        portfolio = CurrentTally.objects.filter(
            narrow, level=CurrentLevel.SUPERVISOR, supervisor_id__in=supervisors
        )
        return owners, current.by_area(portfolio)
    areas = CurrentTally.objects.filter(visible, narrow, places, level=CurrentLevel.AREA)
    return owners, current.by_area(areas)


def _past_rows(user, filters: Filters, day: date, tree: TreeSnapshot):
    """The figures per enterprise and per area as of a past day, counted from the tasks."""
    tasks = counted_on(filtered(visible_tasks(user), filters, tree), day)
    cities = dict(visible_enterprises(user).values_list("id", "city_code"))
    owners = [
        (owner, cities.get(owner, ""), tree.group_of(owner), tally)
        for (owner,), tally in tallies_by(tasks, day, "owner_id")
    ]
    return owners, dict(tallies_by(tasks, day, "programme", "area"))


def completion(user, filters: Filters, tree: TreeSnapshot | None = None) -> Completion:
    day = filters.day()
    today = clock.today()
    if day == today:
        owners, areas = _today_rows(user, filters)
    else:
        owners, areas = _past_rows(user, filters, day, tree or tree_at(day))
    names = area_names()
    by_area = [
        UnitRow(key, names.get(key, "/".join(key)), tally, {"programme": key[0], "area": key[1]})
        for key, tally in sorted(areas.items())
    ]
    city_units = defaultdict(Tally)
    group_units = defaultdict(Tally)
    for _owner, city, group, tally in owners:
        city_units[city] += tally
        group_units[group or NO_GROUP] += tally
    by_group = _sorted_units(dict(group_units), enterprise_names(group_units))
    for row in by_group:
        if row.key == NO_GROUP:
            row.name = ""
    by_city = _sorted_units(dict(city_units), {code: city_name(code) for code in city_units})
    owner_rows = sorted(
        ((owner, tally) for owner, _city, _group, tally in owners),
        key=lambda row: (row[1].weighted_rate or 0, -row[1].tasks, row[0]),
    )
    return Completion(
        day=day,
        live=day == today,
        totals=total(tally for *_rest, tally in owners),
        by_area=by_area,
        by_city=by_city,
        by_group=by_group,
        by_enterprise=owner_rows,
    )


def name_enterprises(page: list[tuple[int, Tally]]) -> list[UnitRow]:
    """The rows of one page of enterprises, with their names, identifiers and cities."""
    rows = [UnitRow(owner, "", tally) for owner, tally in page]
    found = Enterprise.objects.in_bulk([row.key for row in rows])
    for row in rows:
        enterprise = found.get(row.key)
        if enterprise is not None:
            row.name = enterprise.name
            row.extra["identifier"] = enterprise.identifier
            row.extra["city"] = city_name(enterprise.city_code)
    return rows


# --- the curve -------------------------------------------------------------------------------


@dataclass
class Curve:
    """Completion at month ends: one series of tallies per programme, on common days."""

    days: list[date]
    by_programme: dict[str, list[Tally]]

    def combined(self) -> list[Tally]:
        return [
            total(series[i] for series in self.by_programme.values()) for i in range(len(self.days))
        ]

    def points(self, programme: str | None = None) -> list[tuple[date, float | None]]:
        series = self.by_programme.get(programme, []) if programme else self.combined()
        return [(day, tally.rate) for day, tally in zip(self.days, series, strict=True)]

    def with_point(self, day: date, tallies: dict[str, Tally]) -> "Curve":
        """The curve with one more point (today's live figures) after its last day."""
        if self.days and day <= self.days[-1]:
            return self
        names = set(self.by_programme) | set(tallies)
        length = len(self.days)
        series = {
            name: [*self.by_programme.get(name, [Tally()] * length), tallies.get(name, Tally())]
            for name in names
        }
        return Curve([*self.days, day], series)


def _programme_area(rows: QuerySet, filters: Filters) -> QuerySet:
    if filters.programme:
        rows = rows.filter(programme=filters.programme)
    if filters.area:
        rows = rows.filter(area=filters.area)
    return rows


def _aligned(points: dict[str, dict[date, Tally]], days: list[date]) -> Curve:
    return Curve(
        days, {name: [found.get(day, Tally()) for day in days] for name, found in points.items()}
    )


def curve(user, filters: Filters, tree: TreeSnapshot) -> Curve:
    """The completion at every month end with snapshots, up to the last closed month.

    A supervisor's user reads the roll-ups (the whole portfolio, a city, or a group); anyone
    else, or a city and a group at once, sums the enterprises' own rows."""
    last = last_closed_month_end(clock.today())
    supervisors = supervisor_scope(user)
    if filters.supervisor:
        supervisors &= {filters.supervisor}
    if supervisors and not (filters.city and filters.group):
        return _rollup_curve(supervisors, filters, last)
    owners = visible_enterprises(user)
    if filters.supervisor:
        owners = owners.filter(supervisor_id=filters.supervisor)
    if filters.city:
        owners = owners.filter(city_code=filters.city)
    if filters.group:
        owners = owners.filter(id__in=group_members(tree, filters.group))
    rows = _programme_area(
        EnterpriseSnapshot.objects.filter(owner_id__in=Subquery(owners.values("id"))), filters
    ).filter(month__lte=last)
    by_programme: dict[str, list] = defaultdict(list)
    for owner, programme, area, month, *values in rows.values_list(
        "owner_id", "programme", "area", "month", *MEASURES
    ):
        by_programme[programme].append(((owner, area), month, Tally.of(values)))
    if not by_programme:
        return Curve([], {})
    first = min(month for found in by_programme.values() for _key, month, _tally in found)
    days = month_ends(first, last)
    return Curve(days, {name: carry_forward(found, days) for name, found in by_programme.items()})


def _rollup_curve(supervisors: set[int], filters: Filters, last: date) -> Curve:
    if filters.group:
        level, key = RollupLevel.GROUP, str(filters.group)
    elif filters.city:
        level, key = RollupLevel.CITY, filters.city
    else:
        level, key = RollupLevel.SUPERVISOR, ""
    rows = _programme_area(
        RollupSnapshot.objects.filter(
            level=level, supervisor_id__in=supervisors, key=key, month__lte=last
        ),
        filters,
    )
    sums = rows.values("programme", "month").annotate(**current.measure_sums()).order_by()
    points: dict[str, dict[date, Tally]] = defaultdict(dict)
    for row in sums:
        points[row["programme"]][row["month"]] = tally_of(row)
    if not points:
        return Curve([], {})
    first = min(day for found in points.values() for day in found)
    return _aligned(points, month_ends(first, last))


# --- milestones ------------------------------------------------------------------------------


@dataclass
class MilestoneRow:
    milestone: CatalogueMilestone
    check: object  # completion.MilestoneCheck


def milestones(
    catalogue: Catalogue | None, curve_points: list[tuple[date, float | None]], today: date
) -> list[MilestoneRow]:
    if catalogue is None:
        return []
    return [
        MilestoneRow(
            m, check_milestone(curve_points, due_on=m.due_on, target=m.target, today=today)
        )
        for m in catalogue.milestones.all()
    ]


def catalogue_of(programme: str) -> Catalogue | None:
    return next((c for c in current_catalogues() if c.code == programme), None)


# --- lists -----------------------------------------------------------------------------------


def task_rows(tasks: QuerySet[ReformTask]) -> QuerySet[ReformTask]:
    return tasks.select_related("item", "owner", "catalogue_task")


def _working_items(user, filters: Filters, tree: TreeSnapshot) -> QuerySet[TrackedItem]:
    """The reform items still worked on that the user sees, from the item table's indexes."""
    items = TrackedItem.objects.filter(
        register=Register.REFORM_TASK,
        status__in=WORKING,
        owner_id__in=Subquery(visible_enterprises(user).values("id")),
    )
    if filters.supervisor:
        items = items.filter(supervisor_id=filters.supervisor)
    if filters.city:
        items = items.filter(owner__city_code=filters.city)
    if filters.group:
        items = items.filter(owner_id__in=group_members(tree, filters.group))
    if filters.programme:
        items = items.filter(reform__programme=filters.programme)
    if filters.area:
        items = items.filter(reform__area=filters.area)
    return items


def overdue(user, filters: Filters, tree: TreeSnapshot) -> QuerySet:
    """The items of the tasks still worked on past their deadline (the ledger's "overdue"),
    the oldest deadline first: ids, to page through."""
    items = _working_items(user, filters, tree).filter(due_date__lt=clock.today())
    return items.order_by("due_date", "id").values_list("id", flat=True)


def late_and_risky(user, filters: Filters, tree: TreeSnapshot) -> tuple[list[int], list[int]]:
    """The items of the overdue tasks and of the tasks at risk, each the nearest deadline
    first, from one read of the tasks still worked on that are due within the risk window."""
    today = clock.today()
    rows = (
        _working_items(user, filters, tree)
        .filter(due_date__lte=today + timedelta(days=AT_RISK_DAYS))
        .values_list("id", "progress", "opened_on", "due_date")
    )
    late, risk = [], []
    for item_id, progress, opened_on, due_on in rows:
        if due_on < today:
            late.append((due_on, item_id))
        elif progress < 100 and at_risk(
            progress=progress, assigned_on=opened_on, due_on=due_on, today=today
        ):
            risk.append((due_on, item_id))
    return [i for _d, i in sorted(late)], [i for _d, i in sorted(risk)]


def risky(user, filters: Filters, tree: TreeSnapshot) -> list[int]:
    """The items of the tasks at risk by the rule of `completion.at_risk`, the nearest
    deadline first."""
    today = clock.today()
    candidates = _working_items(user, filters, tree).filter(
        due_date__gte=today,
        due_date__lte=today + timedelta(days=AT_RISK_DAYS),
        progress__lt=100,
    )
    rows = candidates.values_list("id", "progress", "opened_on", "due_date")
    wanted = [
        (due_on, item_id)
        for item_id, progress, opened_on, due_on in rows
        if at_risk(progress=progress, assigned_on=opened_on, due_on=due_on, today=today)
    ]
    return [item_id for _due, item_id in sorted(wanted)]


def tasks_in_order(item_ids: list[int]) -> list[ReformTask]:
    found = task_rows(ReformTask.objects.filter(item_id__in=item_ids)).in_bulk()
    return [found[i] for i in item_ids if i in found]


def enterprise_ledger(user, enterprise_id: int, programme: str = "") -> QuerySet[ReformTask]:
    """An enterprise's tasks (its own, not its subsidiaries'), by programme, area, deadline."""
    tasks = visible_tasks(user).filter(owner_id=enterprise_id)
    if programme:
        tasks = tasks.filter(programme=programme)
    done = Count("item__milestones", filter=Q(item__milestones__done_on__isnull=False))
    waiting = Count("proposals", filter=Q(proposals__state=ProposalState.PROPOSED), distinct=True)
    return (
        task_rows(tasks)
        .annotate(
            measures=Count("item__milestones", distinct=True),
            measures_done=done,
            proposals_waiting=waiting,
        )
        .order_by("programme", "area", "item__due_date", "item_id")
    )


def ledger_export_rows(user, filters: Filters, tree: TreeSnapshot, enterprise_id=None):
    tasks = filtered(visible_tasks(user), filters, tree)
    if enterprise_id is not None:
        tasks = tasks.filter(owner_id=enterprise_id)
    return tasks.select_related("item", "owner", "catalogue", "catalogue_task").order_by(
        "owner_id", "programme", "area", "item__due_date", "item_id"
    )
