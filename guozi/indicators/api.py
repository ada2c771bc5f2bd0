"""The REST API of indicators, under /api/v1/indicators/.

The frameworks (indicators, the sets assessed each year, the health-check thresholds), the
computed periods, the figures of a period for one kind of unit (enterprises or roll-ups), one
enterprise's figures over time, and the explanation of a figure: its inputs with their reports
for an enterprise, the contributing enterprises for a roll-up.

Scoped like the pages, through the same selectors: an enterprise outside the caller's view is
404 (the same answer as an unknown one), roll-ups are for supervisor roles only. A figure that
is missing or undefined has a null value and says which, never 0.
"""

from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from guozi.accounts.access import Scope
from guozi.api.auth import api_scope
from guozi.api.convert import enterprise_ref, path_id, user_of, visible_enterprise_in_path
from guozi.api.errors import FieldErrors
from guozi.api.schemas import EnterpriseRef, Error
from guozi.lib.periods import Period
from guozi.registry.models import Enterprise
from guozi.registry.selectors import find_by_identifier, get_visible_enterprise
from guozi.reporting.models import ReportScope

from . import exports, presenters
from .definitions import Framework, IndicatorDef
from .explain import contributions, explain_enterprise
from .frameworks import framework_of
from .models import IndicatorFramework, UnitKind
from .presenters import STATUS_NAMES, Choices
from .selectors import (
    Figure,
    UnitFigures,
    enterprise_series,
    freshness,
    unit_figures,
)

