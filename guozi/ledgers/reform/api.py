"""The REST API of the reform register, under /api/v1/ledgers/reform/.

Catalogues; assignments (bulk, per row, the supervisor's own tasks), their weight and the
measures enterprises propose; completion by area, city, group and enterprise as of a day with
the milestones; the monthly snapshots (the curve); overdue and at-risk tasks. Same scoping as
the pages (an assignment or enterprise outside the caller's view is 404), same services (which
decide who may act and write the history and the audit log), same error shape as the ledgers'.
Progress, verification, deadlines and cancellation are the ledger's: /api/v1/ledgers/items/.
"""

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from guozi.accounts.access import Scope
from guozi.api.auth import api_scope
from guozi.api.convert import enterprise_ref, path_id, user_of
from guozi.api.errors import FieldErrors
from guozi.api.schemas import EnterpriseRef, Error
from guozi.ledgers.api import item_summary
from guozi.lib import clock
from guozi.lib.errors import DomainError
from guozi.registry.selectors import find_by_identifier, visible_enterprises
from guozi.registry.tree import tree_at

from . import presenters, selectors, services
from .catalogues import current_catalogues
from .models import Catalogue, MeasureProposal, ReformTask
from .panel import progress_rule_text
from .selectors import Filters

router = Router(tags=["ledgers-reform"])
ERRORS = {400: Error, 403: Error, 404: Error, 422: Error}
MAX_PAGE = 500


# -- bodies ------------------------------------------------------------------------------------


class AreaOut(Schema):
    code: str
    name: str


class MilestoneDefOut(Schema):
    code: str
    name: str
    date: date
    target: int = Field(description="percent of the tasks verified")
    illustrative: bool


class CatalogueTaskOut(Schema):
    code: str
    area: str
    name: str
    weight: int
    target_value: Decimal | None
    target_unit: str
    deadline: date
    measures: list[str]
    illustrative: bool
    source: str


class CatalogueOut(Schema):
    id: int
    code: str
    version: str
    name: str
    starts_on: date
    ends_on: date
    illustrative: bool
    current: bool = Field(description="the latest loaded version of its programme")
    areas: list[AreaOut]
    milestones: list[MilestoneDefOut]


class CatalogueDetail(CatalogueOut):
    tasks: list[CatalogueTaskOut]


class ProposalOut(Schema):
    id: int
    title: str
    note: str
    state: str = Field(description="proposed, accepted or declined")
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    reason: str


class AssignmentOut(Schema):
    id: int = Field(description="the tracked item's id (see /api/v1/ledgers/items/{id})")
    title: str
    owner: EnterpriseRef
    programme: str
    area: str
    catalogue_task: str | None = Field(description="the catalogue task's code; null for own")
    weight: int
    target_value: Decimal | None
    target_unit: str
    assigned_on: date
    due_date: date
    status: str
    progress: int = Field(description="percent complete: the share of its measures done")
    verified_on: date | None
    overdue_days: int


class AssignmentDetail(AssignmentOut):
    proposals: list[ProposalOut]
    item: dict = Field(description="the tracked item, as /api/v1/ledgers/items/{id} lists it")


class AssignmentPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[AssignmentOut]


class BulkIn(Schema):
    catalogue: str = Field(description="the programme's code, e.g. three_year_action")
    tasks: list[str] = Field(description="task codes of the catalogue")
    enterprises: list[str] = Field(description="identifiers: USCC, internal id or CC:number")
    weight: int | None = Field(None, description="default: each task's catalogue weight")
    deadline: date | None = Field(None, description="default: each task's catalogue deadline")
    responsible_name: str = ""


class RowIn(Schema):
    enterprise: str
    catalogue: str
    task: str
    weight: int | None = None
    deadline: date | None = None
    responsible_name: str = ""


class RowsIn(Schema):
    rows: list[RowIn] = Field(description="one per assignment, each with its own weight and "
                                          "deadline if any (一企一策)")  # fmt: skip


class Assigned(Schema):
    created: list[AssignmentOut]
    skipped: list[dict] = Field(description="{enterprise, task} pairs already assigned")


