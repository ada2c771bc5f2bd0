"""The REST API of the legacy-problem register, under /api/v1/ledgers/legacy/.

Problems with their figures, opening one, changing its figures, statistics and the .xlsx
import. The lifecycle (updates, evidence, verification) is the ledgers' API under
/api/v1/ledgers/items/{id}/..., the same for every register. Thin, like the pages: a problem
outside the caller's view is 404, the same answer as an unknown id, and the services decide who
may act and write the item's history and the audit log.
"""

import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from guozi.accounts.access import Scope
from guozi.accounts.models import User
from guozi.api.auth import api_scope
from guozi.api.convert import find_visible, path_id, user_of
from guozi.api.errors import FieldErrors
from guozi.api.imports import PROBLEMS_SHOWN, problem_fields
from guozi.api.schemas import Error, ImportSummary
from guozi.ledgers.api import ItemSummary, item_summary
from guozi.lib.errors import DomainError
from guozi.registry.selectors import find_by_identifier, visible_enterprises

from . import imports, selectors, services
from .models import Kind, LegacyProblem, SubKind
from .selectors import GROUPINGS, STATUS_CHOICES, ProblemFilters

router = Router(tags=["ledgers-legacy"])
ERRORS = {400: Error, 403: Error, 404: Error, 422: Error}


# -- bodies ------------------------------------------------------------------------------------


class Figures(Schema):
    kind: str = Field(description="three_supplies, collective, retirees or zombie")
    sub_kind: str = Field(
        description="three_supplies: water, power, heating, gas or property; zombie: "
        "deregistration, bankruptcy, restructuring or turnaround; else empty"
    )
    households_total: int | None
    households_done: int | None
    people_total: int | None
    people_done: int | None
    amount_total: Decimal | None = Field(description="yuan, to the fen")
    amount_done: Decimal | None = Field(description="yuan, to the fen")
    receiving_party: str
    planned_on: date | None
    done_on: date | None
    plan_text: str
    closure_text: str


class ProblemOut(Schema):
    item: ItemSummary
    figures: Figures | None = Field(description="None until the supervisor records them")


class ProblemDetail(ProblemOut):
    may_change: list[str] = Field(description="the figures you may change")


class ProblemPage(Schema):
    total: int
    limit: int
    offset: int
    problems: list[ProblemOut]


class FiguresIn(Schema):
    kind: str | None = None
    sub_kind: str | None = None
    households_total: int | None = None
    households_done: int | None = None
    people_total: int | None = None
    people_done: int | None = None
    amount_total: Decimal | None = Field(None, description="yuan, to the fen")
    amount_done: Decimal | None = Field(None, description="yuan, to the fen")
    receiving_party: str | None = None
    planned_on: date | None = None
    done_on: date | None = None
    plan_text: str | None = None
    closure_text: str | None = None


class ProblemIn(FiguresIn):
    kind: str = Field(description="three_supplies, collective, retirees or zombie")
    owner: str = Field(description="the owner enterprise: USCC, internal id or CC:number")
    title: str
    description: str = ""
    due_date: date | None = Field(None, description="default: a year from today")
    responsible_name: str = ""
    responsible_user: str = Field("", description="user name of someone at the owner")
    source: str = ""


class FiguresPatch(FiguresIn):
    reason: str = ""


class Line(Schema):
    key: str
    label: str
    problems: int
    closed: int
    overdue: int
    closed_share: float | None
    households_total: int | None
    households_done: int | None
    households_share: float | None
    people_total: int | None
    people_done: int | None
    people_share: float | None
    amount_total: Decimal | None = Field(description="yuan")
    amount_done: Decimal | None = Field(description="yuan")
    amount_share: float | None


class StatisticsOut(Schema):
    by: str
    as_of: date
    lines: list[Line]
    total: Line


# -- reading and writing -----------------------------------------------------------------------


def _visible_problem_item(user, *, id, **_params):
    items = selectors.legacy_items(user).select_related("owner", "supervisor")
    found = items.filter(id=path_id(id)).first()
    if found is None:
        raise Http404
    return found


def _visible_owner(user, identifier: str):
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


def _user_named(name: str) -> User | None:
    if not name:
        return None
    found = User.objects.filter(username=name.strip(), is_active=True).first()
    if found is None:
        raise FieldErrors({"responsible_user": [_("No such user.")]})
    return found


def figures_out(problem: LegacyProblem | None) -> dict | None:
    return None if problem is None else services.stored_values(problem)


def problem_out(item, problem: LegacyProblem | None) -> dict:
    return {"item": item_summary(item), "figures": figures_out(problem)}


def _problem_of(item) -> LegacyProblem | None:
    return LegacyProblem.objects.filter(item=item).first()


def _run(change):
    try:
        return change()
    except DomainError as error:
        error.fields = {
            name: [messages] if isinstance(messages, str) else list(messages)
            for name, messages in error.fields.items()
        }
        raise


def _filters(user, *, kind, sub_kind, status, city, owner, q) -> ProblemFilters:
    problems: dict[str, list[str]] = {}
    if kind and kind not in Kind.values:
        problems["kind"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Kind.values)}]
    if sub_kind and sub_kind not in SubKind.values:
        problems["sub_kind"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(SubKind.values)}
        ]
    if status and status not in STATUS_CHOICES:
        problems["status"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(STATUS_CHOICES)}
        ]
    found = None
    if owner:
        found = find_by_identifier(owner)
        if found is None or not visible_enterprises(user).filter(id=found.id).exists():
            problems["owner"] = [
                _("No enterprise you can see has the identifier %(value)s.") % {"value": owner}
            ]
    if problems:
        raise FieldErrors(problems)
    return ProblemFilters(
        kind=kind,
        sub_kind=sub_kind,
        status=status,
        city=city.strip(),
        owner=found.id if found else None,
        q=q.strip(),
    )