router = Router(tags=["indicators"])
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}
XLSX_RESPONSE = {
    "responses": {
        200: {
            "description": "the figures as JSON, or with format=xlsx an .xlsx workbook",
            "content": {exports.CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


# -- bodies ------------------------------------------------------------------------------------


class VariantOut(Schema):
    chosen: str = Field(description="the definition used, where sources differ")
    why: str
    alternatives: list[str]


class IndicatorOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    unit: str = Field(
        description="万元, 万元/人, % (stored as a fraction: 0.62 = 62%), times, days"
    )
    direction: str = Field(description="higher or lower is better")
    is_ratio: bool = Field(description="changes year on year in points, not as a growth rate")
    formula: str
    numerator: str | None
    denominator: str | None
    note: str
    variant: VariantOut | None


class RatioOut(IndicatorOut):
    group: str = Field(description="profitability, liquidity, solvency or government")
    thresholds: list[float] = Field(description="t1..t4, from band 1 (best) to band 5")
    enabled: bool = Field(description="counts in the overall score")
    worst_when: str | None = Field(description="a condition that forces band 5")
    worst_reason: str


class SetOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    indicators: list[str]
    assessed_from: int
    assessed_to: int | None
    why: str


class AltmanOut(Schema):
    name: str
    formula: str
    zones: list[float] = Field(description="below the first: distress; above the second: safe")
    zone_names: list[str]


class HealthCheckOut(Schema):
    name: str
    overall_cuts: list[float]
    zones: list[str] = Field(description="the names of ratings 1 to 5")
    ratios: list[RatioOut]
    altman: AltmanOut | None


class FrameworkOut(Schema):
    code: str
    version: str
    valid_from: str
    name: str
    forms: list[str]
    indicators: list[IndicatorOut]
    sets: list[SetOut]
    health_check: HealthCheckOut | None


class PeriodOut(Schema):
    period: str
    computed_at: datetime | None
    stale: bool = Field(description="reports changed since; a recomputation is under way")


class PeriodsOut(Schema):
    form: str
    basis: str
    periods: list[PeriodOut] = Field(description="newest first")


class FigureOut(Schema):
    value: float | None = Field(description="null when missing or undefined")
    status: str = Field(description="ok, missing or undefined (a division by zero)")
    prior: float | None = Field(description="the restated prior-year comparative")
    prior_status: str
    change: float | None = Field(
        description="year on year: a growth rate for amounts, the change of a ratio in its unit "
        "(for a % ratio: percentage points as a fraction, 0.012 = 1.2 points)"
    )
    change_kind: str = Field(description="growth, pp or delta")


class HealthOut(Schema):
    score: float | None = Field(description="the mean band of the scored ratios")
    rating: int | None = Field(description="1 (low risk) to 5 (severe)")
    zone: str
    bands: dict[str, int | None]
    forced: list[str] = Field(description="ratios in band 5 because of their condition")
    altman: float | None
    altman_zone: str


class UnitOut(Schema):
    kind: str = Field(description="enterprise, portfolio, city, industry or class")
    label: str
    supervisor_id: int
    enterprise: EnterpriseRef | None
    unit_code: str = Field(description="the city, industry section or function class")
    scope: str = Field(description="consolidated or standalone")
    members: int = Field(description="reports added up")


class ValuesItem(Schema):
    rank: int | None = Field(description="with `sort`: the place in the indicator's direction")
    unit: UnitOut
    figures: dict[str, FigureOut]
    health: HealthOut


class ValuesPage(Schema):
    form: str
    basis: str
    period: str | None
    unit: str
    data_status: str
    basis_label: str = Field(description="what the figures are made of")
    computed_at: datetime | None
    stale: bool
    total: int
    limit: int
    offset: int
    items: list[ValuesItem]


class SeriesPoint(FigureOut):
    period: str


class SeriesOut(Schema):
    enterprise: EnterpriseRef
    form: str
    scope: str
    data_status: str
    periods: list[str] = Field(description="oldest first")
    series: dict[str, list[SeriesPoint]]


class SourceOut(Schema):
    submission_id: int
    period: str
    scope: str
    state: str
    column: str = Field(description="current, prior_year or opening")
    version_id: int | None = Field(description="the value version that last wrote the cell")
    fallback: bool = Field(description="the column was empty; an earlier filing stands in")


class InputOut(Schema):
    key: str
    label: str
    value: float | None
    source: SourceOut | None


class ExplainOut(Schema):
    indicator: IndicatorOut
    period: str
    enterprise: EnterpriseRef
    scope: str
    data_status: str
    value: float | None = Field(description="recomputed from the reports as they are now")
    status: str
    numerator: float | None
    denominator: float | None
    stored: FigureOut | None = Field(description="the figure as computed and stored")
    inputs: list[InputOut]


class ContributionOut(Schema):
    enterprise: EnterpriseRef
    scope: str
    value: float | None
    numerator: float | None
    denominator: float | None
    share: float | None = Field(description="of the roll-up's numerator (value, for amounts)")


class ContributionsOut(Schema):
    indicator: IndicatorOut
    period: str
    unit: UnitOut
    data_status: str
    stored: FigureOut
    items: list[ContributionOut]


# -- reading requests --------------------------------------------------------------------------


def _choices(request, *, not_found: tuple[str, ...] = (), **params) -> Choices:
    """The form, period, data status and supervisor asked for; any bad one is a 422, or a 404
    for the `not_found` ones, which name the thing asked for."""
    given = {key: value for key, value in params.items() if value}
    choices = presenters.read_choices(user_of(request), given)
    if set(not_found) & set(choices.problems):
        raise Http404
    if choices.problems:
        raise FieldErrors(choices.problems)
    return choices


def _framework(choices: Choices) -> Framework:
    framework = presenters.framework_for(choices)
    if framework is None:
        raise Http404
    return framework


def _indicator(framework: Framework, code: str) -> IndicatorDef:
    indicator = framework.by_code.get(code)
    if indicator is None:
        raise FieldErrors({"code": [_("No indicator has the code %(value)s.") % {"value": code}]})
    return indicator


def _codes(framework: Framework, text: str) -> list[str]:
    codes = [c.strip() for c in (text or "").split(",") if c.strip()]
    unknown = [c for c in codes if c not in framework.by_code]
    if unknown:
        raise FieldErrors(
            {"code": [_("No indicator has the code %(value)s.") % {"value": ", ".join(unknown)}]}
        )
    return codes or [i.code for i in framework.all_indicators]


def _scope(value: str) -> str:
    if value not in ReportScope.values:
        raise FieldErrors(
            {
                "scope": [
                    _("%(value)s is not a scope; the scopes are: %(scopes)s.")
                    % {"value": value, "scopes": ", ".join(ReportScope.values)}
                ]
            }
        )
    return value


# -- writing answers ---------------------------------------------------------------------------


def _name(zh: str, en: str) -> str:
    return en if presenters.language() == "en" else zh


def indicator_out(indicator: IndicatorDef) -> dict:
    variant = indicator.variant or {}
    texts = presenters.variant_texts(indicator)
    return {
        "code": indicator.code,
        "name": indicator.name(presenters.language()),
        "name_zh": indicator.name_zh,
        "name_en": indicator.name_en,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "is_ratio": indicator.is_ratio,
        "formula": indicator.formula,
        "numerator": indicator.numerator,
        "denominator": indicator.denominator,
        "note": texts["note"],
        "variant": (
            {"chosen": texts["chosen"], "why": texts["why"], "alternatives": texts["alternatives"]}
            if variant
            else None
        ),
    }


def ratio_out(ratio: IndicatorDef) -> dict:
    return {
        **indicator_out(ratio),
        "group": ratio.group or "",
        "thresholds": list(ratio.thresholds),
        "enabled": ratio.enabled,
        "worst_when": ratio.worst_when,
        "worst_reason": _name(ratio.worst_zh, ratio.worst_en),
    }


def framework_out(loaded: IndicatorFramework) -> dict:
    framework = framework_of(loaded)
    check = framework.health
    health = None
    if check is not None:
        altman = check.altman
        health = {
            "name": _name(check.name_zh, check.name_en),
            "overall_cuts": list(check.overall_cuts),
            "zones": list(check.zones_en if presenters.language() == "en" else check.zones_zh),
            "ratios": [ratio_out(r) for r in check.ratios],
            "altman": {
                "name": _name(altman.name_zh, altman.name_en),
                "formula": altman.formula,
                "zones": list(altman.zones),
                "zone_names": list(
                    altman.zones_en if presenters.language() == "en" else altman.zones_zh
                ),
            }
            if altman
            else None,
        }
    return {
        "code": framework.code,
        "version": framework.version,
        "valid_from": str(framework.valid_from),
        "name": _name(framework.name_zh, framework.name_en),
        "forms": list(framework.forms),
        "indicators": [indicator_out(i) for i in framework.indicators],
        "sets": [
            {
                "code": s.code,
                "name": _name(s.name_zh, s.name_en),
                "name_zh": s.name_zh,
                "name_en": s.name_en,
                "indicators": list(s.indicators),
                "assessed_from": s.assessed_from,
                "assessed_to": s.assessed_to,
                "why": _name(s.why_zh, s.why_en),
            }
            for s in framework.sets
        ],
        "health_check": health,
    }


def figure_out(figure: Figure) -> dict:
    return {
        "value": figure.value if figure.status == presenters.OK else None,
        "status": STATUS_NAMES.get(figure.status, "missing"),
        "prior": figure.prior if figure.prior_status == presenters.OK else None,
        "prior_status": STATUS_NAMES.get(figure.prior_status, "missing"),
        "change": figure.change if figure.status == figure.prior_status == 0 else None,
        "change_kind": presenters.change_kind(figure.indicator),
    }


def health_out(figures: UnitFigures) -> dict:
    summary = presenters.health_summary(figures)
    bands = figures.bands()
    return {
        "score": summary["score"],
        "rating": summary["rating"],
        "zone": summary["zone"],
        "bands": {code: banded.band for code, banded in bands.items()},
        "forced": [code for code, banded in bands.items() if banded.forced],
        "altman": summary["altman"] if summary["altman_status"] == presenters.OK else None,
        "altman_zone": summary["altman_zone_name"],
    }


def unit_out(figures: UnitFigures, enterprises: dict[int, Enterprise]) -> dict:
    enterprise = enterprises.get(figures.enterprise_id) if figures.enterprise_id else None
    return {
        "kind": figures.unit_kind,
        "label": presenters.unit_name(figures),
        "supervisor_id": figures.supervisor_id,
        "enterprise": enterprise_ref(enterprise) if enterprise else None,
        "unit_code": figures.unit_code,
        "scope": figures.scope,
        "members": figures.members,
    }


def _enterprises(ids) -> dict[int, Enterprise]:
    wanted = [i for i in ids if i]
    return {e.id: e for e in Enterprise.objects.filter(id__in=wanted)} if wanted else {}


# -- operations --------------------------------------------------------------------------------


@router.get("/frameworks", response={200: list[FrameworkOut], **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_frameworks(request):
    """Every loaded version of every indicator framework: indicators with their formulas and
    chosen variants, the indicator sets and the years each is assessed in, and the health
    check's ratios with their thresholds, zones and the Altman Z″ score."""
    return [framework_out(f) for f in IndicatorFramework.objects.order_by("code", "valid_from")]


@router.get("/periods", response={200: PeriodsOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_periods(request, form: str = "fast_report"):
    """The periods with computed figures of a form, newest first, with when they were
    computed and whether they are stale."""
    choices = _choices(request, form=form)
    periods = []
    for period in choices.periods:
        found = freshness(choices.form, period)
        periods.append({"period": period, "computed_at": found.computed_at, "stale": found.stale})
    return {"form": choices.form.code, "basis": choices.form.basis, "periods": periods}


@router.get("/values", response={200: ValuesPage, **ERRORS}, openapi_extra=XLSX_RESPONSE)
@api_scope(Scope.PORTFOLIO)
def list_values(
    request,
    form: str = "fast_report",
    period: str = "",
    unit: str = UnitKind.ENTERPRISE,
    data_status: str = "",
    supervisor: str = "",
    enterprise: str = "",
    scope: str = ReportScope.CONSOLIDATED,
    groups: bool = False,
    code: str = "",
    sort: str = "",
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    format: str = "json",
):
    """The figures of one period (default: the latest computed) for one kind of unit.

    `unit`: enterprise (in `scope`, consolidated by default; `enterprise`, any identifier, for
    one; `groups=true` for the level-1 enterprises only) or a roll-up (portfolio, city, industry,
    class: supervisor roles only, `supervisor` by id or code, default your own). `data_status`:
    approved (default) or submitted (includes reports awaiting approval). `code`: the indicators
    wanted, comma-separated (default all). `sort`: an indicator to rank by, in its direction,
    missing last. `format=xlsx`: the same figures as a workbook (the export is audited)."""
    user = user_of(request)
    choices = _choices(
        request, form=form, period=period, data_status=data_status, supervisor=supervisor
    )
    problems: dict[str, list[str]] = {}
    if unit not in UnitKind.values:
        problems["unit"] = [
            _("%(value)s is not a unit; the units are: %(units)s.")
            % {"value": unit, "units": ", ".join(UnitKind.values)}
        ]
    if format not in ("json", "xlsx"):
        problems["format"] = [_("The format is json or xlsx.")]
    if problems:
        raise FieldErrors(problems)
    framework = presenters.framework_for(choices)
    codes = _codes(framework, code) if framework else []
    if sort and framework:
        _indicator(framework, sort)
    units = _units(
        user,
        choices,
        unit,
        enterprise=enterprise,
        scope=scope,
        groups=groups,
        supervisor_given=bool(supervisor),
    )
    ranked = presenters.rank(units, sort) if sort and framework else None
    ordered = [r.figures for r in ranked] if ranked is not None else units
    ranks = {id(r.figures): r.rank for r in ranked} if ranked is not None else {}
    if format == "xlsx":
        return _values_export(request, choices, unit, ordered, codes, scope)
    page = ordered[offset : offset + limit]
    enterprises = _enterprises([f.enterprise_id for f in page])
    found = freshness(choices.form, choices.period) if choices.period else None
    return {
        "form": choices.form.code,
        "basis": choices.form.basis,
        "period": choices.period,
        "unit": unit,
        "data_status": choices.data_status,
        "basis_label": presenters.basis_label(choices.form, unit, scope, choices.data_status),
        "computed_at": found.computed_at if found else None,
        "stale": found.stale if found else False,
        "total": len(ordered),
        "limit": limit,
        "offset": offset,
        "items": [
            {
                "rank": ranks.get(id(figures)),
                "unit": unit_out(figures, enterprises),
                "figures": {c: figure_out(figures.figure(c)) for c in codes},
                "health": health_out(figures),
            }
            for figures in page
        ],
    }


def _units(
    user,
    choices: Choices,
    unit: str,
    *,
    enterprise: str,
    scope: str,
    groups: bool,
    supervisor_given: bool,
):
    if choices.period is None:
        return []
    if unit != UnitKind.ENTERPRISE:
        if choices.supervisor is None:
            return []  # roll-ups are for supervisor roles
        return unit_figures(
            user,
            choices.form,
            choices.period,
            unit_kind=unit,
            data_status=choices.data_status,
            supervisor_id=choices.supervisor.id,
        )
    ids = None
    if enterprise:
        found = find_by_identifier(enterprise)
        ids = [found.id] if found else []
    if groups:
        day = Period.parse(choices.period).end
        wanted = set(presenters.group_ids(day))
        ids = [i for i in ids if i in wanted] if ids is not None else sorted(wanted)
    return unit_figures(
        user,
        choices.form,
        choices.period,
        unit_kind=UnitKind.ENTERPRISE,
        data_status=choices.data_status,
        supervisor_id=choices.supervisor.id if supervisor_given else None,
        enterprise_ids=ids,
        scope=_scope(scope),
    )


def _values_export(request, choices: Choices, unit: str, units, codes: list[str], scope: str):
    """Every unit asked for (not one page), one row each, value and year on year per code."""
    lang = presenters.language()
    headers = [UnitKind(unit).label, _("Scope")]
    framework = units[0].framework if units else presenters.framework_for(choices)
    for code in codes:
        name = framework.by_code[code].name(lang)
        headers += [name, _("%(name)s, year on year") % {"name": name}]
    rows = []
    for figures in units:
        row = [
            presenters.text_cell(presenters.unit_name(figures)),
            presenters.text_cell(ReportScope(figures.scope).label),
        ]
        for code in codes:
            figure = figures.figure(code)
            row += [presenters.value_cell(figure), presenters.change_cell(figure)]
        rows.append(row)
    table = presenters.Table(
        key="values",
        title=_("Figures"),
        headers=headers,
        rows=rows,
        notes=[
            presenters.period_label(choices.period),
            presenters.basis_label(choices.form, unit, scope, choices.data_status),
        ],
    )
    query = {key: value for key, value in request.GET.items() if key != "format"}
    return exports.export_response(
        user=user_of(request),
        form=choices.form,
        tables=[table],
        name=f"indicators-values-{choices.form.code}-{choices.period or 'none'}-{unit}",
        query=query,
    )


@router.get("/enterprises/{int:id}/series", response={200: SeriesOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_enterprise_in_path)
def enterprise_figures(
    request,
    id: int,
    form: str = "fast_report",
    scope: str = ReportScope.CONSOLIDATED,
    data_status: str = "",
    code: str = "",
):
    """One enterprise's figures over every computed period, oldest first, in one scope (an
    enterprise without subsidiaries files one report, which counts as both)."""
    user = user_of(request)
    found = visible_enterprise_in_path(user, id=path_id(id))
    choices = _choices(request, form=form, data_status=data_status)
    _scope(scope)
    framework = presenters.framework_for(choices)
    codes = _codes(framework, code) if framework else []
    series = enterprise_series(
        user, choices.form, found, scope=scope, data_status=choices.data_status
    )
    return {
        "enterprise": enterprise_ref(found),
        "form": choices.form.code,
        "scope": scope,
        "data_status": choices.data_status,
        "periods": [figures.run.period for figures in series],
        "series": {
            code: [
                {"period": figures.run.period, **figure_out(figures.figure(code))}
                for figures in series
                if code in figures.framework.by_code
            ]
            for code in codes
        },
    }


@router.get("/explain", response={200: ExplainOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def explain_figure(
    request,
    code: str,
    enterprise: str,
    period: str = "",
    form: str = "fast_report",
    scope: str = ReportScope.CONSOLIDATED,
    data_status: str = "",
):
    """How an enterprise's figure is made: the formula, the numerator and denominator, each
    input with its value and the report, column and value version it came from. An enterprise
    you may not read is 404, like an unknown one."""
    user = user_of(request)
    choices = _choices(request, form=form, period=period, data_status=data_status)
    indicator = _indicator(_framework(choices), code)
    _scope(scope)
    at = Period.parse(choices.period)
    target = find_by_identifier(enterprise)
    if target is None:
        raise Http404
    target = get_visible_enterprise(user, target.id, at.end)
    explanation = explain_enterprise(
        choices.form, target, at, indicator.code, scope, choices.data_status
    )
    stored = unit_figures(
        user,
        choices.form,
        choices.period,
        unit_kind=UnitKind.ENTERPRISE,
        data_status=choices.data_status,
        enterprise_ids=[target.id],
        scope=scope,
    )
    return {
        "indicator": indicator_out(indicator),
        "period": choices.period,
        "enterprise": enterprise_ref(target),
        "scope": scope,
        "data_status": choices.data_status,
        "value": explanation.value,
        "status": STATUS_NAMES.get(explanation.status, "missing"),
        "numerator": explanation.numerator,
        "denominator": explanation.denominator,
        "stored": figure_out(stored[0].figure(indicator.code)) if stored else None,
        "inputs": [
            {
                "key": item.key,
                "label": item.label,
                "value": item.value,
                "source": vars(item.source) if item.source else None,
            }
            for item in explanation.inputs
        ],
    }


@router.get("/contributions", response={200: ContributionsOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def rollup_contributions(
    request,
    code: str,
    unit: str = UnitKind.PORTFOLIO,
    unit_code: str = "",
    supervisor: str = "",
    period: str = "",
    form: str = "fast_report",
    data_status: str = "",
    sort: str = "share",
    order: str = "desc",
):
    """The enterprises that make up a roll-up (a portfolio, a city, an industry or a function
    class of a supervisor whose roll-ups you may read; 404 otherwise), each with its figure,
    numerator, denominator and share of the roll-up's numerator (of its value, for amounts),
    sorted by `sort` (share, value, numerator, denominator or name) in `order`."""
    user = user_of(request)
    choices = _choices(
        request,
        not_found=("supervisor",),
        form=form,
        period=period,
        data_status=data_status,
        supervisor=supervisor,
    )
    indicator = _indicator(_framework(choices), code)
    if unit not in presenters.ROLLUP_KINDS or choices.supervisor is None:
        raise Http404
    figures = presenters.rollup_figures(user, choices, unit, unit_code)
    items = contributions(
        choices.form,
        Period.parse(choices.period),
        indicator.code,
        unit_kind=unit,
        supervisor_id=choices.supervisor.id,
        unit_code=unit_code,
        data_status=choices.data_status,
    )
    items = presenters.sort_contributions(items, sort, order != "asc")
    enterprises = _enterprises([item.enterprise_id for item in items])
    return {
        "indicator": indicator_out(indicator),
        "period": choices.period,
        "unit": unit_out(figures, {}),
        "data_status": choices.data_status,
        "stored": figure_out(figures.figure(indicator.code)),
        "items": [
            {
                "enterprise": enterprise_ref(enterprises[item.enterprise_id]),
                "scope": item.scope,
                "value": item.value,
                "numerator": item.numerator,
                "denominator": item.denominator,
                "share": item.share,
            }
            for item in items
            if item.enterprise_id in enterprises
        ],
    }
