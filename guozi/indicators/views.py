"""Indicator pages: the portfolio overview, rankings, one enterprise over time, the health-check
matrix and the explanation of a figure; each table also as .xlsx or CSV (`?format=xlsx|csv`).

Thin: the choices are read by `presenters.read_choices`, the figures come from the scoped
selectors (an enterprise outside the user's view is 404, roll-ups only for supervisor roles) and
the tables are built by the presenters, the same ones the export writes.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from guozi.accounts.access import Scope, scoped
from guozi.lib.periods import Period
from guozi.registry.selectors import get_visible_enterprise
from guozi.reporting.models import ReportScope

from . import exports, presenters
from .explain import contributions, explain_enterprise
from .models import UnitKind
from .presenters import Choices
from .selectors import enterprise_series, freshness, unit_figures

PAGE_SIZE = 50
CONSOLIDATED, STANDALONE = ReportScope.CONSOLIDATED, ReportScope.STANDALONE


def _choices(request, *, strict: tuple[str, ...] = ()) -> Choices:
    """The request's choices; a bad one is a warning (and its default is used), except the
    `strict` ones, which name the thing to show: a bad one of those is 404."""
    try:
        choices = presenters.read_choices(request.user, request.GET)
    except LookupError as error:
        raise Http404 from error
    if set(strict) & set(choices.problems):
        raise Http404
    for problems in choices.problems.values():
        for problem in problems:
            messages.warning(request, problem)
    return choices


def _format(request) -> str:
    wanted = request.GET.get("format", "html")
    if wanted not in ("html", *exports.FORMATS):
        raise Http404
    return wanted


def _export(request, choices: Choices, tables, name: str, enterprise_id: int | None = None):
    return exports.export_response(
        user=request.user,
        form=choices.form,
        tables=tables,
        name=f"indicators-{name}-{choices.form.code}-{choices.period or 'none'}",
        query={key: value for key, value in request.GET.items() if key != "format"},
        enterprise_id=enterprise_id,
        fmt=request.GET["format"],
    )


# Parameters a page keeps when the pickers change the form, period, data or supervisor.
KEPT = ("code", "unit", "enterprises", "scope", "enterprise", "unit_code", "sort", "order")


def _context(request, choices: Choices, **extra) -> dict:
    return {
        "choices": choices,
        "hidden": [(key, request.GET[key]) for key in KEPT if request.GET.get(key)],
        "freshness": freshness(choices.form, choices.period) if choices.period else None,
        "period_label": presenters.period_label(choices.period),
        **extra,
    }


@scoped(Scope.PORTFOLIO)
def overview_page(request):
    fmt = _format(request)
    choices = _choices(request)
    page = presenters.overview(request.user, choices)
    if fmt in exports.FORMATS:
        return _export(request, choices, page.tables, "overview")
    return render(request, "indicators/overview.html", _context(request, choices, page=page))


def _indicator(choices: Choices, code: str, *, default: str = "total_profit"):
    framework = presenters.framework_for(choices)
    if framework is None:
        return None, None
    indicator = framework.by_code.get(code or default)
    return framework, indicator


def _enterprise_set(request, choices: Choices) -> str:
    """Which enterprises a ranking or the health check lists: the groups (the default for
    supervisor roles) or all the user may read (the default for enterprise roles)."""
    wanted = request.GET.get("enterprises") or ("groups" if choices.supervisor else "all")
    return wanted if wanted in ("groups", "all") else "groups"


@scoped(Scope.PORTFOLIO)
def rankings_page(request):
    fmt = _format(request)
    choices = _choices(request)
    unit = request.GET.get("unit") or UnitKind.ENTERPRISE
    if unit not in presenters.RANKED_KINDS:
        messages.warning(request, _("%(value)s is not a unit to rank.") % {"value": unit[:20]})
        unit = UnitKind.ENTERPRISE
    framework, indicator = _indicator(choices, request.GET.get("code", ""))
    if framework is not None and indicator is None:
        messages.warning(request, _("No indicator has this code; showing total profit."))
        framework, indicator = _indicator(choices, "")
    enterprise_set = _enterprise_set(request, choices)
    ranked, table = [], None
    if indicator is not None:
        units = presenters.ranking_units(
            request.user, choices, unit, groups_only=enterprise_set == "groups"
        )
        ranked = presenters.rank(units, indicator.code)
    if fmt in exports.FORMATS:
        tables = [presenters.ranking_table(choices, indicator, unit, ranked)] if indicator else []
        code = indicator.code if indicator else "none"
        return _export(request, choices, tables, f"ranking-{code}-{unit}")
    page = Paginator(ranked, PAGE_SIZE).get_page(request.GET.get("page"))
    if indicator is not None:
        table = presenters.ranking_table(choices, indicator, unit, list(page.object_list))
    context = _context(
        request,
        choices,
        framework=framework,
        indicator=indicator,
        unit=unit,
        units=[
            (kind, UnitKind(kind).label)
            for kind in presenters.RANKED_KINDS
            if kind == UnitKind.ENTERPRISE or choices.supervisor is not None
        ],
        enterprise_set=enterprise_set,
        table=table,
        page=page,
        total=len(ranked),
        indicator_name=indicator.name(presenters.language()) if indicator else "",
        indicator_options=[
            (i.code, i.name(presenters.language())) for i in framework.all_indicators
        ]
        if framework
        else [],
    )
    template = "indicators/_ranking_table.html" if request.htmx else "indicators/rankings.html"
    return render(request, template, context)


@scoped(Scope.PORTFOLIO)
def enterprise_page(request, enterprise_id: int):
    enterprise = get_visible_enterprise(request.user, enterprise_id)
    fmt = _format(request)
    choices = _choices(request)
    scope = request.GET.get("scope") or CONSOLIDATED
    if scope not in (CONSOLIDATED, STANDALONE):
        raise Http404
    series = enterprise_series(
        request.user, choices.form, enterprise, scope=scope, data_status=choices.data_status
    )
    table, chart = presenters.series_table(choices, enterprise, scope, series)
    if fmt in exports.FORMATS:
        return _export(
            request, choices, [table], f"enterprise-{enterprise.id}-{scope}", enterprise.id
        )
    context = _context(
        request, choices, enterprise=enterprise, scope=scope, table=table, chart=chart
    )
    return render(request, "indicators/enterprise.html", context)


@scoped(Scope.PORTFOLIO)
def health_page(request):
    fmt = _format(request)
    choices = _choices(request)
    enterprise_set = _enterprise_set(request, choices)
    rollup = []
    if choices.period and choices.supervisor is not None:
        rollup = unit_figures(
            request.user,
            choices.form,
            choices.period,
            unit_kind=UnitKind.PORTFOLIO,
            data_status=choices.data_status,
            supervisor_id=choices.supervisor.id,
        )
    units = presenters.health_order(
        presenters.ranking_units(
            request.user, choices, UnitKind.ENTERPRISE, groups_only=enterprise_set == "groups"
        )
    )
    if fmt in exports.FORMATS:
        table = presenters.health_table(choices, rollup + units)
        return _export(request, choices, [table] if table else [], "health")
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    table = presenters.health_table(choices, rollup + list(page.object_list))
    context = _context(
        request,
        choices,
        table=table,
        page=page,
        total=len(units),
        enterprise_set=enterprise_set,
        framework=presenters.framework_for(choices),
    )
    return render(request, "indicators/health.html", context)


@scoped(Scope.PORTFOLIO)
def explain_page(request):
    fmt = _format(request)
    choices = _choices(request, strict=("form", "period", "supervisor", "data_status"))
    framework, indicator = _indicator(choices, request.GET.get("code", ""), default="")
    if indicator is None:
        raise Http404
    period = Period.parse(choices.period)
    unit = request.GET.get("unit") or UnitKind.ENTERPRISE
    if unit == UnitKind.ENTERPRISE:
        context, tables, enterprise_id = _explain_enterprise(request, choices, indicator, period)
    elif unit in presenters.ROLLUP_KINDS:
        context, tables = _explain_rollup(request, choices, indicator, period, unit)
        enterprise_id = None
    else:
        raise Http404
    if fmt in exports.FORMATS:
        return _export(request, choices, tables, f"explain-{indicator.code}", enterprise_id)
    context = _context(
        request,
        choices,
        indicator=indicator,
        indicator_name=indicator.name(presenters.language()),
        unit=unit,
        variant=presenters.variant_texts(indicator),
        sorts=presenters.contribution_sorts(),
        tables=tables,
        **context,
    )
    if request.htmx and unit != UnitKind.ENTERPRISE:
        return render(request, "indicators/_contributions.html", context)
    return render(request, "indicators/explain.html", context)


def _explain_enterprise(request, choices: Choices, indicator, period: Period):
    try:
        enterprise_id = int(request.GET.get("enterprise", ""))
    except ValueError:
        raise Http404 from None
    enterprise = get_visible_enterprise(request.user, enterprise_id, period.end)
    scope = request.GET.get("scope") or CONSOLIDATED
    if scope not in (CONSOLIDATED, STANDALONE):
        raise Http404
    explanation = explain_enterprise(
        choices.form, enterprise, period, indicator.code, scope, choices.data_status
    )
    stored = unit_figures(
        request.user,
        choices.form,
        choices.period,
        unit_kind=UnitKind.ENTERPRISE,
        data_status=choices.data_status,
        enterprise_ids=[enterprise.id],
        scope=scope,
    )
    figure = stored[0].figure(indicator.code) if stored else None
    notes = [
        f"{enterprise.name} ({enterprise.identifier}) · {presenters.period_label(choices.period)}",
        presenters.basis_label(choices.form, UnitKind.ENTERPRISE, scope, choices.data_status),
    ]
    tables = [
        presenters.figure_table(
            indicator,
            value=explanation.value,
            status=explanation.status,
            numerator=explanation.numerator,
            denominator=explanation.denominator,
            stored=figure,
            notes=notes,
        ),
        presenters.explanation_table(explanation),
        presenters.variant_table(indicator),
    ]
    context = {
        "enterprise": enterprise,
        "scope": scope,
        "explanation": explanation,
        "stored": figure,
        "notes": notes,
    }
    return context, tables, enterprise.id


def _explain_rollup(request, choices: Choices, indicator, period: Period, unit: str):
    if choices.supervisor is None:
        raise Http404
    unit_code = request.GET.get("unit_code", "")
    figures = presenters.rollup_figures(request.user, choices, unit, unit_code)
    items = contributions(
        choices.form,
        period,
        indicator.code,
        unit_kind=unit,
        supervisor_id=choices.supervisor.id,
        unit_code=unit_code,
        data_status=choices.data_status,
    )
    sort = request.GET.get("sort", "share")
    sort = sort if sort in presenters.CONTRIBUTION_SORTS else "share"
    descending = request.GET.get("order", "desc" if sort != "name" else "asc") == "desc"
    items = presenters.sort_contributions(items, sort, descending)
    stored = figures.figure(indicator.code)
    notes = [
        f"{presenters.unit_name(figures)} · {presenters.period_label(choices.period)}",
        presenters.basis_label(choices.form, unit, figures.scope, choices.data_status),
        _("%(count)s reports") % {"count": figures.members},
    ]
    numerator = _sum([i.numerator for i in items])
    denominator = _sum([i.denominator for i in items])
    tables = [
        presenters.figure_table(
            indicator,
            value=None,
            status=stored.status,
            numerator=numerator,
            denominator=denominator,
            stored=stored,
            notes=notes,
            recomputed=False,
        ),
        presenters.contributions_table(choices, indicator, items),
        presenters.variant_table(indicator),
    ]
    context = {
        "figures": figures,
        "unit_code": unit_code,
        "stored": stored,
        "notes": notes,
        "sort": sort,
        "descending": descending,
        "contributions": items,
    }
    return context, tables


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None
