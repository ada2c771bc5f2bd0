"""Scoped reads of the R&D register: the projects a user may see (those of
`guozi.ledgers.selectors.visible_items`), filtered; one project's panel; and the summary by
enterprise and year that sets key-project spend beside the reported R&D expenditure.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import date

from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractYear
from django.http import Http404

from guozi.ledgers.models import ACTIVE, Register, TrackedItem
from guozi.ledgers.selectors import get_visible_item, visible_items
from guozi.lib import clock
from guozi.registry.models import Enterprise

from . import rules
from .models import RdOutcome, RdProject, RdYear
from .reported import ReportedRd, reported_rd


def visible_projects(user) -> QuerySet[TrackedItem]:
    return visible_items(user).filter(register=Register.RD_PROJECT)


def get_visible_project(user, item_id: int) -> TrackedItem:
    """The R&D project item if the user may see it; 404 otherwise, as for no such id."""
    item = get_visible_item(user, item_id)
    if item.register != Register.RD_PROJECT:
        raise Http404
    return item


def get_visible_outcome(user, item_id: int, outcome_id: int) -> RdOutcome:
    item = get_visible_project(user, item_id)
    outcome = RdOutcome.objects.filter(id=outcome_id, project__item=item).first()
    if outcome is None:
        raise Http404
    outcome.project.item = item
    return outcome


# --- the list --------------------------------------------------------------------------------


@dataclass
class ProjectFilters:
    tech_field: str = ""
    kind: str = ""
    year: int | None = None  # projects running in that year
    status: str = ""  # a Status value, or "active" for every project not closed
    owner: int | None = None
    q: str = ""

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def project_list(user, filters: ProjectFilters) -> QuerySet[TrackedItem]:
    """The user's projects matching `filters`, with their budget and spend to date: the ones
    still open first, by planned completion."""
    items = visible_projects(user)
    if filters.tech_field:
        items = items.filter(rd_project__tech_field=filters.tech_field)
    if filters.kind:
        items = items.filter(rd_project__kind=filters.kind)
    if filters.year:
        items = items.filter(
            rd_project__start_year__lte=filters.year, rd_project__end_year__gte=filters.year
        )
    if filters.status == "active":
        items = items.filter(status__in=ACTIVE)
    elif filters.status:
        items = items.filter(status=filters.status)
    if filters.owner is not None:
        items = items.filter(owner_id=filters.owner)
    if filters.q:
        items = items.filter(
            Q(title__icontains=filters.q)
            | Q(owner__name_zh__icontains=filters.q)
            | Q(owner__short_name__icontains=filters.q)
            | Q(responsible_name__icontains=filters.q)
        )
    closed_last = Case(When(status__in=ACTIVE, then=Value(0)), default=Value(1))
    # Subqueries: two sums over joins of years and outcomes would multiply each other.
    spend = (
        RdYear.objects.filter(project__item=OuterRef("id"))
        .values("project")
        .annotate(total=Sum("spend_fen"))
        .values("total")
    )
    outcomes = (
        RdOutcome.objects.filter(project__item=OuterRef("id"))
        .values("project")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        items.select_related("owner", "rd_project")
        .annotate(spend_fen=Subquery(spend), outcome_count=Coalesce(Subquery(outcomes), 0))
        .order_by(closed_last, "due_date", "id")
    )


def years_of(items) -> dict[int, list[RdYear]]:
    """The years of these project items, by item id, in year order (one query)."""
    found = defaultdict(list)
    rows = RdYear.objects.filter(project__item__in=items).annotate(item_id=F("project__item_id"))
    for row in rows.order_by("project_id", "year"):
        found[row.item_id].append(row)
    return found


# --- one project -----------------------------------------------------------------------------


@dataclass
class YearLine:
    row: RdYear
    reported: ReportedRd | None  # what the owner reported for all its R&D that year


@dataclass
class Panel:
    item: TrackedItem
    project: RdProject | None
    years: list[YearLine]
    outcomes: list[RdOutcome]
    budget_fen: int  # the years' budgets added up
    spend_fen: int | None  # the years' spend added up; None when none is recorded
    unplanned_years: list[int]  # the project's years without a row yet

    @property
    def budget_over_total(self) -> bool:
        return self.project is not None and self.budget_fen > self.project.total_budget_fen

    @property
    def due_outside_years(self) -> bool:
        """The due date was moved (on the item) out of the project's years."""
        project = self.project
        return project is not None and not (
            project.start_year <= self.item.due_date.year <= project.end_year
        )


def project_panel(item: TrackedItem) -> Panel:
    """What the item page shows of a project's own rows. The page has already checked that
    the user may see the item; the owner's reported R&D is read for the same enterprise."""
    project = RdProject.objects.filter(item=item).first()
    if project is None:
        return Panel(item, None, [], [], 0, None, [])
    rows = list(project.years.select_related("recorded_by").order_by("year"))
    reported = reported_rd([item.owner_id], [r.year for r in rows], today=clock.today())
    spends = [r.spend_fen for r in rows if r.spend_fen is not None]
    recorded = {r.year for r in rows}
    return Panel(
        item=item,
        project=project,
        years=[YearLine(r, reported.get((item.owner_id, r.year))) for r in rows],
        outcomes=list(project.outcomes.select_related("recorded_by").order_by("achieved_on", "id")),
        budget_fen=sum(r.budget_fen for r in rows),
        spend_fen=sum(spends) if spends else None,
        unplanned_years=[y for y in project.years_span() if y not in recorded],
    )