class OwnTaskIn(Schema):
    owner: str
    catalogue: str
    area: str
    title: str
    description: str = ""
    measures: list[str]
    weight: int
    deadline: date
    target_value: Decimal | None = None
    target_unit: str = ""
    responsible_name: str = ""


class WeightIn(Schema):
    weight: int
    reason: str = ""


class ProposalIn(Schema):
    title: str
    note: str = ""


class DecisionIn(Schema):
    accept: bool
    reason: str = Field("", description="required when declining")


class TallyOut(Schema):
    tasks: int
    weight: int
    done: int = Field(description="verified")
    weight_done: int
    late: int = Field(description="past the deadline and not verified")
    rate: float | None = Field(description="percent of the tasks verified")
    weighted_rate: float | None
    mean_progress: float | None = Field(description="today only; null as of a past day")
    weighted_mean_progress: float | None


class UnitOut(Schema):
    key: str
    name: str
    figures: TallyOut


class MilestoneOut(Schema):
    programme: str
    code: str
    name: str
    date: date
    target: int
    illustrative: bool
    state: str = Field(description="reached, late, missed or pending")
    reached_on: date | None
    rate_on_date: float | None
    rate_now: float | None
    gap: float | None = Field(description="points short: on the date, or today when pending")


class CompletionOut(Schema):
    as_of: date
    rule: str
    totals: TallyOut
    by_area: list[UnitOut]
    by_city: list[UnitOut]
    by_group: list[UnitOut]
    enterprises_total: int
    enterprises: list[UnitOut] = Field(description="the least complete first, paginated")
    milestones: list[MilestoneOut]


class SeriesOut(Schema):
    programme: str
    figures: list[TallyOut]


class SnapshotsOut(Schema):
    days: list[date] = Field(description="month ends")
    programmes: list[SeriesOut]


# -- reading requests --------------------------------------------------------------------------


def _visible_task(user, *, id, **_params) -> ReformTask:
    return selectors.get_visible_task(user, path_id(id))


def _visible_proposal(user, *, id, **_params) -> MeasureProposal:
    return selectors.get_visible_proposal(user, path_id(id))


def _enterprise(user, identifier: str, field: str):
    found = find_by_identifier(identifier or "")
    if found is None or not visible_enterprises(user).filter(id=found.id).exists():
        raise FieldErrors(
            {
                field: [
                    _("No enterprise you can see has the identifier %(value)s.")
                    % {"value": identifier}
                ]
            }  # fmt: skip
        )
    return found


def _catalogue(code: str, field: str = "catalogue") -> Catalogue:
    found = next((c for c in current_catalogues() if c.code == code), None)
    if found is None:
        raise FieldErrors(
            {field: [_("No programme %(value)s; the programmes are: %(known)s.")
                     % {"value": code, "known": ", ".join(c.code for c in current_catalogues())}]}
        )  # fmt: skip
    return found


def _filters(user, supervisor, city, group, programme, area, as_of) -> tuple[Filters, object]:
    problems: dict[str, list[str]] = {}
    group_id = None
    if group:
        found = find_by_identifier(group)
        if found is None or not visible_enterprises(user).filter(id=found.id).exists():
            problems["group"] = [_("No enterprise you can see has the identifier %(value)s.")
                                 % {"value": group}]  # fmt: skip
        else:
            group_id = found.id
    if programme and programme not in {c.code for c in current_catalogues()}:
        problems["programme"] = [_("Unknown programme.")]
    if as_of and as_of > clock.today():
        problems["as_of"] = [_("Completion is known up to today.")]
    if problems:
        raise FieldErrors(problems)
    filters = Filters(
        supervisor=supervisor, city=city, group=group_id, programme=programme, area=area,
        as_of=as_of,
    )  # fmt: skip
    return filters, tree_at(filters.day())


def _run(change):
    try:
        return change()
    except DomainError as error:
        error.fields = {
            name: [messages] if isinstance(messages, str) else list(messages)
            for name, messages in error.fields.items()
        }
        raise error from None


# -- writing answers ---------------------------------------------------------------------------


