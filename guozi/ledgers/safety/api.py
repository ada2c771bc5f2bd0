"""The REST API of the safety-incident register, under /api/v1/ledgers/safety/.

Incidents with their reports (versions) and statistics. An incident is named by its ledger
item's id, as on /api/v1/ledgers/items/{id} where its handling (updates, evidence,
verification) goes on. Thin, like the pages: each operation finds what the caller may see (an
incident outside their view is 404, the same answer as an unknown id) and calls one service or
selector, which decide who may report and which write the audit log. Amounts are in yuan.
"""

from datetime import date, datetime
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from guozi.accounts.access import Scope
from guozi.api.auth import api_scope
from guozi.api.convert import enterprise_ref, find_visible, path_id, user_of
from guozi.api.errors import FieldErrors
from guozi.api.schemas import EnterpriseRef, Error
from guozi.ledgers.models import Status as ItemStatus
from guozi.lib.errors import DomainError

from . import display, selectors, services
from .models import Incident, IncidentGrade, IncidentReport, IncidentType
from .selectors import DIMENSIONS, IncidentFilters

router = Router(tags=["ledgers-safety"])
ERRORS = {400: Error, 403: Error, 404: Error, 422: Error}


# -- bodies ------------------------------------------------------------------------------------


class ReportOut(Schema):
    version: int
    kind: str = Field(description="initial, supplementary or correction (late)")
    late: bool = Field(description="made after the window for supplementary reports")
    reported_at: datetime
    deaths: int
    serious_injuries: int = Field(description="acute industrial poisoning included")
    direct_loss: Decimal = Field(description="yuan")
    grade: str = Field(description="especially_serious, major, serious or general")
    graded_by: list[str] = Field(description="the criteria that reach the grade")
    grade_reason: str
    reported_by: str
    note: str
    recorded_at: datetime


class IncidentSummary(Schema):
    id: int = Field(description="the ledger item's id")
    number: str
    title: str
    owner: EnterpriseRef
    occurred_at: datetime
    incident_type: str
    place: str
    grade: str
    deaths: int
    serious_injuries: int
    direct_loss: Decimal = Field(description="yuan, as of the latest report")
    reports: int = Field(description="how many versions")
    status: str = Field(description="the handling's status on the ledger")
    item: str = Field(description="the API path of the ledger item")


class IncidentPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[IncidentSummary]


class IncidentDetail(IncidentSummary):
    description: str
    supplementary_until: date = Field(
        description="the last day a change is a supplementary report (条例 Art. 13)"
    )
    versions: list[ReportOut] = Field(description="oldest first")


class IncidentIn(Schema):
    owner: str = Field(description="the enterprise: USCC, internal id or CC:number")
    occurred_at: datetime = Field(description="a time without a zone is a time in China")
    incident_type: str = Field(description=", ".join(IncidentType.values))
    place: str
    description: str = ""
    deaths: int
    serious_injuries: int
    direct_loss: Decimal = Field(description="yuan")
    reported_at: datetime | None = Field(None, description="default: now")
    note: str = ""
    responsible_name: str = ""


class ReportIn(Schema):
    deaths: int
    serious_injuries: int
    direct_loss: Decimal = Field(description="yuan")
    reported_at: datetime | None = Field(None, description="default: now")
    note: str = Field("", description="required for a late correction: its reason")


class StatisticsRow(Schema):
    key: str
    label: str
    incidents: int
    by_grade: dict[str, int]
    deaths: int
    serious_injuries: int
    direct_loss: Decimal = Field(description="yuan")


class StatisticsOut(Schema):
    by: str
    rows: list[StatisticsRow]
    total: StatisticsRow


# -- conversions -------------------------------------------------------------------------------


def visible_incident_in_path(user, *, id, **_params) -> Incident:
    return selectors.get_visible_incident(user, path_id(id))


