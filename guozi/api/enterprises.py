"""Enterprises, their identifiers, equity links, subsidiaries and transfers."""

from datetime import date

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from guozi.accounts.access import Scope
from guozi.lib import clock
from guozi.registry import selectors, services, validation
from guozi.registry.directory import directory_search
from guozi.registry.models import EquityLink, OutsideParty, Supervisor
from guozi.registry.validation import FieldError

from . import schemas
from .auth import api_scope
from .convert import (
    clean_day,
    clean_enterprise_fields,
    day_or_today,
    enterprise_detail,
    enterprise_out,
    enterprise_ref,
    equity_link_out,
    find_supervisor,
    find_visible,
    path_id,
    user_of,
    visible_enterprise_in_path,
)
from .errors import FieldErrors

router = Router(tags=["enterprises"])
ERRORS = {400: schemas.Error, 403: schemas.Error, 404: schemas.Error, 422: schemas.Error}


def _supervisor_filter(value: str) -> str:
    """The directory filters by supervisor id; the API also takes a supervisor's code."""
    value = value.strip()
    if not value or value.isdigit():
        return value
    found = Supervisor.objects.filter(code=value).values_list("id", flat=True).first()
    return str(found) if found else "-"


@router.get("/enterprises", response={200: schemas.EnterprisePage, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_enterprises(
    request,
    q: str = "",
    city: str = "",
    section: str = "",
    function_class: str = "",
    ownership_level: str = "",
    status: str = "",
    portfolio: str = "",
    supervisor: str = "",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    """The enterprises you may read, searched (name, short name, pinyin, USCC, foreign number)
    and filtered; `supervisor` is a supervisor's id or code."""
    found = directory_search(
        user_of(request),
        q=q,
        city=city,
        section=section,
        function_class=function_class,
        ownership_level=ownership_level,
        status=status,
        portfolio=portfolio,
        supervisor=_supervisor_filter(supervisor),
    )
    page = found.select_related("supervisor", "function_class")[offset : offset + limit]
    return {
        "total": found.count(),
        "limit": limit,
        "offset": offset,
        "items": [enterprise_out(e) for e in page],
    }


@router.get("/enterprises/{int:id}", response={200: schemas.EnterpriseDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def get_enterprise(request, id: int, as_of: date | None = None):
    """One enterprise with its chain up to the supervisor and its level, as of a date."""
    day = day_or_today(as_of)
    enterprise = selectors.get_visible_enterprise(user_of(request), id, day)
    return enterprise_detail(enterprise, day)


@router.post("/enterprises", response={201: schemas.EnterpriseWritten, **ERRORS})
@api_scope(Scope.REGISTRY_EDIT)
def create_enterprise(request, payload: schemas.EnterpriseCreate):
    """Register an enterprise under its management parent (leave `parent` out for a group)."""
    user = user_of(request)
    data = payload.model_dump()
    parent_identifier = data.pop("parent")
    pct_value = data.pop("ownership_pct")
    valid_from_value = data.pop("valid_from")
    errors: dict[str, list[str]] = {}
    fields, warnings = {}, []
    try:
        fields, warnings = clean_enterprise_fields(data)
    except FieldErrors as exc:
        errors.update(exc.fields)
    parent = None
    if parent_identifier:
        parent = find_visible(user, parent_identifier)
        if parent is None:
            errors["parent"] = [
                _("No enterprise you can see has the identifier %(value)s.")
                % {"value": parent_identifier}
            ]
    try:
        pct = validation.clean_pct(pct_value)
    except FieldError as exc:
        errors["ownership_pct"] = [exc.message]
    try:
        valid_from = validation.clean_date(valid_from_value) or clock.today()
    except FieldError as exc:
        errors["valid_from"] = [exc.message]
    if errors:
        raise FieldErrors(errors)
    enterprise = services.enterprise_create(
        acting_user=user,
        fields=fields,
        parent=parent,
        parent_supervisor=None if parent else fields["supervisor"],
        ownership_pct=pct,
        valid_from=valid_from,
    )
    detail = enterprise_detail(enterprise, max(valid_from, clock.today()))
    return Status(201, {**detail, "warnings": warnings})


@router.patch("/enterprises/{int:id}", response={200: schemas.EnterpriseWritten, **ERRORS})
@api_scope(Scope.REGISTRY_EDIT, first=visible_enterprise_in_path)
def update_enterprise(request, id: int, payload: schemas.EnterprisePatch):
    """Change the fields given; the management parent changes through `transfer`."""
    user = user_of(request)
    enterprise = visible_enterprise_in_path(user, id=id)
    changes, warnings = clean_enterprise_fields(
        payload.model_dump(exclude_unset=True), current_supervisor=enterprise.supervisor
    )
    services.enterprise_update(acting_user=user, enterprise=enterprise, changes=changes)
    return {**enterprise_detail(enterprise, clock.today()), "warnings": warnings}


@router.get("/enterprises/{int:id}/identifiers", response={200: list[schemas.Identifier], **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_identifiers(request, id: int):
    """Every identifier of the enterprise: internal id, USCC, foreign number, stock codes."""
    enterprise = selectors.get_visible_enterprise(user_of(request), id)
    found = [{"kind": "internal", "value": str(enterprise.id)}]
    if enterprise.uscc:
        found.append({"kind": "uscc", "value": enterprise.uscc})
    if enterprise.foreign_reg_no:
        found.append(
            {
                "kind": "foreign",
                "value": enterprise.foreign_reg_no,
                "country": enterprise.foreign_country,
            }
        )
    for code in filter(None, enterprise.listed_codes.split(",")):
        found.append({"kind": "listed", "value": code})
    return found


@router.get("/enterprises/{int:id}/equity-links", response={200: schemas.EquityLinks, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_equity_links(request, id: int, as_of: date | None = None):
    """Who holds the enterprise, and what it holds, on a date."""
    user = user_of(request)
    day = day_or_today(as_of)
    enterprise = selectors.get_visible_enterprise(user, id, day)
    holders = selectors.holders_at(enterprise, day).select_related("held")
    holdings = (
        EquityLink.objects.filter(holder_enterprise=enterprise, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .filter(held__in=selectors.visible_enterprises(user, day))
        .select_related("held", "holder_enterprise")
        .order_by("-pct", "id")
    )
    return {
        "as_of": day,
        "holders": [equity_link_out(link) for link in holders],
        "holdings": [equity_link_out(link) for link in holdings],
    }


def _holder(user, holder: schemas.HolderIn):
    given = [
        name
        for name in ("enterprise", "supervisor", "party")
        if getattr(holder, name) not in (None, "")
    ]
    if len(given) != 1:
        message = _("Give exactly one holder: an enterprise, a supervisor or a party.")
        raise FieldErrors({"holder": [message]})
    if holder.enterprise:
        found = find_visible(user, holder.enterprise)
        message = _("No enterprise you can see has the identifier %(value)s.")
        value = holder.enterprise
    elif holder.supervisor:
        found = find_supervisor(holder.supervisor)
        message = _("No supervisor has the code %(value)s.")
        value = holder.supervisor
    else:
        found = OutsideParty.objects.filter(id=holder.party).first()
        message = _("No outside party has the id %(value)s.")
        value = holder.party
    if found is None:
        raise FieldErrors({f"holder.{given[0]}": [message % {"value": value}]})
    return found


@router.post("/enterprises/{int:id}/equity-links", response={201: schemas.EquityLink, **ERRORS})
@api_scope(Scope.REGISTRY_EDIT, first=visible_enterprise_in_path)
def add_equity_link(request, id: int, payload: schemas.EquityLinkCreate):
    """Record a holder's stake in the enterprise from a date."""
    user = user_of(request)
    held = visible_enterprise_in_path(user, id=id)
    holder = _holder(user, payload.holder)
    try:
        pct = validation.clean_pct(payload.pct)
    except FieldError as exc:
        raise FieldErrors({"pct": [exc.message]}) from None
    if pct is None:
        raise FieldErrors({"pct": [_("Required.")]})
    valid_from = clean_day(payload.valid_from, "valid_from")
    valid_to = clean_day(payload.valid_to, "valid_to", required=False)
    link = services.equity_link_add(
        acting_user=user,
        held=held,
        holder=holder,
        pct=pct,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    return Status(201, equity_link_out(link))


def visible_link_in_path(user, *, id, **_params) -> EquityLink:
    """The equity link if the user may read the enterprise it holds today; 404 otherwise."""
    links = EquityLink.objects.select_related("held", "holder_enterprise", "holder_supervisor")
    return get_object_or_404(links, id=path_id(id), held__in=selectors.visible_enterprises(user))


@router.post("/equity-links/{int:id}/end", response={200: schemas.EquityLink, **ERRORS})
@api_scope(Scope.REGISTRY_EDIT, first=visible_link_in_path)
def end_equity_link(request, id: int, payload: schemas.EndOn):
    """End a stake on a date (the first day it is no longer held); history stays."""
    user = user_of(request)
    link = visible_link_in_path(user, id=id)
    on = clean_day(payload.on, "on")
    services.equity_link_end(acting_user=user, link=link, on=on)
    return equity_link_out(link)


@router.get("/enterprises/{int:id}/subsidiaries", response={200: schemas.Subsidiaries, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_subsidiaries(request, id: int, as_of: date | None = None):
    """The enterprises it manages directly on a date."""
    user = user_of(request)
    day = day_or_today(as_of)
    parent = selectors.get_visible_enterprise(user, id, day)
    children = list(
        selectors.children_at(day, parent_id=parent.id)
        .filter(id__in=selectors.visible_enterprises(user, day).values("id"))
        .order_by("id")
    )
    counts = selectors.child_counts_at([child.id for child in children], day)
    return {
        "as_of": day,
        "parent": enterprise_ref(parent),
        "items": [
            {
                **enterprise_ref(child),
                "short_name": child.short_name,
                "status": child.status,
                "children": counts.get(child.id, 0),
            }
            for child in children
        ],
    }


@router.post("/enterprises/{int:id}/transfer", response={200: schemas.EnterpriseDetail, **ERRORS})
@api_scope(Scope.REGISTRY_EDIT, first=visible_enterprise_in_path)
def transfer_enterprise(request, id: int, payload: schemas.Transfer):
    """Move the enterprise under another management parent from a date (无偿划转),
    with the old parent's stake."""
    user = user_of(request)
    enterprise = visible_enterprise_in_path(user, id=id)
    errors = {}
    new_parent = find_visible(user, payload.new_parent)
    if new_parent is None:
        errors["new_parent"] = [
            _("No enterprise you can see has the identifier %(value)s.")
            % {"value": payload.new_parent}
        ]
    try:
        on = clean_day(payload.on, "on")
    except FieldErrors as exc:
        errors.update(exc.fields)
    if errors:
        raise FieldErrors(errors)
    services.enterprise_transfer(
        acting_user=user, enterprise=enterprise, new_parent=new_parent, on=on
    )
    enterprise.refresh_from_db()
    return enterprise_detail(enterprise, on)