def catalogue_out(catalogue: Catalogue, current: set[int]) -> dict:
    return {
        "id": catalogue.id,
        "code": catalogue.code,
        "version": catalogue.version,
        "name": catalogue.name,
        "starts_on": catalogue.starts_on,
        "ends_on": catalogue.ends_on,
        "illustrative": catalogue.illustrative,
        "current": catalogue.id in current,
        "areas": [{"code": a.code, "name": a.name} for a in catalogue.areas.all()],
        "milestones": [
            {
                "code": m.code,
                "name": m.name,
                "date": m.due_on,
                "target": m.target,
                "illustrative": m.illustrative,
            }
            for m in catalogue.milestones.all()
        ],
    }


def assignment_out(task: ReformTask) -> dict:
    item = task.item
    return {
        "id": item.id,
        "title": item.title,
        "owner": enterprise_ref(task.owner),
        "programme": task.programme,
        "area": task.area,
        "catalogue_task": task.catalogue_task.code if task.catalogue_task_id else None,
        "weight": task.weight,
        "target_value": task.target_value,
        "target_unit": task.target_unit,
        "assigned_on": task.assigned_on,
        "due_date": item.due_date,
        "status": item.status,
        "progress": item.progress,
        "verified_on": item.closed_on if item.status == "verified" else None,
        "overdue_days": item.days_overdue(clock.today()),
    }


def _fresh(item_ids: list[int]) -> list[dict]:
    found = selectors.tasks_in_order(item_ids)
    return [assignment_out(task) for task in found]


def _unit(row, live: bool = True) -> dict:
    return {
        "key": str(row.key),
        "name": row.name,
        "figures": presenters.tally_out(row.tally, live),
    }


# -- catalogues --------------------------------------------------------------------------------


