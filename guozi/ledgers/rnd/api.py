"""The REST API of the R&D register, under /api/v1/ledgers/rnd/.

Projects with their own fields, years and outcomes, and the summary of key-project spend beside
the reported R&D expenditure. A project is a tracked item: its updates, review, verification and
cancellation go through /api/v1/ledgers/items/{id}/... like any item's. Thin, like the pages:
each operation finds what the caller may see (a project outside their view is 404, the same
answer as an unknown id) and calls one service or selector, which decide who may act and write
the item's history and the audit log. Amounts are in yuan, as decimal strings or numbers.
"""

from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from guozi.accounts.access import Scope
from guozi.accounts.models import User
from guozi.api.auth import api_scope
from guozi.api.convert import enterprise_ref, find_visible, path_id, user_of
from guozi.api.errors import FieldErrors
from guozi.api.schemas import EnterpriseRef, Error
from guozi.ledgers.api import ItemDetail, ItemSummary, item_detail, item_summary
from guozi.ledgers.models import Status as ItemStatus
from guozi.lib import clock
from guozi.lib.errors import DomainError

from . import rules, selectors, services
from .models import OutcomeKind, ProjectKind, RdOutcome, RdProject, RdYear, TechField

router = Router(tags=["ledgers-rnd"])
ERRORS = {400: Error, 403: Error, 404: Error, 422: Error}
Amount = Decimal | str


# -- bodies ------------------------------------------------------------------------------------


class ProjectOut(Schema):
    tech_field: str = Field(description=", ".join(TechField.values))
    kind: str = Field(description=", ".join(ProjectKind.values))
    start_year: int
    end_year: int
    total_budget: Decimal = Field(description="yuan")


class YearOut(Schema):
    year: int
    budget: Decimal = Field(description="yuan")
    spend: Decimal | None = Field(description="yuan; null while not recorded")
    over_budget: bool = Field(description="spend above the year's budget (allowed, flagged)")
    recorded_by: str | None
    recorded_at: datetime


class OutcomeOut(Schema):
    id: int
    kind: str = Field(description=", ".join(OutcomeKind.values))
    title: str
    identifier: str = Field(description="patent or standard number")
    achieved_on: date
    level: str = Field(description="a standard's level: international, national, industry, group")


class ProjectSummaryOut(ItemSummary):
    project: ProjectOut | None = Field(description="null until the details are recorded")
    spend_to_date: Decimal | None = Field(description="yuan; the years' spend added up")


class ProjectPage(Schema):
    total: int
    limit: int
    offset: int
    projects: list[ProjectSummaryOut]


class ProjectDetailOut(ItemDetail):
    project: ProjectOut | None
    years: list[YearOut]
    outcomes: list[OutcomeOut]


class YearIn(Schema):
    year: int
    budget: Amount = Field(description="yuan")
    spend: Amount | None = Field(None, description="yuan; null while not known")


class ProjectIn(Schema):
    owner: str = Field(description="the owner enterprise: USCC, internal id or CC:number")
    title: str
    description: str = ""
    due_date: date = Field(description="the planned completion")
    responsible_name: str = ""
    responsible_user: str = Field("", description="user name of someone at the owner")
    milestones: list[str] = Field(
        default_factory=list, description="progress counts them when given; else stated in %"
    )
    tech_field: str = Field(description=", ".join(TechField.values))
    kind: str = Field(description=", ".join(ProjectKind.values))
    start_year: int
    end_year: int
    total_budget: Amount = Field(description="yuan")
    years: list[YearIn] = Field(default_factory=list, description="budgets by year, if planned")


class ProjectPatch(Schema):
    tech_field: str | None = None
    kind: str | None = None
    start_year: int | None = None
    end_year: int | None = None
    total_budget: Amount | None = None
    reason: str = ""


class YearPut(Schema):
    budget: Amount = Field(description="yuan")
    spend: Amount | None = Field(None, description="yuan; null while not known")


class OutcomeIn(Schema):
    kind: str = Field(description=", ".join(OutcomeKind.values))
    title: str
    identifier: str = Field("", description="required for a patent or a standard")
    achieved_on: date
    level: str = Field("", description="for a standard: international, national, industry, group")


class ReasonIn(Schema):
    reason: str = ""


class Reported(Schema):
    amount: Decimal = Field(description="yuan")
    period: str = Field(description="the fast report read: December, or the latest month")
    scope: str = Field(description="standalone, or consolidated for a leaf's one report")


class CoverageOut(Schema):
    status: str = Field(description="ok, missing (no approved report), no_spend or undefined")
    share: float | None = Field(description="spend / reported R&D; 1.0 = 100 %")
    exceeds: bool = Field(description="the projects' spend is above the reported R&D")


class SummaryRowOut(Schema):
    enterprise: EnterpriseRef
    year: int
    projects: int
    budget: Decimal
    spend: Decimal | None
    reported: Reported | None = Field(description="null when no approved report: missing")
    coverage: CoverageOut
    outcomes: dict[str, int]


