"""The cockpit's cards: one function per card, each a `Card` with its numbers as a table and as
a chart (the same numbers), notes saying what they are, and drill-down links.

Cards read only precomputed, indexed data: the indicator results of the roll-ups and of the
enterprises, reform completion from its current table and monthly snapshots, and counts of
alerts, submissions and incidents. Every read is scoped: the view's enterprises are the ones the
user may read (`CockpitState.members`), roll-ups only for the supervisor roles that may read them.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, Subquery, Sum
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.indicators import presenters
from guozi.indicators.alert_selectors import progress, visible_alerts
from guozi.indicators.models import AlertStatus, IndicatorResult, Severity, Target, UnitKind
from guozi.indicators.presenters import Cell, Ranked, Table, number_cell, text_cell
from guozi.indicators.selectors import (
    UnitFigures,
    _runs,
    enterprise_series,
    health_ratings,
    of_runs,
    unit_figures,
    unit_values,
)
from guozi.ledgers.reform import current
from guozi.ledgers.reform import selectors as reform
from guozi.ledgers.reform.completion import Tally
from guozi.ledgers.reform.models import CurrentLevel, CurrentTally
from guozi.ledgers.safety.models import FEN_PER_WAN, IncidentGrade
from guozi.ledgers.safety.selectors import IncidentFilters, statistics_base
from guozi.lib.charts import Chart, Series
from guozi.lib.codetables import industries
from guozi.lib.periods import Period
from guozi.registry.directory import city_name
from guozi.registry.models import Enterprise, FunctionClass, ManagementLink
from guozi.registry.selectors import child_counts_at, children_at, visible_enterprises
from guozi.registry.tree import tree_at
from guozi.reporting.expected import expected_reports
from guozi.reporting.frameworks import definition_of, version_in_force
from guozi.reporting.models import ReportScope, State, Submission

from .state import CockpitState

CONSOLIDATED, STANDALONE = ReportScope.CONSOLIDATED, ReportScope.STANDALONE
REVENUE, PROFIT = "operating_revenue", "total_profit"
TREND_MONTHS = 36
TOP = 5


@dataclass
class Card:
    key: str
    title: str
    table: Table
    chart: Chart | None
    notes: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)


# -- shared pieces -----------------------------------------------------------------------------


def cockpit_link(state: CockpitState, **changes) -> str:
    return reverse("dashboard:cockpit") + "?" + state.query(**changes)


def profile_link(enterprise_id: int) -> str:
    return reverse("profile:enterprise", args=[enterprise_id])


def scope_note(state: CockpitState) -> str:
    """Which enterprises the card counts."""
    parts = []
    if state.choices.supervisor is not None and not state.focus:
        parts.append(state.choices.supervisor.name)
    if state.focus is not None:
        parts.append(state.focus.name)
    if state.city:
        parts.append(city_name(state.city))
    if state.industry:
        section = industries().get(state.industry)
        parts.append(f"{state.industry} {section.name_zh}" if section else state.industry)
    if state.function_class is not None:
        parts.append(state.function_class.name)
    return _("Scope: %(scope)s") % {"scope": " · ".join(parts) or _("your enterprises")}


def period_note(state: CockpitState) -> str:
    return _("Period: %(period)s") % {"period": presenters.period_label(state.period) or "—"}


def data_note(state: CockpitState) -> str:
    return _("approved data") if state.choices.approved_only else _("incl. submitted data")


def chart_number(cell: Cell) -> float | None:
    """The number a chart draws for a cell: a % as percent, other numbers as they are."""
    if not cell.numeric:
        return None
    if cell.kind in ("percent", "share", "growth", "pp"):
        return round(cell.value * 100, 2)
    return round(cell.value, 2)


def framework(state: CockpitState):
    return presenters.framework_for(state.choices)


def _indicator(state: CockpitState, code: str):
    found = framework(state)
    return found.by_code.get(code) if found else None


def _amount_headers() -> list[str]:
    revenue, profit = _("Operating revenue"), _("Total profit")
    return [_("Unit"), f"{revenue} ({_('10k yuan')})", f"{profit} ({_('10k yuan')})", _("Reports")]


# -- the unit the view shows -------------------------------------------------------------------


def focus_figures(state: CockpitState) -> UnitFigures | None:
    """The figures of the view as one unit: the focused enterprise (consolidated), or the
    precomputed roll-up that is exactly the view (portfolio, city, industry or class)."""
    if state.period is None:
        return None
    if state.focus is not None:
        found = unit_figures(
            state.user,
            state.choices.form,
            state.period,
            unit_kind=UnitKind.ENTERPRISE,
            data_status=state.choices.data_status,
            enterprise_ids=[state.focus.id],
            scope=CONSOLIDATED,
        )
        return found[0] if found else None
    rollup = state.rollup()
    if rollup is None:
        return None
    kind, code = rollup
    try:
        return presenters.rollup_figures(state.user, state.choices, kind, code)
    except Http404:
        return None


def focus_note(state: CockpitState, figures: UnitFigures | None) -> str:
    if figures is not None:
        return presenters.basis_label(
            state.choices.form, figures.unit_kind, figures.scope, state.choices.data_status
        )
    if state.rollup() is None and state.focus is None:
        return _(
            "No figure is computed for this combination of filters; choose one of city, "
            "industry or class, or a group."
        )
    return _("No figures computed for this period.")


def figures_card(state: CockpitState) -> Card:
    """The indicator set in force: value, year on year, target and progress."""
    figures = focus_figures(state)
    found = framework(state)
    rows, categories, changes = [], [], []
    targets: dict[str, float] = {}
    if state.focus is not None:
        targets = dict(
            Target.objects.filter(enterprise=state.focus, year=state.year).values_list(
                "indicator", "value"
            )
        )
    elapsed = None
    if state.period:
        parsed = Period.parse(state.period)
        elapsed = parsed.index / parsed.per_year
    if figures is not None and found is not None:
        lang = presenters.language()
        _assessed, indicators = presenters.ordered_indicators(found, state.year)
        for indicator, is_assessed in indicators:
            if not is_assessed and indicators[0][1]:
                continue
            figure = figures.figure(indicator.code)
            kind = presenters.value_kind(indicator)
            target = targets.get(indicator.code)
            reached = progress(indicator, figure.value, target, elapsed)
            change = presenters.change_cell(figure)
            if reached.completion is not None:
                progress_cell = number_cell(reached.completion, "percent")
            elif reached.gap is not None:
                gap_kind = "pp" if indicator.unit == "%" else "delta"
                progress_cell = number_cell(reached.gap, gap_kind)
            else:
                progress_cell = number_cell(None, "percent", reason=_("no target"))
            rows.append(
                [
                    text_cell(indicator.name(lang)),
                    presenters.value_cell(
                        figure, link=presenters.explain_link(state.choices, indicator.code, figures)
                    ),
                    text_cell(presenters.unit_label(indicator.unit)),
                    change,
                    number_cell(target, kind, reason=_("no target")),
                    progress_cell,
                ]
            )
            categories.append(indicator.name(lang))
            changes.append(chart_number(change))
    table = Table(
        key="figures",
        title=_("Indicators in force"),
        headers=[
            _("Indicator"),
            _("Value"),
            _("Unit"),
            _("Year on year"),
            _("Target"),
            _("Progress"),
        ],
        rows=rows,
    )
    chart = Chart(
        key="figures",
        title=_("Year on year"),
        categories=categories,
        series=[Series(_("Year on year, in percent or percentage points"), changes)],
        unit="% / pp",
        horizontal=True,
    )
    notes = [period_note(state), focus_note(state, figures), scope_note(state)]
    if targets or state.focus is not None:
        notes.append(
            _("Progress: amounts year to date against the annual target; ratios as the gap.")
        )
    else:
        notes.append(_("Targets are set per enterprise: choose a group to see them."))
    return Card("figures", table.title, table, chart, notes)


def _month_window(period: str) -> list[str]:
    last = Period.parse(period)
    month = Period.containing(last.end, "month")
    return [str(month.shift(-i)) for i in range(TREND_MONTHS - 1, -1, -1)]


def _rollup_series(state: CockpitState, kind: str, code: str, months: list[str]) -> dict:
    """{period: {indicator: value}} of one roll-up over the months."""
    runs = _runs(state.choices.form, months, state.choices.data_status)
    by_run = {run.id: run for run in runs.values()}
    rows = IndicatorResult.objects.filter(
        run__in=of_runs(runs.values()),
        unit_kind=kind,
        supervisor_id=state.supervisor_id,
        unit_code=code,
    ).values_list("run_id", "values", "statuses")
    found = {}
    for run_id, values, statuses in rows:
        run = by_run[run_id]
        found[run.period] = {
            c: (v if s == "0" else None)
            for c, v, s in zip(run.indicators, values, statuses, strict=False)
        }
    return found


def trend_card(state: CockpitState) -> Card:
    """Operating revenue and total profit, year to date, over 36 months."""
    months = _month_window(state.period) if state.period else []
    points: dict[str, dict] = {}
    figures_basis = ""
    if months and state.focus is not None:
        for figures in enterprise_series(
            state.user,
            state.choices.form,
            state.focus,
            scope=CONSOLIDATED,
            data_status=state.choices.data_status,
            periods=months,
        ):
            points[figures.run.period] = {
                code: figures.values.get(code) if figures.statuses.get(code) == 0 else None
                for code in (REVENUE, PROFIT)
            }
        figures_basis = presenters.basis_label(
            state.choices.form, UnitKind.ENTERPRISE, CONSOLIDATED, state.choices.data_status
        )
    elif months and state.rollup() is not None:
        kind, code = state.rollup()
        points = _rollup_series(state, kind, code, months)
        figures_basis = presenters.basis_label(
            state.choices.form, kind, STANDALONE, state.choices.data_status
        )
    shown = [m for m in months if m in points]
    revenue = [points[m].get(REVENUE) for m in shown]
    profit = [points[m].get(PROFIT) for m in shown]
    rows = [
        [
            text_cell(presenters.period_label(month)),
            number_cell(points[month].get(REVENUE), "amount"),
            number_cell(points[month].get(PROFIT), "amount"),
        ]
        for month in shown
    ]
    table = Table(
        key="trend",
        title=_("Revenue and profit, 36 months"),
        headers=[
            _("Period"),
            f"{_('Operating revenue')} ({_('10k yuan')})",
            f"{_('Total profit')} ({_('10k yuan')})",
        ],
        rows=rows,
    )
    chart = Chart(
        key="trend",
        title=table.title,
        categories=shown,
        series=[
            Series(_("Operating revenue"), [_round(v) for v in revenue], "line"),
            Series(_("Total profit"), [_round(v) for v in profit], "line"),
        ],
        unit=_("10k yuan"),
    )
    notes = [
        period_note(state),
        figures_basis or focus_note(state, None),
        _("Year to date at each month end."),
        scope_note(state),
    ]
    return Card("trend", table.title, table, chart, notes)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# -- breakdowns by city, industry and class ----------------------------------------------------


def member_figures(
    state: CockpitState, ids: list[int] | None = None, codes: list[str] | None = None
) -> list[UnitFigures]:
    """The consolidated figures of the view's enterprises (or of `ids` among them): every
    indicator, or only `codes` (light enough for thousands of enterprises)."""
    if state.period is None:
        return []
    user, form, period = state.user, state.choices.form, state.period
    among = {
        "data_status": state.choices.data_status,
        "enterprise_ids": _members_among(state, ids),
        "scope": CONSOLIDATED,
    }
    if codes is None:
        return unit_figures(user, form, period, unit_kind=UnitKind.ENTERPRISE, **among)
    return unit_values(user, form, period, codes, **among)


def _members_among(state: CockpitState, ids: list[int] | None) -> list[int]:
    """The ids of the view's enterprises (or of `ids` among them). A list, read once per
    request: given the view as a subquery instead, PostgreSQL planned an enterprise user's
    reads badly (seconds at 10,000 enterprises)."""
    if ids is None:
        return state.member_ids
    members = set(state.member_ids)
    return [i for i in ids if i in members]


def standalone_sums(state: CockpitState, key_field: str) -> dict[str, list]:
    """Revenue and profit summed over the view's standalone reports (a leaf's one report
    standing for both scopes), per value of the enterprise's `key_field`:
    {key: [revenue, profit, reports]}."""
    if state.period is None:
        return {}
    members = state.member_ids
    rows = unit_values(
        state.user,
        state.choices.form,
        state.period,
        [REVENUE, PROFIT],
        data_status=state.choices.data_status,
        enterprise_ids=members,
        enterprise_fields=(key_field,),
    )
    parents = set(child_counts_at(members, Period.parse(state.period).end))
    chosen = {}
    for figures in rows:
        if figures.scope == STANDALONE or figures.enterprise_id not in parents:
            chosen[figures.enterprise_id] = figures
    sums: dict[str, list] = defaultdict(lambda: [None, None, 0])
    for figures in chosen.values():
        entry = sums[str(figures.extra[key_field] or "")]
        for index, code in enumerate((REVENUE, PROFIT)):
            value = figures.values.get(code) if figures.statuses.get(code) == 0 else None
            if value is not None:
                entry[index] = (entry[index] or 0) + value
        entry[2] += 1
    return dict(sums)


def breakdown_card(
    state: CockpitState,
    *,
    key: str,
    title: str,
    kind: str,
    key_field: str,
    label_of: Callable[[str], str],
    filter_name: str,
) -> Card:
    """Revenue and profit by city, industry or class, ranked by revenue; each row drills to
    the view narrowed to it."""
    use_rollups = state.supervisor_id is not None and not (
        state.group or state.node or state.industry or state.function_class or state.city
    )
    sums: dict[str, list] = {}
    if use_rollups and state.period:
        for figures in unit_figures(
            state.user,
            state.choices.form,
            state.period,
            unit_kind=kind,
            data_status=state.choices.data_status,
            supervisor_id=state.supervisor_id,
        ):
            sums[figures.unit_code] = [
                figures.values.get(code) if figures.statuses.get(code) == 0 else None
                for code in (REVENUE, PROFIT)
            ] + [figures.members]
    else:
        sums = standalone_sums(state, key_field)
    ordered = sorted(sums.items(), key=lambda item: (item[1][0] is None, -(item[1][0] or 0)))
    rows, categories, revenue, profit = [], [], [], []
    for code, (rev, prof, reports) in ordered:
        label = label_of(code) if code else _("Not recorded")
        link = cockpit_link(state, **{filter_name: code}) if code else ""
        rows.append(
            [
                text_cell(label, link=link),
                number_cell(rev, "amount"),
                number_cell(prof, "amount"),
                Cell(str(reports), reports, "int"),
            ]
        )
        categories.append(label)
        revenue.append(_round(rev))
        profit.append(_round(prof))
    table = Table(key=key, title=title, headers=_amount_headers(), rows=rows)
    chart = Chart(
        key=key,
        title=title,
        categories=categories,
        series=[Series(_("Operating revenue"), revenue), Series(_("Total profit"), profit)],
        unit=_("10k yuan"),
        horizontal=True,
    )
    notes = [
        period_note(state),
        presenters.basis_label(state.choices.form, kind, STANDALONE, state.choices.data_status),
        scope_note(state),
    ]
    return Card(key, title, table, chart, notes)


def _class_name(code: str) -> str:
    found = FunctionClass.objects.filter(id=int(code)).first() if code.isdigit() else None
    return found.name if found else code


def _industry_name(code: str) -> str:
    section = industries().get(code)
    return f"{code} {section.name_zh}" if section else code


# Each breakdown: card key: (roll-up kind, the enterprise's field, the key's label, filter name).
BREAKDOWNS = {
    "cities": (UnitKind.CITY, "city_code", city_name, "city"),
    "industries": (UnitKind.INDUSTRY, "industry_section", _industry_name, "industry"),
    "classes": (UnitKind.FUNCTION_CLASS, "function_class", _class_name, "class"),
}


def breakdown(key: str) -> Callable[[CockpitState], Card]:
    kind, key_field, label_of, filter_name = BREAKDOWNS[key]

    def build_card(state: CockpitState) -> Card:
        title = str(CARDS[key][0])
        return breakdown_card(state, key=key, title=title, kind=kind, key_field=key_field,
                              label_of=label_of, filter_name=filter_name)  # fmt: skip

    return build_card


# -- the next level of the tree, and rankings ----------------------------------------------------


def next_level(state: CockpitState) -> list[int]:
    """The enterprises one level down: the node's or group's children; at a supervisor's
    portfolio, its groups (within the other filters)."""
    day = state.day
    if state.focus is not None:
        below = children_at(day, parent_id=state.focus.id)
    elif state.supervisor_id is not None:
        below = children_at(day, supervisor_id=state.supervisor_id)
    else:
        return []
    return list(below.filter(id__in=state.members.values("id")).values_list("id", flat=True))


def units_card(state: CockpitState) -> Card:
    """The next level of the management tree, each drilling further; at a leaf, its reports."""
    ids = next_level(state)
    if not ids and state.focus is not None:
        return reports_card(state)
    figures = member_figures(state, ids)
    by_id = {f.enterprise_id: f for f in figures}
    names = {e.id: e.name for e in Enterprise.objects.filter(id__in=ids)}
    counts = child_counts_at(ids, state.day)
    ordered = sorted(ids, key=lambda i: -(_value(by_id.get(i), REVENUE) or float("-inf")))
    rows, categories, revenue, profit = [], [], [], []
    drill = "group" if state.focus is None else "node"
    for enterprise_id in ordered:
        found = by_id.get(enterprise_id)
        rev, prof = _value(found, REVENUE), _value(found, PROFIT)
        name = names.get(enterprise_id, str(enterprise_id))
        rows.append(
            [
                text_cell(name, link=profile_link(enterprise_id)),
                number_cell(rev, "amount"),
                number_cell(prof, "amount"),
                Cell(str(counts.get(enterprise_id, 0)), counts.get(enterprise_id, 0), "int"),
                text_cell(_("Drill down"), link=cockpit_link(state, **{drill: enterprise_id})),
            ]
        )
        categories.append(name)
        revenue.append(_round(rev))
        profit.append(_round(prof))
    title = _("Groups") if state.focus is None else _("Subsidiaries")
    table = Table(
        key="units",
        title=title,
        headers=[
            _("Enterprise"),
            f"{_('Operating revenue')} ({_('10k yuan')})",
            f"{_('Total profit')} ({_('10k yuan')})",
            _("Subsidiaries"),
            "",
        ],
        rows=rows,
    )
    chart = Chart(
        key="units",
        title=title,
        categories=categories,
        series=[Series(_("Operating revenue"), revenue), Series(_("Total profit"), profit)],
        unit=_("10k yuan"),
        horizontal=True,
    )
    notes = [
        period_note(state),
        presenters.basis_label(
            state.choices.form, UnitKind.ENTERPRISE, CONSOLIDATED, state.choices.data_status
        ),
        scope_note(state),
    ]
    return Card("units", title, table, chart, notes)


def _value(figures: UnitFigures | None, code: str) -> float | None:
    if figures is None or figures.statuses.get(code) != 0:
        return None
    return figures.values.get(code)


def reports_card(state: CockpitState) -> Card:
    """A leaf's reported cells: its reports of the period, each linking to its cells, and the
    explanation of each figure (from the indicators card)."""
    node = state.focus
    submissions = Submission.objects.filter(
        enterprise=node, form=state.choices.form, period=state.period or ""
    ).order_by("scope")
    rows = [
        [
            text_cell(
                f"#{s.id} {ReportScope(s.scope).label}",
                link=reverse("reporting:submission", args=[s.id]),
            ),
            text_cell(State(s.state).label),
            Cell(str(len(s.cells)), len(s.cells), "int"),
        ]
        for s in submissions
    ]
    table = Table(
        key="units",
        title=_("Reported cells"),
        headers=[_("Report"), _("State"), _("Cells")],
        rows=rows,
    )
    notes = [
        period_note(state),
        scope_note(state),
        _("The enterprise manages no subsidiary: its reports hold the cells behind its figures."),
    ]
    return Card("units", table.title, table, None, notes)


def top_and_bottom(state: CockpitState, code: str) -> list[Ranked]:
    """The ranked units of the view (the groups of a portfolio, or the enterprises of a narrowed
    view) with a value: all of them if they are few, else the top and the bottom ones. All are
    ranked on the one indicator; only the ones shown are read whole."""
    ids = None if state.narrowed else next_level(state)
    ranked = presenters.rank(member_figures(state, ids, codes=[code]), code)
    ranked = [r for r in ranked if r.rank is not None]
    shown = ranked if len(ranked) <= 2 * TOP else ranked[:TOP] + ranked[-TOP:]
    ids = [r.figures.enterprise_id for r in shown]
    whole = {f.enterprise_id: f for f in member_figures(state, ids)}
    return [
        Ranked(r.rank, whole[i], whole[i].figure(code)) for r, i in zip(shown, ids, strict=True)
    ]


def ranking_card(state: CockpitState) -> Card:
    """The top and bottom enterprises for one indicator (`code`, total profit by default):
    the groups of a portfolio, or the enterprises of a narrowed view."""
    indicator = _indicator(state, state.code) or _indicator(state, PROFIT)
    rows, categories, values = [], [], []
    if indicator is not None:
        for position, item in enumerate(top_and_bottom(state, indicator.code)):
            figures = item.figures
            value = presenters.value_cell(item.figure)
            place = _("top") if position < TOP else _("bottom")
            rows.append(
                [
                    Cell(str(item.rank), item.rank, "int"),
                    text_cell(figures.label, link=profile_link(figures.enterprise_id)),
                    value,
                    presenters.change_cell(item.figure),
                    text_cell(place),
                    text_cell(
                        _("Drill down"), link=cockpit_link(state, node=figures.enterprise_id)
                    ),
                ]
            )
            categories.append(figures.label)
            values.append(chart_number(value))
    name = indicator.name(presenters.language()) if indicator else ""
    title = _("Top and bottom: %(indicator)s") % {"indicator": name}
    table = Table(
        key="ranking",
        title=title,
        headers=[_("Rank"), _("Enterprise"), _("Value"), _("Year on year"), "", ""],
        rows=rows,
    )
    chart = Chart(
        key="ranking",
        title=title,
        categories=categories,
        series=[Series(name, values)],
        unit=presenters.unit_label(indicator.unit) if indicator else "",
        horizontal=True,
    )
    notes = [
        period_note(state),
        presenters.basis_label(
            state.choices.form, UnitKind.ENTERPRISE, CONSOLIDATED, state.choices.data_status
        ),
        scope_note(state),
    ]
    links = []
    if indicator is not None:
        links.append((_("Full ranking"), presenters.rankings_link(state.choices, indicator.code)))
    return Card("ranking", title, table, chart, notes, links)


def health_card(state: CockpitState) -> Card:
    """How many enterprises fall in each health-check rating (1 best to 5 worst)."""
    framework_found, ratings = None, Counter()
    if state.period is not None:
        framework_found, ratings = health_ratings(
            state.user,
            state.choices.form,
            state.period,
            data_status=state.choices.data_status,
            enterprise_ids=_members_among(state, None if state.narrowed else next_level(state)),
            scope=CONSOLIDATED,
        )
    framework_found = framework_found or framework(state)
    rows, categories, counts = [], [], []
    for rating in (1, 2, 3, 4, 5, None):
        if framework_found is not None and rating is not None:
            label = f"{rating} {presenters.zone_name(framework_found, rating)}"
        else:
            label = _("No rating")
        rows.append([text_cell(label), Cell(str(ratings[rating]), ratings[rating], "int")])
        categories.append(label)
        counts.append(ratings[rating])
    table = Table(
        key="health",
        title=_("Health-check ratings"),
        headers=[_("Rating"), _("Enterprises")],
        rows=rows,
    )
    chart = Chart(
        key="health",
        title=table.title,
        categories=categories,
        series=[Series(_("Enterprises"), counts)],
    )
    notes = [
        period_note(state),
        _("Groups of the portfolio")
        if not state.narrowed
        else _("Enterprises of the view, consolidated"),
        scope_note(state),
    ]
    links = [(_("Health-check matrix"), reverse("indicators:health") + "?" + state.choices.query())]
    return Card("health", table.title, table, chart, notes, links)


# -- alerts, reform, reporting, safety ---------------------------------------------------------


def alerts_card(state: CockpitState) -> Card:
    """Alerts still open (open or acknowledged) by severity."""
    alerts = visible_alerts(state.user).exclude(status=AlertStatus.CLEARED)
    if state.narrowed:
        alerts = alerts.filter(enterprise_id__in=Subquery(state.members.values("id")))
    else:
        alerts = alerts.filter(supervisor_id=state.supervisor_id)
    counts = {
        (severity, status): n
        for severity, status, n in alerts.values_list("severity", "status")
        .annotate(n=Count("id"))
        .order_by()
    }
    rows, opened, acknowledged = [], [], []
    board = reverse("alerts:board")
    for severity in reversed(Severity.values):
        first = counts.get((severity, AlertStatus.OPEN), 0)
        second = counts.get((severity, AlertStatus.ACKNOWLEDGED), 0)
        query = {"status": "active", "severity": severity}
        if state.city:
            query["city"] = state.city
        link = board + "?" + "&".join(f"{k}={v}" for k, v in query.items())
        rows.append(
            [
                text_cell(Severity(severity).label, link=link),
                Cell(str(first), first, "int"),
                Cell(str(second), second, "int"),
            ]
        )
        opened.append(first)
        acknowledged.append(second)
    table = Table(
        key="alerts",
        title=_("Open alerts by severity"),
        headers=[_("Severity"), _("Open"), _("Acknowledged")],
        rows=rows,
    )
    chart = Chart(
        key="alerts",
        title=table.title,
        categories=[row[0].text for row in rows],
        series=[Series(_("Open"), opened), Series(_("Acknowledged"), acknowledged)],
        stacked=True,
    )
    notes = [_("Alerts not cleared, as of today"), scope_note(state)]
    return Card("alerts", table.title, table, chart, notes, [(_("Alert board"), board)])


def _reform_filters(state: CockpitState) -> reform.Filters:
    return reform.Filters(
        supervisor=state.supervisor_id,
        city=state.city,
        group=state.group.id if state.group else None,
    )


def _reform_by_owner_set(state: CockpitState) -> bool:
    """Whether reform figures must be summed over the view's enterprises (filters the
    reform roll-ups do not have: industry, class, a node below a group)."""
    return bool(state.industry or state.function_class or state.node)


def reform_areas(state: CockpitState) -> dict[tuple[str, str], Tally]:
    """Today's tallies per task area, summed from the current-completion table: the
    supervisors' portfolio rows for a whole portfolio, else the view's enterprises' area rows
    (the same areas as the reform programme's completion page shows)."""
    current.refresh()
    if _reform_by_owner_set(state):
        owners = Q(owner_id__in=Subquery(state.members.values("id")))
        return current.by_area(CurrentTally.objects.filter(owners, level=CurrentLevel.AREA))
    filters = _reform_filters(state)
    narrow = Q(supervisor_id=filters.supervisor) if filters.supervisor else Q()
    supervisors = reform.supervisor_scope(state.user)
    if supervisors and not (filters.city or filters.group):
        portfolios = Q(level=CurrentLevel.SUPERVISOR, supervisor_id__in=supervisors)
        return current.by_area(CurrentTally.objects.filter(narrow, portfolios))
    visible = Q(owner_id__in=Subquery(visible_enterprises(state.user).values("id")))
    places = Q(city_code=filters.city) if filters.city else Q()
    if filters.group:
        places &= Q(group_id=filters.group)
    rows = CurrentTally.objects.filter(visible, narrow, places, level=CurrentLevel.AREA)
    return current.by_area(rows)


def reform_card(state: CockpitState) -> Card:
    """Reform completion by task area, today."""
    names = reform.area_names()
    rows, categories, rates = [], [], []
    link = reverse("reform:completion")
    for key, tally in sorted(reform_areas(state).items()):
        name = names.get(key, "/".join(key))
        rows.append(
            [
                text_cell(name, link=link + f"?programme={key[0]}&area={key[1]}"),
                Cell(str(tally.tasks), tally.tasks, "int"),
                Cell(str(tally.done), tally.done, "int"),
                Cell(str(tally.late), tally.late, "int"),
                number_cell(None if tally.rate is None else tally.rate / 100, "percent"),
            ]
        )
        categories.append(name)
        rates.append(None if tally.rate is None else round(tally.rate, 2))
    table = Table(
        key="reform",
        title=_("Reform completion by area"),
        headers=[_("Area"), _("Tasks"), _("Verified"), _("Late"), _("Complete")],
        rows=rows,
    )
    chart = Chart(
        key="reform",
        title=table.title,
        categories=categories,
        series=[Series(_("Complete"), rates)],
        unit="%",
        horizontal=True,
    )
    notes = [_("As of today; complete is the share of tasks verified."), scope_note(state)]
    return Card("reform", table.title, table, chart, notes, [(_("Reform programme"), link)])


def reform_curve_card(state: CockpitState) -> Card:
    """Reform completion at each month end, per programme."""
    curve = reform.Curve([], {})
    if not _reform_by_owner_set(state):
        tree = tree_at(state.day) if state.group and state.supervisor_id is None else None
        curve = reform.curve(state.user, _reform_filters(state), tree)
    names = reform.programme_names()
    programmes = sorted(curve.by_programme)
    days = [day.isoformat() for day in curve.days]
    rows = []
    for index, day in enumerate(days):
        row = [text_cell(day)]
        for programme in programmes:
            rate = curve.by_programme[programme][index].rate
            row.append(number_cell(None if rate is None else rate / 100, "percent"))
        rows.append(row)
    table = Table(
        key="reform_curve",
        title=_("Reform completion over time"),
        headers=[_("Month end"), *[names.get(p, p) for p in programmes]],
        rows=rows,
    )
    chart = Chart(
        key="reform_curve",
        title=table.title,
        categories=days,
        series=[
            Series(
                names.get(p, p),
                [None if t.rate is None else round(t.rate, 2) for t in curve.by_programme[p]],
                "line",
            )
            for p in programmes
        ],
        unit="%",
    )
    notes = [_("Share of tasks verified at each month end."), scope_note(state)]
    if _reform_by_owner_set(state):
        notes.append(
            _(
                "The curve is kept per supervisor, city and group: industry, class and a node "
                "below a group do not narrow it."
            )
        )
    return Card("reform_curve", table.title, table, chart, notes)


EXPECTED_CACHE: dict[tuple, list] = {}


def expected_of(state: CockpitState) -> list:
    """Who is expected to file the period's form; kept per form, period and registry state
    (the tree and the registry's last change), as working it out reads the whole tree."""
    period = Period.parse(state.period)
    marks = (
        state.choices.form.id,
        str(period),
        ManagementLink.objects.aggregate(last=Max("id"))["last"],
        Enterprise.objects.aggregate(last=Max("updated_at"))["last"],
    )
    if marks not in EXPECTED_CACHE:
        definition = definition_of(version_in_force(state.choices.form, period))
        EXPECTED_CACHE.clear()
        EXPECTED_CACHE[marks] = expected_reports(definition, period)
    return EXPECTED_CACHE[marks]


def reporting_card(state: CockpitState) -> Card:
    """Reporting completeness of the period: expected reports and their states."""
    counts: Counter = Counter()
    if state.period:
        members = set(state.member_ids)
        expected = {
            (e.enterprise_id, e.scope) for e in expected_of(state) if e.enterprise_id in members
        }
        states = dict(
            ((enterprise_id, scope), current_state)
            for enterprise_id, scope, current_state in Submission.objects.filter(
                form=state.choices.form, period=state.period
            )
            .filter(enterprise_id__in=Subquery(state.members.values("id")))
            .values_list("enterprise_id", "scope", "state")
        )
        counts["expected"] = len(expected)
        for key in expected:
            counts[states.get(key, "missing")] += 1
    labels = [
        ("expected", _("Expected")),
        (State.APPROVED, _("Approved")),
        (State.SUBMITTED, _("Submitted, awaiting approval")),
        (State.RETURNED, _("Returned")),
        (State.DRAFT, _("Draft")),
        ("missing", _("Missing")),
    ]
    expected_total = counts["expected"]
    rows = [
        [
            text_cell(label),
            Cell(str(counts[key]), counts[key], "int"),
            number_cell(counts[key] / expected_total if expected_total else None, "share"),
        ]
        for key, label in labels
    ]
    link = reverse("reporting:period") + "?" + state.choices.query()
    table = Table(
        key="reporting",
        title=_("Reporting completeness"),
        headers=[_("Reports"), _("Count"), _("Share")],
        rows=rows,
    )
    chart = Chart(
        key="reporting",
        title=table.title,
        categories=[label for _key, label in labels[1:]],
        series=[Series(_("Reports"), [counts[key] for key, _label in labels[1:]])],
    )
    notes = [period_note(state), state.choices.form.name, scope_note(state)]
    return Card("reporting", table.title, table, chart, notes, [(_("Reports of the period"), link)])


def safety_card(state: CockpitState) -> Card:
    """Safety incidents of the year by grade, with deaths, serious injuries and direct loss."""
    incidents = statistics_base(state.user, IncidentFilters(year=state.year))
    incidents = incidents.filter(item__owner_id__in=Subquery(state.members.values("id")))
    grouped = {
        row["latest__grade"]: row
        for row in incidents.values("latest__grade")
        .annotate(
            n=Count("id"),
            deaths=Sum("latest__deaths"),
            injuries=Sum("latest__serious_injuries"),
            loss=Sum("latest__direct_loss_fen"),
        )
        .order_by()
    }
    rows, categories, counts = [], [], []
    for grade in IncidentGrade:
        row = grouped.get(grade.value, {})
        n = row.get("n", 0)
        loss = (row.get("loss") or 0) / FEN_PER_WAN
        rows.append(
            [
                text_cell(grade.label),
                Cell(str(n), n, "int"),
                Cell(str(row.get("deaths") or 0), row.get("deaths") or 0, "int"),
                Cell(str(row.get("injuries") or 0), row.get("injuries") or 0, "int"),
                number_cell(float(loss), "amount"),
            ]
        )
        categories.append(str(grade.label))
        counts.append(n)
    table = Table(
        key="safety",
        title=_("Safety incidents of the year"),
        headers=[
            _("Grade"),
            _("Incidents"),
            _("Deaths"),
            _("Serious injuries"),
            f"{_('Direct loss')} ({_('10k yuan')})",
        ],
        rows=rows,
    )
    chart = Chart(
        key="safety",
        title=table.title,
        categories=categories,
        series=[Series(_("Incidents"), counts)],
    )
    link = reverse("safety:statistics") + f"?year={state.year}"
    notes = [
        _("Year %(year)s, as of the latest report of each incident") % {"year": state.year},
        scope_note(state),
    ]
    return Card("safety", table.title, table, chart, notes, [(_("Incident statistics"), link)])


# The cards, in the order the page shows them.
CARDS: dict[str, tuple] = {
    "figures": (gettext_lazy("Indicators in force"), figures_card),
    "trend": (gettext_lazy("Revenue and profit, 36 months"), trend_card),
    "units": (gettext_lazy("Next level"), units_card),
    "cities": (gettext_lazy("By city"), breakdown("cities")),
    "industries": (gettext_lazy("By industry"), breakdown("industries")),
    "classes": (gettext_lazy("By function class"), breakdown("classes")),
    "ranking": (gettext_lazy("Top and bottom enterprises"), ranking_card),
    "alerts": (gettext_lazy("Open alerts by severity"), alerts_card),
    "health": (gettext_lazy("Health-check ratings"), health_card),
    "reform": (gettext_lazy("Reform completion by area"), reform_card),
    "reform_curve": (gettext_lazy("Reform completion over time"), reform_curve_card),
    "reporting": (gettext_lazy("Reporting completeness"), reporting_card),
    "safety": (gettext_lazy("Safety incidents of the year"), safety_card),
}


def build(state: CockpitState, key: str) -> Card:
    if key not in CARDS:
        raise Http404
    return CARDS[key][1](state)