def report_out(report: IncidentReport) -> dict:
    return {
        "version": report.version,
        "kind": report.kind,
        "late": report.late,
        "reported_at": report.reported_at,
        "deaths": report.deaths,
        "serious_injuries": report.serious_injuries,
        "direct_loss": report.direct_loss,
        "grade": report.grade,
        "graded_by": report.graded_by,
        "grade_reason": display.grade_reason(report),
        "reported_by": report.reported_by.get_username(),
        "note": report.note,
        "recorded_at": report.recorded_at,
    }


def incident_summary(incident: Incident) -> dict:
    item, latest = incident.item, incident.latest
    return {
        "id": item.id,
        "number": incident.number,
        "title": item.title,
        "owner": enterprise_ref(item.owner),
        "occurred_at": incident.occurred_at,
        "incident_type": incident.incident_type,
        "place": incident.place,
        "grade": latest.grade,
        "deaths": latest.deaths,
        "serious_injuries": latest.serious_injuries,
        "direct_loss": latest.direct_loss,
        "reports": latest.version,
        "status": item.status,
        "item": f"{reverse('api:api-root')}ledgers/items/{item.id}",
    }


def incident_detail(user, item_id: int) -> dict:
    incident = selectors.get_visible_incident(user, item_id)
    return {
        **incident_summary(incident),
        "description": incident.description,
        "supplementary_until": services.supplementary_until(incident),
        "versions": [report_out(r) for r in selectors.incident_reports(incident)],
    }


def _listed(error: DomainError) -> DomainError:
    """Services name a field with one message or several; the API always sends a list."""
    error.fields = {
        name: [messages] if isinstance(messages, str) else list(messages)
        for name, messages in error.fields.items()
    }
    return error


def _run(change):
    try:
        return change()
    except DomainError as error:
        raise _listed(error) from None


def _choice(value: str, allowed, name: str, problems: dict) -> None:
    if value and value not in allowed:
        problems[name] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}]


def _filters(user, *, year, grade, incident_type, city, owner, status, number, q):
    problems: dict[str, list[str]] = {}
    _choice(grade, IncidentGrade.values, "grade", problems)
    _choice(incident_type, IncidentType.values, "incident_type", problems)
    _choice(status, ["active", *ItemStatus.values], "status", problems)
    found = None
    if owner:
        found = find_visible(user, owner)
        if found is None:
            problems["owner"] = [
                _("No enterprise you can see has the identifier %(value)s.") % {"value": owner}
            ]
    if problems:
        raise FieldErrors(problems)
    return IncidentFilters(
        year=year,
        grade=grade,
        incident_type=incident_type,
        city=city.strip(),
        owner=found.id if found else None,
        status=status,
        number=number.strip(),
        q=q.strip(),
    )


# -- incidents ---------------------------------------------------------------------------------