class YearTotalOut(Schema):
    year: int
    enterprises: int
    projects: int
    budget: Decimal
    spend: Decimal | None
    reported: Decimal | None = Field(description="of the enterprises with spend and a report")
    coverage: CoverageOut
    flagged: int = Field(description="enterprises whose project spend exceeds reported R&D")
    outcomes: dict[str, int]


class SummaryOut(Schema):
    rows: list[SummaryRowOut]
    totals: list[YearTotalOut]


# -- reading requests --------------------------------------------------------------------------


def visible_project_in_path(user, *, id, **_params):
    return selectors.get_visible_project(user, path_id(id))


def _owner(user, identifier: str):
    found = find_visible(user, identifier)
    if found is None:
        raise FieldErrors(
            {
                "owner": [
                    _("No enterprise you can see has the identifier %(value)s.")
                    % {"value": identifier}
                ]
            }
        )
    return found


def _user_named(name: str):
    if not name:
        return None
    found = User.objects.filter(username=name.strip(), is_active=True).first()
    if found is None:
        raise FieldErrors({"responsible_user": [_("No such user.")]})
    return found


def _run(change):
    """A service's refusal, its fields always as lists (the API's one error shape)."""
    try:
        return change()
    except DomainError as error:
        error.fields = {
            name: [messages] if isinstance(messages, str) else list(messages)
            for name, messages in error.fields.items()
        }
        raise


# -- writing answers ---------------------------------------------------------------------------


def project_out(project: RdProject | None) -> dict | None:
    if project is None:
        return None
    return {
        "tech_field": project.tech_field,
        "kind": project.kind,
        "start_year": project.start_year,
        "end_year": project.end_year,
        "total_budget": project.total_budget,
    }


def year_out(row: RdYear) -> dict:
    return {
        "year": row.year,
        "budget": row.budget,
        "spend": row.spend,
        "over_budget": row.over_budget,
        "recorded_by": row.recorded_by.get_username() if row.recorded_by else None,
        "recorded_at": row.recorded_at,
    }


def outcome_out(outcome: RdOutcome) -> dict:
    return {
        "id": outcome.id,
        "kind": outcome.kind,
        "title": outcome.title,
        "identifier": outcome.identifier,
        "achieved_on": outcome.achieved_on,
        "level": outcome.level,
    }


def project_detail(user, item_id: int) -> dict:
    item = selectors.get_visible_project(user, item_id)
    project = RdProject.objects.filter(item=item).first()
    years = project.years.select_related("recorded_by") if project else []
    return {
        **item_detail(user, item.id),
        "project": project_out(project),
        "years": [year_out(row) for row in years],
        "outcomes": [outcome_out(o) for o in (project.outcomes.all() if project else [])],
    }


def coverage_out(coverage: rules.Coverage) -> dict:
    return {"status": coverage.status, "share": coverage.share, "exceeds": coverage.exceeds}


# -- projects ----------------------------------------------------------------------------------


@router.get("/projects", response={200: ProjectPage, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO)
def list_projects(
    request,
    tech_field: str = Query("", description=", ".join(TechField.values)),
    kind: str = Query("", description=", ".join(ProjectKind.values)),
    year: int | None = Query(None, description="projects running in that year"),
    status: str = Query("", description="a status, or active for every project not closed"),
    owner: str = Query("", description="the owner: USCC, internal id or CC:number"),
    q: str = Query("", description="words in the title, owner or responsible person"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    """The R&D projects you may read: still-open ones first, by planned completion."""
    user = user_of(request)
    problems: dict[str, list[str]] = {}
    for name, value, choices in (
        ("tech_field", tech_field, TechField),
        ("kind", kind, ProjectKind),
    ):
        if value and value not in choices.values:
            problems[name] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)}
            ]
    if status and status != "active" and status not in ItemStatus.values:
        problems["status"] = [
            _("Choose one of: %(choices)s.")
            % {"choices": ", ".join(["active", *ItemStatus.values])}
        ]
    found = find_visible(user, owner) if owner else None
    if owner and found is None:
        problems["owner"] = [
            _("No enterprise you can see has the identifier %(value)s.") % {"value": owner}
        ]
    if problems:
        raise FieldErrors(problems)
    filters = selectors.ProjectFilters(
        tech_field=tech_field,
        kind=kind,
        year=year,
        status=status,
        owner=found.id if found else None,
        q=q.strip(),
    )
    items = selectors.project_list(user, filters)
    return {
        "total": items.count(),
        "limit": limit,
        "offset": offset,
        "projects": [
            {
                **item_summary(item),
                "project": project_out(getattr(item, "rd_project", None)),
                "spend_to_date": rules.yuan(item.spend_fen),
            }
            for item in items[offset : offset + limit]
        ],
    }