# -- problems ----------------------------------------------------------------------------------


@router.get("/problems", response={200: ProblemPage, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO)
def list_problems(
    request,
    kind: str = Query("", description="three_supplies, collective, retirees or zombie"),
    sub_kind: str = "",
    status: str = Query("", description="a status, active (not closed) or overdue"),
    city: str = Query("", description="the owner's city code, e.g. 210300"),
    owner: str = Query("", description="the owner: USCC, internal id or CC:number"),
    q: str = Query("", description="words in the title, or the owner's name or USCC"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    """The legacy problems you may read: still-open ones first, by due date."""
    user = user_of(request)
    filters = _filters(
        user, kind=kind, sub_kind=sub_kind, status=status, city=city, owner=owner, q=q
    )
    problems = selectors.problem_list(user, filters)
    return {
        "total": problems.count(),
        "limit": limit,
        "offset": offset,
        "problems": [problem_out(p.item, p) for p in problems[offset : offset + limit]],
    }


@router.post("/problems", response={201: ProblemDetail, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO)
def create_problem(request, payload: ProblemIn):
    """Open a legacy problem (the supervisor's analysts and reviewers, for an enterprise of
    their own supervisor), with its kind and figures. Every field error comes back at once."""
    user = user_of(request)
    owner = _visible_owner(user, payload.owner)
    responsible = _user_named(payload.responsible_user)
    fields = payload.model_dump(include=set(services.FIELDS), exclude_unset=True)
    fields["kind"] = payload.kind
    problem = _run(
        lambda: services.problem_create(
            acting_user=user,
            owner=owner,
            title=payload.title,
            description=payload.description,
            due_date=payload.due_date,
            responsible_name=payload.responsible_name,
            responsible_user=responsible,
            source=payload.source,
            fields=fields,
        )
    )
    return Status(201, get_problem(request, problem.item_id))


@router.get("/problems/{int:id}", response={200: ProblemDetail, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO, first=_visible_problem_item)
def get_problem(request, id: int):
    """One problem with its figures, and the figures you may change. Its updates, evidence
    and history are at /api/v1/ledgers/items/{id}."""
    user = user_of(request)
    item = _visible_problem_item(user, id=id)
    return {
        **problem_out(item, _problem_of(item)),
        "may_change": list(services.allowed_fields(user, item)),
    }


@router.patch("/problems/{int:id}", response={200: ProblemDetail, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO, first=_visible_problem_item)
def edit_problem(request, id: int, payload: FiguresPatch):
    """Change the figures of a problem that is not closed: the supervisor any of them, the
    owner's reporters and reviewers the done figures, the actual date and the closure. Send
    only what changes; null clears a figure."""
    user = user_of(request)
    item = _visible_problem_item(user, id=id)
    changes = payload.model_dump(exclude_unset=True)
    reason = changes.pop("reason", "")
    _run(lambda: services.problem_edit(acting_user=user, item=item, changes=changes, reason=reason))
    return get_problem(request, id)


# -- statistics --------------------------------------------------------------------------------


@router.get("/statistics", response={200: StatisticsOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def problem_statistics(
    request,
    by: str = Query("kind", description="kind, sub_kind, enterprise, group or city"),
    kind: str = "",
    sub_kind: str = "",
    status: str = "",
    city: str = "",
    owner: str = "",
    q: str = "",
):
    """Your problems summed by kind, sub-kind, enterprise, group or city: problems, closed,
    overdue, households, people and amounts in total and done, and the shares done (done
    summed over total summed; null when no problem states the total). Cancelled problems are
    left out."""
    user = user_of(request)
    if by not in GROUPINGS:
        raise FieldErrors(
            {"by": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(GROUPINGS)}]}
        )
    filters = _filters(
        user, kind=kind, sub_kind=sub_kind, status=status, city=city, owner=owner, q=q
    )
    stats = selectors.statistics(user, filters, by)
    return {
        "by": stats.by,
        "as_of": stats.day,
        "lines": [line.as_dict() for line in stats.lines],
        "total": stats.total.as_dict() | {"label": _("Total")},
    }


# -- import ------------------------------------------------------------------------------------


@router.post("/import", response={200: ImportSummary, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def import_problems(request, file: File[UploadedFile], dry_run: Form[bool] = False):
    """Open and update legacy problems from an .xlsx file (the columns of the export). The
    whole file is checked first: with any error nothing is written and the answer is 422 with
    each error under `rows.<row>.<column>`; with `dry_run=true` nothing is written either way."""
    user = user_of(request)
    name = Path(file.name or "").name[:200]
    if not name.lower().endswith(".xlsx"):
        raise FieldErrors({"file": [_("Only .xlsx files can be imported.")]})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.xlsx"
        with path.open("wb") as stream:
            for chunk in file.chunks():
                stream.write(chunk)
        result = imports.import_problems(acting_user=user, path=path, name=name, dry_run=dry_run)
    if result.errors:
        raise FieldErrors(
            problem_fields(result),
            message=_("The file has %(n)d errors; nothing was written.")
            % {"n": len(result.errors)},
        )
    return {**result.summary(limit=PROBLEMS_SHOWN), "changes": []}
