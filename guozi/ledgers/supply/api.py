"""The REST API of the supply-chain register, under /api/v1/ledgers/supply/.

Key inputs are ledger items: an input is addressed by its item's id, and its lifecycle
(updates, verification, cancellation) is the ledgers' API under /api/v1/ledgers/items/. Here:
the inputs with their suppliers, concentration and flags; opening an input; changing it and
its suppliers; the portfolio lists; the workbook export and import. Thin, like the pages: the
caller sees only the items `visible_items` gives (anything else is 404, like an unknown id), and
the services decide who may change what and write the history and the audit log.
"""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from guozi.accounts.access import Scope
from guozi.api.auth import api_scope
from guozi.api.convert import enterprise_ref, path_id, user_of
from guozi.api.errors import FieldErrors
from guozi.api.imports import problem_fields
from guozi.api.schemas import EnterpriseRef, Error, ImportSummary
from guozi.ledgers.models import Status as ItemStatus
from guozi.registry.exports import watermark
from guozi.registry.selectors import find_by_identifier, visible_enterprises

from . import imports, selectors, services, sheets
from .countries import country_name
from .models import Band, Category, SupplyInput
from .selectors import FLAGS, InputFilters

router = Router(tags=["ledgers-supply"])
ERRORS = {400: Error, 403: Error, 404: Error, 422: Error}
Number = Decimal | int | str


# -- bodies ------------------------------------------------------------------------------------


class SourceIn(Schema):
    supplier: str = Field(description="the supplier's name")
    uscc: str = Field("", description="its USCC, for a supplier registered in China only")
    country: str = Field(description="ISO 3166-1 alpha-2 code; CN for China")
    share: Number = Field(description="percent of the input's supply, more than 0, at most 100")


class SourceOut(Schema):
    supplier: str
    uscc: str
    country: str
    country_name: str
    share: Decimal


class InputOut(Schema):
    id: int = Field(description="the item's id, as in /api/v1/ledgers/items/{id}")
    owner: EnterpriseRef
    name: str
    category: str = Field(description=", ".join(Category.values))
    criticality: str = Field(description="critical, important or general")
    annual_spend: Decimal | None = Field(description="10,000 yuan (万元)")
    annual_volume: Decimal | None
    volume_unit: str
    domestic_alternative: bool
    supplier_count: int
    total_share: Decimal = Field(description="the shares given, added up")
    coverage: str = Field(description="complete, short or over; empty with no suppliers")
    hhi: Decimal | None = Field(description="Herfindahl-Hirschman index, 0-10,000")
    band: str = Field(description="unconcentrated, moderate or high; empty with no suppliers")
    largest_share: Decimal
    import_share: Decimal = Field(description="percent from outside the Chinese mainland")
    flags: list[str] = Field(description=", ".join(FLAGS))
    status: str = Field(description="the item's status")
    due_date: date
    sources: list[SourceOut]


class InputPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[InputOut]


class InputIn(Schema):
    owner: str = Field(description="the enterprise: USCC, internal id or CC:number")
    name: str
    category: str = Field(description=", ".join(Category.values))
    criticality: str = Field("", description="critical, important (default) or general")
    domestic_alternative: bool
    annual_spend: Number | None = Field(None, description="10,000 yuan (万元)")
    annual_volume: Number | None = None
    volume_unit: str = ""
    sources: list[SourceIn] = Field(default_factory=list)
    title: str = Field("", description="the item's title; default: the input's name")
    due_date: date | None = Field(None, description="when the mitigation is due")
    responsible_name: str = ""
    plan: str = Field("", description="the mitigation plan")


class InputPatch(Schema):
    name: str | None = None
    category: str | None = None
    criticality: str | None = None
    domestic_alternative: bool | None = None
    annual_spend: Number | None = None
    annual_volume: Number | None = None
    volume_unit: str | None = None
    reason: str = ""


class SourcesIn(Schema):
    sources: list[SourceIn] = Field(description="all the suppliers: they replace the present")
    reason: str = ""


class CategoryOut(Schema):
    category: str
    label: str
    inputs: int
    by_band: dict[str, int] = Field(description="inputs by band; '' for no suppliers")
    single_source: int
    import_dependent: int
    no_domestic_alternative: int


class SupplierOut(Schema):
    name: str
    uscc: str
    countries: list[str]
    enterprises: int
    inputs: int
    average_share: float