# --- spend beside the fast report ------------------------------------------------------------


@dataclass
class SummaryRow:
    enterprise: Enterprise
    year: int
    projects: int
    budget_fen: int
    spend_fen: int | None
    reported: ReportedRd | None
    coverage: rules.Coverage
    outcomes: Counter = field(default_factory=Counter)


@dataclass
class YearTotal:
    year: int
    enterprises: int
    projects: int
    budget_fen: int
    spend_fen: int | None
    coverage: rules.Coverage  # over the enterprises that have spend and a report
    flagged: int  # enterprises whose project spend exceeds their reported R&D
    outcomes: Counter


@dataclass
class Summary:
    rows: list[SummaryRow]
    totals: list[YearTotal]
    years: list[int]  # every year with data in the user's view, for the filter


@dataclass
class SummaryFilters:
    year: int | None = None
    q: str = ""
    flagged: bool = False  # only the enterprises whose project spend exceeds reported R&D

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def _spend_by_owner_year(items) -> dict[tuple[int, int], dict]:
    rows = (
        RdYear.objects.filter(project__item__in=items)
        .values("project__item__owner_id", "year")
        .annotate(
            projects=Count("project", distinct=True),
            budget=Sum("budget_fen"),
            spend=Sum("spend_fen"),
        )
        .order_by()
    )
    return {(r["project__item__owner_id"], r["year"]): r for r in rows}


def _outcomes_by_owner_year(items) -> dict[tuple[int, int], Counter]:
    rows = (
        RdOutcome.objects.filter(project__item__in=items)
        .annotate(year=ExtractYear("achieved_on"))
        .values("project__item__owner_id", "year", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    found: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for r in rows:
        found[(r["project__item__owner_id"], r["year"])][r["kind"]] += r["n"]
    return found


def spend_summary(user, filters: SummaryFilters, *, today: date | None = None) -> Summary:
    """Per enterprise and year: its projects' budget and spend, the R&D expenditure it
    reported, the share of that covered by the projects, and the outcomes achieved."""
    today = today or clock.today()
    items = visible_projects(user)
    spend = _spend_by_owner_year(items)
    outcomes = _outcomes_by_owner_year(items)
    keys = set(spend) | set(outcomes)
    years = sorted({year for _owner, year in keys})
    if filters.year:
        keys = {key for key in keys if key[1] == filters.year}
    enterprises = Enterprise.objects.in_bulk({owner for owner, _year in keys})
    if filters.q:
        wanted = set(
            Enterprise.objects.filter(id__in=enterprises)
            .filter(Q(name_zh__icontains=filters.q) | Q(short_name__icontains=filters.q))
            .values_list("id", flat=True)
        )
        keys = {key for key in keys if key[0] in wanted}
    reported = reported_rd(
        {owner for owner, _year in keys}, {year for _owner, year in keys}, today=today
    )
    rows = []
    for owner, year in keys:
        figures = spend.get((owner, year), {})
        spend_fen = figures.get("spend")
        found = reported.get((owner, year))
        rows.append(
            SummaryRow(
                enterprise=enterprises[owner],
                year=year,
                projects=figures.get("projects", 0),
                budget_fen=figures.get("budget") or 0,
                spend_fen=spend_fen,
                reported=found,
                coverage=rules.coverage(spend_fen, found.amount_fen if found else None),
                outcomes=outcomes.get((owner, year), Counter()),
            )
        )
    if filters.flagged:
        rows = [row for row in rows if row.coverage.exceeds]
    # The current and past years first, the latest first; the years to come after them.
    rows.sort(
        key=lambda r: (r.year > today.year, -r.year, -(r.spend_fen or 0), r.enterprise.name_zh)
    )
    return Summary(rows=rows, totals=_totals(rows), years=years)


def _totals(rows: list[SummaryRow]) -> list[YearTotal]:
    by_year = defaultdict(list)
    for row in rows:
        by_year[row.year].append(row)
    totals = []
    for year in sorted(by_year):
        group = by_year[year]
        spends = [r.spend_fen for r in group if r.spend_fen is not None]
        outcomes = Counter()
        for row in group:
            outcomes.update(row.outcomes)
        totals.append(
            YearTotal(
                year=year,
                enterprises=len(group),
                projects=sum(r.projects for r in group),
                budget_fen=sum(r.budget_fen for r in group),
                spend_fen=sum(spends) if spends else None,
                coverage=rules.total_coverage(
                    [(r.spend_fen, r.reported.amount_fen if r.reported else None) for r in group]
                ),
                flagged=sum(1 for r in group if r.coverage.exceeds),
                outcomes=outcomes,
            )
        )
    return totals


def chart_data(summary: Summary) -> dict:
    """The summary's yearly totals for the chart, in 万元 (the share in %)."""

    def number(fen):
        value = rules.wan(fen)
        return None if value is None else float(value)

    return {
        "years": [str(t.year) for t in summary.totals],
        "budget": [number(t.budget_fen) for t in summary.totals],
        "spend": [number(t.spend_fen) for t in summary.totals],
        "reported": [number(t.coverage.reported_fen) for t in summary.totals],
        "share": [
            None if t.coverage.share is None else round(100 * t.coverage.share, 1)
            for t in summary.totals
        ],
    }