@router.post("/projects", response={201: ProjectDetailOut, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO)
def create_project(request, payload: ProjectIn):
    """Open a project (the supervisor's analysts and reviewers, for an enterprise of their own
    supervisor), with its budgets by year if planned. Every field error comes back at once."""
    user = user_of(request)
    owner = _owner(user, payload.owner)
    responsible = _user_named(payload.responsible_user)
    project = _run(
        lambda: services.project_create(
            acting_user=user,
            owner=owner,
            title=payload.title,
            description=payload.description,
            due_date=payload.due_date,
            responsible_name=payload.responsible_name,
            responsible_user=responsible,
            milestones=payload.milestones,
            tech_field=payload.tech_field,
            kind=payload.kind,
            start_year=payload.start_year,
            end_year=payload.end_year,
            total_budget=payload.total_budget,
            years=[y.model_dump() for y in payload.years],
        )
    )
    return Status(201, project_detail(user, project.item_id))


@router.get("/projects/{int:id}", response={200: ProjectDetailOut, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO, first=visible_project_in_path)
def get_project(request, id: int):
    """One project: the tracked item (milestones, updates, history, what you may do) with its
    field, kind, years, budget and spend by year, and outcomes."""
    return project_detail(user_of(request), path_id(id))


@router.patch("/projects/{int:id}", response={200: ProjectDetailOut, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO, first=visible_project_in_path)
def edit_project(request, id: int, payload: ProjectPatch):
    """Change the field, kind, years or total budget (the supervisor, while not closed). The
    title, due date and responsible person are the item's: PATCH /ledgers/items/{id}."""
    user = user_of(request)
    item = visible_project_in_path(user, id=id)
    changes = payload.model_dump(exclude_unset=True)
    reason = changes.pop("reason", "")
    _run(lambda: services.project_edit(acting_user=user, item=item, changes=changes, reason=reason))
    return project_detail(user, item.id)


@router.put("/projects/{int:id}/years/{int:year}", response={200: YearOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_project_in_path)
def put_year(request, id: int, year: int, payload: YearPut):
    """Record a year's budget and spend (the owner's reporters, while not closed). Spend above
    the budget is allowed and flagged; spend in a year to come is refused."""
    user = user_of(request)
    item = visible_project_in_path(user, id=id)
    row = _run(
        lambda: services.year_set(
            acting_user=user, item=item, year=year, budget=payload.budget, spend=payload.spend
        )
    )
    return year_out(row)


@router.post("/projects/{int:id}/outcomes", response={201: OutcomeOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_project_in_path)
def add_outcome(request, id: int, payload: OutcomeIn):
    """Record an outcome (the owner's reporters; not on a cancelled project)."""
    user = user_of(request)
    item = visible_project_in_path(user, id=id)
    outcome = _run(
        lambda: services.outcome_add(acting_user=user, item=item, **payload.model_dump())
    )
    return Status(201, outcome_out(outcome))


def _visible_outcome(user, *, id, outcome_id, **_params) -> RdOutcome:
    return selectors.get_visible_outcome(user, path_id(id), path_id(outcome_id))


@router.post(
    "/projects/{int:id}/outcomes/{int:outcome_id}/remove",
    response={200: ProjectDetailOut, **ERRORS},
    by_alias=True,
)
@api_scope(Scope.PORTFOLIO, first=_visible_outcome)
def remove_outcome(request, id: int, outcome_id: int, payload: ReasonIn):
    """Remove an outcome recorded by mistake, with the reason (kept in the item's history)."""
    user = user_of(request)
    outcome = _visible_outcome(user, id=id, outcome_id=outcome_id)
    _run(lambda: services.outcome_remove(acting_user=user, outcome=outcome, reason=payload.reason))
    return project_detail(user, path_id(id))


# -- the summary -------------------------------------------------------------------------------


def _reported_out(found) -> dict | None:
    if found is None:
        return None
    return {"amount": rules.yuan(found.amount_fen), "period": found.period, "scope": found.scope}


@router.get("/summary", response={200: SummaryOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def spend_summary(
    request,
    year: int | None = None,
    q: str = Query("", description="words in the enterprise's name"),
    flagged: bool = Query(False, description="only spend above the reported R&D"),
):
    """Per enterprise and year: the key projects' budget and spend beside the R&D expenditure
    the enterprise reported (standalone, year to date), the share covered, and the outcomes;
    and the totals by year."""
    found = selectors.spend_summary(
        user_of(request),
        selectors.SummaryFilters(year=year, q=q.strip(), flagged=flagged),
        today=clock.today(),
    )
    return {
        "rows": [
            {
                "enterprise": enterprise_ref(row.enterprise),
                "year": row.year,
                "projects": row.projects,
                "budget": rules.yuan(row.budget_fen),
                "spend": rules.yuan(row.spend_fen),
                "reported": _reported_out(row.reported),
                "coverage": coverage_out(row.coverage),
                "outcomes": dict(row.outcomes),
            }
            for row in found.rows
        ],
        "totals": [
            {
                "year": total.year,
                "enterprises": total.enterprises,
                "projects": total.projects,
                "budget": rules.yuan(total.budget_fen),
                "spend": rules.yuan(total.spend_fen),
                "reported": rules.yuan(total.coverage.reported_fen),
                "coverage": coverage_out(total.coverage),
                "flagged": total.flagged,
                "outcomes": dict(total.outcomes),
            }
            for total in found.totals
        ],
    }