class PortfolioOut(Schema):
    inputs: int
    enterprises: int
    flagged: dict[str, int]
    categories: list[CategoryOut]
    shared_suppliers: list[SupplierOut] = Field(description="named by two enterprises or more")
    no_domestic_alternative: list[InputOut]
    most_concentrated: list[InputOut]


# -- answers -----------------------------------------------------------------------------------


def input_out(supply_input: SupplyInput) -> dict:
    spend = supply_input.annual_spend_fen
    sources = getattr(supply_input, "source_list", None)
    if sources is None:
        sources = list(supply_input.sources.order_by("position"))
    return {
        "id": supply_input.item_id,
        "owner": enterprise_ref(supply_input.owner),
        "name": supply_input.name,
        "category": supply_input.category,
        "criticality": supply_input.criticality,
        "annual_spend": None if spend is None else Decimal(spend) / services.FEN_PER_WAN,
        "annual_volume": supply_input.annual_volume,
        "volume_unit": supply_input.volume_unit,
        "domestic_alternative": supply_input.domestic_alternative,
        "supplier_count": supply_input.supplier_count,
        "total_share": supply_input.total_share,
        "coverage": supply_input.coverage,
        "hhi": supply_input.hhi,
        "band": supply_input.band,
        "largest_share": supply_input.largest_share,
        "import_share": supply_input.import_share,
        "flags": list(supply_input.flags),
        "status": supply_input.item.status,
        "due_date": supply_input.item.due_date,
        "sources": [
            {
                "supplier": s.supplier_name,
                "uscc": s.uscc,
                "country": s.country,
                "country_name": country_name(s.country),
                "share": s.share,
            }
            for s in sources
        ],
    }


def _input_detail(user, item_id: int) -> dict:
    return input_out(selectors.get_visible_input(user, item_id))


def visible_input_in_path(user, *, id, **_params) -> SupplyInput:
    return selectors.get_visible_input(user, path_id(id))


def _sources(rows: list[SourceIn]) -> list[dict]:
    return [row.model_dump() for row in rows]


def _owner(user, identifier: str):
    found = find_by_identifier(identifier or "")
    if found is None or not visible_enterprises(user).filter(id=found.id).exists():
        raise FieldErrors(
            {
                "owner": [
                    _("No enterprise you can see has the identifier %(value)s.")
                    % {"value": identifier}
                ]
            }
        )
    return found


# -- inputs ------------------------------------------------------------------------------------