@router.get("/incidents", response={200: IncidentPage, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_incidents(
    request,
    year: int | None = Query(None, ge=2007, le=2100, description="year of the incident"),
    grade: str = Query("", description=", ".join(IncidentGrade.values)),
    incident_type: str = Query("", description=", ".join(IncidentType.values)),
    city: str = Query("", description="the enterprise's prefecture-level city code"),
    owner: str = Query("", description="the enterprise: USCC, internal id or CC:number"),
    status: str = Query("", description="a ledger status, or active for not closed"),
    number: str = Query("", description="an incident number"),
    q: str = Query("", description="words in the enterprise's name, the title or the place"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    """The incidents you may read, the most recent first, with their latest figures."""
    user = user_of(request)
    filters = _filters(
        user,
        year=year,
        grade=grade,
        incident_type=incident_type,
        city=city,
        owner=owner,
        status=status,
        number=number,
        q=q,
    )
    incidents = selectors.incident_list(user, filters).filter(latest__isnull=False)
    return {
        "total": incidents.count(),
        "limit": limit,
        "offset": offset,
        "items": [incident_summary(i) for i in incidents[offset : offset + limit]],
    }


@router.post("/incidents", response={201: IncidentDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def report_incident(request, payload: IncidentIn):
    """Record an incident and its first report (the owner's reporters, or the supervisor's
    analysts and reviewers). Every field error comes back at once under its name."""
    user = user_of(request)
    owner = find_visible(user, payload.owner)
    if owner is None:
        raise FieldErrors(
            {
                "owner": [
                    _("No enterprise you can see has the identifier %(value)s.")
                    % {"value": payload.owner}
                ]
            }
        )
    incident = _run(
        lambda: services.incident_report_first(
            acting_user=user,
            owner=owner,
            occurred_at=payload.occurred_at,
            incident_type=payload.incident_type,
            place=payload.place,
            description=payload.description,
            deaths=payload.deaths,
            serious_injuries=payload.serious_injuries,
            direct_loss=payload.direct_loss,
            reported_at=payload.reported_at,
            note=payload.note,
            responsible_name=payload.responsible_name,
        )
    )
    return Status(201, incident_detail(user, incident.item_id))


@router.get("/incidents/{int:id}", response={200: IncidentDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_incident_in_path)
def get_incident(request, id: int):
    """One incident with every version of its report."""
    return incident_detail(user_of(request), path_id(id))


@router.get("/incidents/{int:id}/reports", response={200: list[ReportOut], **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_incident_in_path)
def list_reports(request, id: int):
    """Every version of the incident's report, oldest first."""
    incident = visible_incident_in_path(user_of(request), id=id)
    return [report_out(r) for r in selectors.incident_reports(incident)]


@router.post("/incidents/{int:id}/reports", response={201: ReportOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_incident_in_path)
def add_report(request, id: int, payload: ReportIn):
    """Re-report the incident's figures: a supplementary report within 30 days of the incident
    (7 for road transport and fire), a late correction, with its reason in `note`, after that.
    The new version is graded; the incident follows it."""
    user = user_of(request)
    incident = visible_incident_in_path(user, id=id)
    report = _run(
        lambda: services.incident_report_again(
            acting_user=user,
            incident=incident,
            deaths=payload.deaths,
            serious_injuries=payload.serious_injuries,
            direct_loss=payload.direct_loss,
            reported_at=payload.reported_at,
            note=payload.note,
        )
    )
    return Status(201, report_out(report))


# -- statistics --------------------------------------------------------------------------------


def _row_out(row: selectors.StatRow) -> dict:
    return {
        "key": row.key,
        "label": row.label,
        "incidents": row.incidents,
        "by_grade": row.by_grade,
        "deaths": row.deaths,
        "serious_injuries": row.serious_injuries,
        "direct_loss": Decimal(row.direct_loss_fen).scaleb(-2),
    }


@router.get("/statistics", response={200: StatisticsOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def incident_statistics(
    request,
    by: str = Query("year", description=", ".join(DIMENSIONS)),
    year: int | None = Query(None, ge=2007, le=2100),
    incident_type: str = Query("", description=", ".join(IncidentType.values)),
    city: str = Query("", description="the enterprise's prefecture-level city code"),
    owner: str = Query("", description="the enterprise: USCC, internal id or CC:number"),
):
    """Incidents per grade, deaths, serious injuries and direct loss of the incidents you may
    read, by year, enterprise, industry (GB/T 4754 section) or city, as of each incident's
    latest report; cancelled incidents are left out."""
    user = user_of(request)
    if by not in DIMENSIONS:
        raise FieldErrors(
            {"by": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(DIMENSIONS)}]}
        )
    filters = _filters(
        user,
        year=year,
        grade="",
        incident_type=incident_type,
        city=city,
        owner=owner,
        status="",
        number="",
        q="",
    )
    statistics = selectors.incident_statistics(user, by, filters)
    return {
        "by": by,
        "rows": [_row_out(row) for row in statistics.rows],
        "total": _row_out(statistics.total),
    }