@router.get("/catalogues", response={200: list[CatalogueOut], **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_catalogues(request):
    """Every loaded catalogue version; `current` marks the one in use for its programme."""
    current = {c.id for c in current_catalogues()}
    return [catalogue_out(c, current) for c in Catalogue.objects.order_by("starts_on", "code")]


@router.get("/catalogues/{int:id}", response={200: CatalogueDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def get_catalogue(request, id: int):
    """One catalogue version with its tasks."""
    catalogue = get_object_or_404(Catalogue, id=path_id(id))
    current = {c.id for c in current_catalogues()}
    areas = {a.id: a.code for a in catalogue.areas.all()}
    return {
        **catalogue_out(catalogue, current),
        "tasks": [
            {
                "code": t.code,
                "area": areas[t.area_id],
                "name": t.name,
                "weight": t.weight,
                "target_value": t.target_value,
                "target_unit": t.target_unit,
                "deadline": t.deadline,
                "measures": t.measure_titles(),
                "illustrative": t.illustrative,
                "source": t.source,
            }
            for t in catalogue.tasks.all()
        ],
    }


# -- assignments -------------------------------------------------------------------------------


@router.get("/assignments", response={200: AssignmentPage, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_assignments(
    request,
    owner: str = Query("", description="an enterprise: its own tasks only"),
    programme: str = "",
    area: str = "",
    status: str = Query("", description="a ledger status"),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0),
):
    """The assignments you may read, by enterprise, programme, area and deadline."""
    user = user_of(request)
    tasks = selectors.visible_tasks(user)
    if owner:
        tasks = tasks.filter(owner_id=_enterprise(user, owner, "owner").id)
    if programme:
        tasks = tasks.filter(programme=programme)
    if area:
        tasks = tasks.filter(area=area)
    if status:
        tasks = tasks.filter(item__status=status)
    tasks = selectors.task_rows(tasks).order_by("owner_id", "programme", "area", "item_id")
    return {
        "total": tasks.count(),
        "limit": limit,
        "offset": offset,
        "items": [assignment_out(t) for t in tasks[offset : offset + limit]],
    }


@router.post("/assignments", response={201: Assigned, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def assign(request, payload: BulkIn):
    """Assign catalogue tasks to many enterprises (the supervisor's analysts and reviewers):
    each task to each enterprise; ones already assigned are skipped; all or nothing."""
    user = user_of(request)
    catalogue = _catalogue(payload.catalogue)
    by_code = {t.code: t for t in catalogue.tasks.all()}
    unknown = [code for code in payload.tasks if code not in by_code]
    if unknown:
        raise FieldErrors(
            {"tasks": [_("No such task: %(codes)s.") % {"codes": ", ".join(unknown)}]}
        )
    enterprises = [_enterprise(user, value, "enterprises") for value in payload.enterprises]
    result = _run(
        lambda: services.assign_tasks(
            acting_user=user,
            catalogue=catalogue,
            tasks=[by_code[code] for code in payload.tasks],
            enterprises=list({e.id: e for e in enterprises}.values()),
            weight=payload.weight,
            deadline=payload.deadline,
            responsible_name=payload.responsible_name,
        )
    )
    return Status(
        201,
        {
            "created": _fresh([t.item_id for t in result.created]),
            "skipped": [{"enterprise": e.identifier, "task": t.code} for e, t in result.skipped],
        },
    )


@router.post("/assignments/rows", response={201: Assigned, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def assign_rows(request, payload: RowsIn):
    """Assign row by row, each with the enterprise's own weight and deadline (一企一策); all
    or nothing, and a row already assigned is an error."""
    user = user_of(request)
    pairs, problems = [], {}
    for number, row in enumerate(payload.rows):
        try:
            catalogue = _catalogue(row.catalogue, f"rows[{number}].catalogue")
            task = catalogue.tasks.filter(code=row.task).first()
            if task is None:
                raise FieldErrors({f"rows[{number}].task": [_("No such task.")]})
            enterprise = _enterprise(user, row.enterprise, f"rows[{number}].enterprise")
        except FieldErrors as error:
            problems.update(error.fields)
            continue
        pairs.append(
            services.Pair(enterprise, task, row.weight, row.deadline, row.responsible_name)
        )
    if problems:
        raise FieldErrors(problems)
    created = _run(lambda: services.assign_pairs(acting_user=user, pairs=pairs))
    return Status(201, {"created": _fresh([t.item_id for t in created]), "skipped": []})


@router.post("/tasks", response={201: AssignmentOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def create_own_task(request, payload: OwnTaskIn):
    """A task of the supervisor's own in an area of a programme, with its measures."""
    user = user_of(request)
    owner = _enterprise(user, payload.owner, "owner")
    catalogue = _catalogue(payload.catalogue)
    task = _run(
        lambda: services.own_task_create(
            acting_user=user,
            owner=owner,
            catalogue=catalogue,
            area_code=payload.area,
            title=payload.title,
            description=payload.description,
            measures=payload.measures,
            weight=payload.weight,
            deadline=payload.deadline,
            target_value=payload.target_value,
            target_unit=payload.target_unit,
            responsible_name=payload.responsible_name,
        )
    )
    return Status(201, _fresh([task.item_id])[0])


@router.get("/assignments/{int:id}", response={200: AssignmentDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=_visible_task)
def get_assignment(request, id: int):
    """One assignment with the measures proposed under it."""
    task = _visible_task(user_of(request), id=id)
    proposals = task.proposals.select_related("proposed_by", "decided_by").order_by("id")
    return {
        **assignment_out(task),
        "item": {
            key: value
            for key, value in item_summary(task.item).items()
            if key not in ("owner", "supervisor")
        },
        "proposals": [
            {
                "id": p.id,
                "title": p.title,
                "note": p.note,
                "state": p.state,
                "proposed_by": p.proposed_by.get_username(),
                "proposed_at": p.proposed_at,
                "decided_by": p.decided_by.get_username() if p.decided_by else None,
                "reason": p.reason,
            }
            for p in proposals
        ],
    }


@router.patch("/assignments/{int:id}", response={200: AssignmentOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=_visible_task)
def reweight(request, id: int, payload: WeightIn):
    """Change an assignment's weight (the supervisor). Its deadline is the item's due date:
    PATCH /api/v1/ledgers/items/{id} with a reason."""
    user = user_of(request)
    task = _visible_task(user, id=id)
    _run(lambda: services.task_reweight(acting_user=user, task=task, weight=payload.weight,
                                        reason=payload.reason))  # fmt: skip
    return _fresh([task.item_id])[0]


@router.post("/assignments/{int:id}/measures", response={201: ProposalOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=_visible_task)
def propose_measure(request, id: int, payload: ProposalIn):
    """Propose a measure under a task (a reporter of the enterprise or above)."""
    user = user_of(request)
    task = _visible_task(user, id=id)
    proposal = _run(
        lambda: services.measure_propose(
            acting_user=user, task=task, title=payload.title, note=payload.note
        )
    )
    return Status(201, _proposal_out(proposal))


def _proposal_out(p: MeasureProposal) -> dict:
    return {
        "id": p.id,
        "title": p.title,
        "note": p.note,
        "state": p.state,
        "proposed_by": p.proposed_by.get_username(),
        "proposed_at": p.proposed_at,
        "decided_by": p.decided_by.get_username() if p.decided_by else None,
        "reason": p.reason,
    }


@router.post("/proposals/{int:id}/decision", response={200: ProposalOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=_visible_proposal)
def decide_measure(request, id: int, payload: DecisionIn):
    """Accept a proposed measure (it becomes one of the task's measures) or decline it with
    the reason (the supervisor's analysts and reviewers)."""
    user = user_of(request)
    proposal = _visible_proposal(user, id=id)
    decided = _run(
        lambda: services.measure_decide(
            acting_user=user, proposal=proposal, accept=payload.accept, reason=payload.reason
        )
    )
    return _proposal_out(decided)


# -- completion --------------------------------------------------------------------------------


@router.get("/completion", response={200: CompletionOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def get_completion(
    request,
    supervisor: int | None = None,
    city: str = Query("", description="a city code, e.g. 210300"),
    group: str = Query("", description="a group: USCC or internal id"),
    programme: str = "",
    area: str = "",
    as_of: date | None = None,
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0),
):
    """Completion of the tasks you may read, as of a day (`as_of`, default today): totals, by
    area, city, group and enterprise (paginated, the least complete first), and the
    milestones judged."""
    user = user_of(request)
    filters, tree = _filters(user, supervisor, city, group, programme, area, as_of)
    overview = presenters.overview(user, filters, tree)
    completion = overview.completion
    live = completion.live
    page = selectors.name_enterprises(completion.by_enterprise[offset : offset + limit])
    return {
        "as_of": completion.day,
        "rule": progress_rule_text(),
        "totals": presenters.tally_out(completion.totals, live),
        "by_area": [_unit(r, live) | {"key": "/".join(r.key)} for r in completion.by_area],
        "by_city": [_unit(r, live) for r in completion.by_city],
        "by_group": [_unit(r, live) for r in completion.by_group],
        "enterprises_total": len(completion.by_enterprise),
        "enterprises": [_unit(r, live) for r in page],
        "milestones": [
            {"programme": catalogue.code, **presenters.milestone_out(row)}
            for catalogue, rows in overview.milestones
            for row in rows
        ],
    }


@router.get("/snapshots", response={200: SnapshotsOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def get_snapshots(
    request,
    supervisor: int | None = None,
    city: str = "",
    group: str = "",
    programme: str = "",
    area: str = "",
):
    """The monthly snapshots you may read: completion at every month end, per programme."""
    user = user_of(request)
    filters, tree = _filters(user, supervisor, city, group, programme, area, None)
    curve = selectors.curve(user, filters, tree)
    return {
        "days": curve.days,
        "programmes": [
            {"programme": name, "figures": [presenters.tally_out(t) for t in tallies]}
            for name, tallies in sorted(curve.by_programme.items())
        ],
    }


@router.get("/overdue", response={200: AssignmentPage, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_overdue(
    request,
    programme: str = "",
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0),
):
    """Tasks still worked on past their deadline, the oldest deadline first."""
    user = user_of(request)
    filters, tree = _filters(user, None, "", "", programme, "", None)
    ids = selectors.overdue(user, filters, tree)
    return {
        "total": ids.count(),
        "limit": limit,
        "offset": offset,
        "items": _fresh(list(ids[offset : offset + limit])),
    }


@router.get("/at-risk", response={200: AssignmentPage, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_at_risk(
    request,
    programme: str = "",
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0),
):
    """Tasks at risk: still worked on, due within 90 days, and their percent complete more
    than 25 points behind the share of their time gone."""
    user = user_of(request)
    filters, tree = _filters(user, None, "", "", programme, "", None)
    ids = selectors.risky(user, filters, tree)
    return {
        "total": len(ids),
        "limit": limit,
        "offset": offset,
        "items": _fresh(ids[offset : offset + limit]),
    }
