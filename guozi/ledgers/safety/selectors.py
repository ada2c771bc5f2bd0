"""Scoped reads of the safety-incident register: the incidents a user may see, filtered, one by
one with their reports, and counted for statistics.

A user sees the incidents of the items they may see (`guozi.ledgers.selectors.visible_items`):
an incident outside that view is a 404, the same answer as for no such incident.
"""

from dataclasses import dataclass, field, fields
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from guozi.ledgers.models import ACTIVE, Status
from guozi.ledgers.selectors import visible_items
from guozi.lib import codetables
from guozi.registry.directory import city_name
from guozi.registry.models import Enterprise

from .models import FEN_PER_WAN, Incident, IncidentGrade, IncidentReport


def visible_incidents(user) -> QuerySet[Incident]:
    return Incident.objects.filter(item__in=visible_items(user))


def get_visible_incident(user, item_id: int) -> Incident:
    """The incident of the item `item_id`, with its item, owner and latest report."""
    return get_object_or_404(
        visible_incidents(user).select_related("item__owner", "item__supervisor", "latest"),
        item_id=item_id,
    )


def incident_reports(incident: Incident) -> list[IncidentReport]:
    """Every version, oldest first, each with `previous` (the version before it, or None)."""
    reports = list(incident.reports.select_related("reported_by").order_by("version"))
    previous = None
    for report in reports:
        report.previous = previous
        previous = report
    return reports


@dataclass
class IncidentFilters:
    year: int | None = None
    grade: str = ""
    incident_type: str = ""
    city: str = ""  # a prefecture-level city's code
    owner: int | None = None
    status: str = ""  # a ledger status, or "active" for every incident not closed
    number: str = ""
    q: str = ""  # words in the enterprise's name, the title or the place

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def filter_incidents(incidents: QuerySet[Incident], filters: IncidentFilters) -> QuerySet[Incident]:
    if filters.year:
        incidents = incidents.filter(occurred_at__year=filters.year)
    if filters.grade:
        incidents = incidents.filter(latest__grade=filters.grade)
    if filters.incident_type:
        incidents = incidents.filter(incident_type=filters.incident_type)
    if filters.city:
        incidents = incidents.filter(item__owner__city_code=filters.city)
    if filters.owner is not None:
        incidents = incidents.filter(item__owner_id=filters.owner)
    if filters.status == "active":
        incidents = incidents.filter(item__status__in=ACTIVE)
    elif filters.status:
        incidents = incidents.filter(item__status=filters.status)
    if filters.number:
        incidents = incidents.filter(number=filters.number.upper())
    if filters.q:
        incidents = incidents.filter(
            Q(item__owner__name_zh__icontains=filters.q)
            | Q(item__owner__short_name__icontains=filters.q)
            | Q(item__title__icontains=filters.q)
            | Q(place__icontains=filters.q)
        )
    return incidents


def incident_list(user, filters: IncidentFilters) -> QuerySet[Incident]:
    """The user's incidents matching `filters`, the most recent first."""
    incidents = filter_incidents(visible_incidents(user), filters)
    return incidents.select_related("item__owner", "latest").order_by("-occurred_at", "-id")


def incident_years(user) -> list[int]:
    """The years in which the user's incidents happened, the latest first."""
    years = (
        visible_incidents(user)
        .annotate(year=ExtractYear("occurred_at"))
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )
    return list(years)


# --- statistics ------------------------------------------------------------------------------

DIMENSIONS = ("year", "enterprise", "industry", "city")
GRADES = [grade.value for grade in IncidentGrade]  # highest first


@dataclass
class StatRow:
    key: str
    label: str
    by_grade: dict[str, int] = field(default_factory=dict)
    incidents: int = 0
    deaths: int = 0
    serious_injuries: int = 0
    direct_loss_fen: int = 0

    @property
    def grade_counts(self) -> list[int]:
        """The counts per grade, highest grade first (for tables)."""
        return [self.by_grade.get(grade, 0) for grade in GRADES]

    @property
    def direct_loss_wan(self) -> Decimal:
        return Decimal(self.direct_loss_fen) / FEN_PER_WAN


@dataclass
class Statistics:
    by: str
    rows: list[StatRow]
    total: StatRow


_KEYS = {
    "year": ExtractYear("occurred_at"),
    "enterprise": F("item__owner_id"),
    "industry": F("item__owner__industry_section"),
    "city": F("item__owner__city_code"),
}


def statistics_base(user, filters: IncidentFilters) -> QuerySet[Incident]:
    """The incidents that count: the user's, matching the filters, not cancelled (an incident
    cancelled on the register was recorded by mistake or is no production-safety incident)."""
    incidents = filter_incidents(visible_incidents(user), filters)
    return incidents.exclude(item__status=Status.CANCELLED).filter(latest__isnull=False)


def incident_statistics(user, by: str, filters: IncidentFilters) -> Statistics:
    """Incidents per grade, deaths, serious injuries and direct loss, by year, enterprise,
    industry (GB/T 4754 section of the owner) or city (of the owner), as of the latest report
    of each incident."""
    if by not in _KEYS:
        raise ValueError(by)
    counts = {f"n_{grade}": Count("id", filter=Q(latest__grade=grade)) for grade in GRADES}
    grouped = (
        statistics_base(user, filters)
        .annotate(key=_KEYS[by])
        .values("key")
        .annotate(
            incidents=Count("id"),
            deaths=Sum("latest__deaths"),
            serious_injuries=Sum("latest__serious_injuries"),
            direct_loss_fen=Sum("latest__direct_loss_fen"),
            **counts,
        )
        .order_by()
    )
    found = list(grouped)
    labels = _labels(by, [row["key"] for row in found])
    rows = [
        StatRow(
            key=str(row["key"] if row["key"] is not None else ""),
            label=labels.get(row["key"], str(row["key"] or "")) or _("Not recorded"),
            by_grade={grade: row[f"n_{grade}"] for grade in GRADES},
            incidents=row["incidents"],
            deaths=row["deaths"] or 0,
            serious_injuries=row["serious_injuries"] or 0,
            direct_loss_fen=row["direct_loss_fen"] or 0,
        )
        for row in found
    ]
    if by == "year":
        rows.sort(key=lambda row: row.key)
    else:
        rows.sort(key=lambda row: (-row.incidents, -row.deaths, -row.direct_loss_fen, row.label))
    return Statistics(by=by, rows=rows, total=_total(rows))


def _total(rows: list[StatRow]) -> StatRow:
    total = StatRow(key="", label=_("Total"), by_grade={grade: 0 for grade in GRADES})
    for row in rows:
        for grade in GRADES:
            total.by_grade[grade] += row.by_grade[grade]
        total.incidents += row.incidents
        total.deaths += row.deaths
        total.serious_injuries += row.serious_injuries
        total.direct_loss_fen += row.direct_loss_fen
    return total


def _labels(by: str, keys: list) -> dict:
    if by == "year":
        return {key: str(key) for key in keys}
    if by == "enterprise":
        return {e.id: e.name for e in Enterprise.objects.filter(id__in=keys)}
    if by == "industry":
        sections = codetables.industries()
        return {
            key: f"{key} {sections[key].name_zh}" if key in sections else key for key in keys if key
        }
    return {key: city_name(key) for key in keys if key}


def city_choices(user) -> list[tuple[str, str]]:
    """The cities of the enterprises with incidents the user may see."""
    codes = (
        visible_incidents(user)
        .exclude(item__owner__city_code="")
        .values_list("item__owner__city_code", flat=True)
        .distinct()
    )
    return sorted(((code, city_name(code)) for code in set(codes)), key=lambda pair: pair[0])