@router.get("/inputs", response={200: InputPage, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_inputs(
    request,
    q: str = Query("", description="words in the enterprise's name, the input or a supplier"),
    category: str = Query("", description=", ".join(Category.values)),
    flag: str = Query("", description=", ".join(FLAGS)),
    band: str = Query("", description="unconcentrated, moderate, high, or none"),
    status: str = Query("", description="a status of the item, or active for not closed"),
    owner: str = Query("", description="the enterprise: USCC, internal id or CC:number"),
    subtree: bool = Query(False, description="with owner: also the enterprises it manages"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    """The inputs you may read, the most concentrated first, with their suppliers."""
    user = user_of(request)
    problems: dict[str, list[str]] = {}
    choices = {
        "category": (category, Category.values),
        "flag": (flag, FLAGS),
        "band": (band, [*Band.values, "none"]),
        "status": (status, ["active", *ItemStatus.values]),
    }
    for name, (value, allowed) in choices.items():
        if value and value not in allowed:
            problems[name] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}]
    found = None
    if owner:
        found = find_by_identifier(owner)
        if found is None or not visible_enterprises(user).filter(id=found.id).exists():
            problems["owner"] = [
                _("No enterprise you can see has the identifier %(value)s.") % {"value": owner}
            ]
    if problems:
        raise FieldErrors(problems)
    filters = InputFilters(
        q=q.strip(),
        category=category,
        flag=flag,
        band=band,
        status=status,
        owner=found.id if found else None,
        subtree=subtree,
    )
    inputs = selectors.input_list(user, filters)
    page = selectors.with_sources(inputs[offset : offset + limit])
    return {
        "total": inputs.count(),
        "limit": limit,
        "offset": offset,
        "items": [input_out(i) for i in page],
    }


@router.post("/inputs", response={201: InputOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def create_input(request, payload: InputIn):
    """Open a key input with its suppliers: its ledger item too (the supervisor's analysts and
    reviewers, for an enterprise of their own supervisor). Every field problem comes back at
    once, a supplier's under `sources.<n>.<field>` (n from 0)."""
    user = user_of(request)
    owner = _owner(user, payload.owner)
    fields = payload.model_dump(include=set(services.INPUT_FIELDS))
    created = services.input_create(
        acting_user=user,
        owner=owner,
        fields=fields,
        sources=_sources(payload.sources),
        title=payload.title,
        due_date=payload.due_date,
        responsible_name=payload.responsible_name,
        plan=payload.plan,
    )
    return Status(201, _input_detail(user, created.item_id))


@router.get("/inputs/{int:id}", response={200: InputOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_input_in_path)
def get_input(request, id: int):
    """One input with its suppliers, concentration and flags."""
    return _input_detail(user_of(request), path_id(id))


@router.patch("/inputs/{int:id}", response={200: InputOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_input_in_path)
def edit_input(request, id: int, payload: InputPatch):
    """Change the input's own fields (those sent): the owner's reporters and the supervisor's
    analysts and reviewers, while its item is not closed."""
    user = user_of(request)
    supply_input = visible_input_in_path(user, id=id)
    changes = payload.model_dump(exclude_unset=True)
    reason = changes.pop("reason", "")
    services.input_update(
        acting_user=user, supply_input=supply_input, fields=changes, reason=reason
    )
    return _input_detail(user, supply_input.item_id)


@router.put("/inputs/{int:id}/sources", response={200: InputOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_input_in_path)
def replace_sources(request, id: int, payload: SourcesIn):
    """Replace the input's suppliers with the ones sent (an empty list removes them all); the
    concentration and the flags follow. Shares may add up to less than 100, never more."""
    user = user_of(request)
    supply_input = visible_input_in_path(user, id=id)
    services.input_update(
        acting_user=user,
        supply_input=supply_input,
        sources=_sources(payload.sources),
        reason=payload.reason,
    )
    return _input_detail(user, supply_input.item_id)


# -- the portfolio -----------------------------------------------------------------------------


@router.get("/portfolio", response={200: PortfolioOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def portfolio(request):
    """Across the inputs you may read (cancelled items left out): suppliers that several
    enterprises depend on (matched by USCC, else by normalised name), inputs without a
    domestic alternative, the most concentrated inputs, and counts by category."""
    result = selectors.portfolio(user_of(request))
    return {
        "inputs": result.inputs,
        "enterprises": result.enterprises,
        "flagged": result.flagged,
        "categories": [vars(count) for count in result.categories],
        "shared_suppliers": [
            {
                "name": s.name,
                "uscc": s.uscc,
                "countries": list(s.countries),
                "enterprises": s.enterprises,
                "inputs": s.inputs,
                "average_share": round(s.average_share, 2),
            }
            for s in result.shared_suppliers
        ],
        "no_domestic_alternative": [
            input_out(i) for i in selectors.with_sources(result.no_alternative)
        ],
        "most_concentrated": [
            input_out(i) for i in selectors.with_sources(result.most_concentrated)
        ],
    }


# -- the workbook ------------------------------------------------------------------------------

XLSX = {
    "responses": {
        200: {
            "description": "the workbook",
            "content": {sheets.CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get("/export", response=ERRORS, openapi_extra=XLSX)
@api_scope(Scope.PORTFOLIO)
def export_inputs(request):
    """The inputs you may read as an .xlsx workbook, one row per input and supplier, in your
    language; the same columns as the import."""
    stream = io.BytesIO()
    user = user_of(request)
    sheets.export_inputs(selectors.input_list(user, InputFilters()), stream, stamp=watermark(user))
    response = HttpResponse(stream.getvalue(), content_type=sheets.CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="supply.xlsx"'
    return response


@router.post("/import", response={200: ImportSummary, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def import_inputs(request, file: File[UploadedFile], dry_run: Form[bool] = False):
    """Open and change inputs from a workbook (the export's columns). The whole file is
    checked first: with any error nothing is written and the answer is 422 with each error
    under `rows.<row>.<column>`; with `dry_run=true` nothing is written either way."""
    user = user_of(request)
    path = imports.store_upload(file)
    try:
        result = imports.import_inputs(
            acting_user=user,
            path=path,
            file_name=Path(file.name or "").name[:200],
            dry_run=dry_run,
        )
    finally:
        path.unlink(missing_ok=True)
    if result.errors:
        raise FieldErrors(
            problem_fields(result),
            message=_("The file has %(n)d errors; nothing was written.")
            % {"n": len(result.errors)},
        )
    return {**result.summary(), "changes": []}
