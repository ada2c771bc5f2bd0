"""What the indicator pages, the .xlsx exports and the API show.

The request's choices (form and so basis, period, data status, supervisor) are read once for
every interface. A figure is formatted once: a missing or undefined value is shown as such, with
its reason, never as 0. Each page is made of `Table`s, which the page renders and the export
writes, so the two always hold the same numbers.
"""

from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guozi.accounts.access import active_memberships
from guozi.accounts.models import ENTERPRISE_ROLES
from guozi.lib.codetables import region
from guozi.lib.periods import Period
from guozi.registry.models import ManagementLink, Supervisor
from guozi.registry.selectors import visible_enterprises
from guozi.reporting.models import Form, ReportScope

from . import health
from .definitions import Framework, IndicatorDef, IndicatorSet
from .explain import Contribution, Explanation
from .frameworks import framework_in_force, framework_of
from .models import DataStatus, UnitKind
from .selectors import (
    Figure,
    Freshness,
    UnitFigures,
    computed_periods,
    freshness,
    rollup_supervisor_ids,
    unit_figures,
)

DEFAULT_FORM = "fast_report"
OK, MISSING, UNDEFINED = 0, 1, 2
STATUS_NAMES = {OK: "ok", MISSING: "missing", UNDEFINED: "undefined"}
ROLLUP_KINDS = (UnitKind.PORTFOLIO, UnitKind.CITY, UnitKind.INDUSTRY, UnitKind.FUNCTION_CLASS)
RANKED_KINDS = (UnitKind.ENTERPRISE, UnitKind.CITY, UnitKind.INDUSTRY, UnitKind.FUNCTION_CLASS)
# How a value is written to a workbook and shown on a page, by the indicator's unit.
VALUE_KINDS = {
    "万元": "amount",
    "元": "amount",
    "亿元": "amount",
    "万元/人": "amount",
    "人": "int",
    "%": "percent",
    "times": "ratio",
    "days": "days",
    "score": "ratio",
}
CONTRIBUTION_SORTS = ("share", "value", "numerator", "denominator", "name")


def language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def status_reason(status: int) -> str:
    if status == UNDEFINED:
        return _("undefined: division by zero")
    return _("missing")


def unit_label(unit: str) -> str:
    labels = {
        "万元": _("10k yuan"),
        "元": _("yuan"),
        "亿元": _("100m yuan"),
        "万元/人": _("10k yuan per person"),
        "人": _("persons"),
        "%": "%",
        "times": _("times"),
        "days": _("days"),
        "score": _("score"),
    }
    return labels.get(unit, unit)


# -- choices -----------------------------------------------------------------------------------


@dataclass
class Choices:
    """The form, period, data status and supervisor a request asks for, checked."""

    form: Form
    forms: list[Form]
    period: str | None
    periods: list[str]
    data_status: str
    supervisor: Supervisor | None  # whose roll-ups are shown; None without roll-up rights
    supervisors: list[Supervisor]
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def year(self) -> int | None:
        return Period.parse(self.period).year if self.period else None

    @property
    def approved_only(self) -> bool:
        return self.data_status == DataStatus.APPROVED

    @cached_property
    def _base(self) -> dict:
        params = {"form": self.form.code, "period": self.period or ""}
        params["data_status"] = self.data_status
        if self.supervisor is not None:
            params["supervisor"] = self.supervisor.id
        return params

    @cached_property
    def _prefix(self) -> str:
        return urlencode(self._base)

    def query(self, **extra) -> str:
        """The query string that asks for the same choices, plus `extra` (a table links every
        figure: the common part is encoded once)."""
        extra = {key: value for key, value in extra.items() if value not in (None, "")}
        if extra.keys() & self._base.keys():
            return urlencode({**self._base, **extra})
        return self._prefix + ("&" + urlencode(extra) if extra else "")


def read_choices(user, params) -> Choices:
    """Read the choices from query parameters; a bad one is named in `problems` and replaced by
    its default (the latest computed period, approved data, the user's own supervisor)."""
    forms = list(Form.objects.order_by("code"))
    problems: dict[str, list[str]] = {}
    code = (params.get("form") or DEFAULT_FORM).strip()
    form = next((f for f in forms if f.code == code), None)
    if form is None:
        problems["form"] = [_("No form has the code %(value)s.") % {"value": code[:40]}]
        form = next((f for f in forms if f.code == DEFAULT_FORM), forms[0] if forms else None)
    if form is None:
        raise LookupError("no report form is loaded")
    periods = computed_periods(form)
    period = periods[0] if periods else None
    raw = (params.get("period") or "").strip()
    if raw:
        try:
            wanted = str(Period.parse(raw))
        except ValueError:
            wanted = None
        if wanted in periods:
            period = wanted
        else:
            problems["period"] = [
                _("%(value)s has no computed figures of %(form)s.")
                % {"value": raw[:20], "form": form.name}
            ]
    data_status = params.get("data_status") or DataStatus.APPROVED
    if data_status not in DataStatus.values:
        problems["data_status"] = [
            _("%(value)s is not a data status; the data statuses are: %(choices)s.")
            % {"value": data_status[:20], "choices": ", ".join(DataStatus.values)}
        ]
        data_status = DataStatus.APPROVED
    supervisors = list(Supervisor.objects.filter(id__in=rollup_supervisor_ids(user)))
    supervisor = _default_supervisor(supervisors)
    asked = (params.get("supervisor") or "").strip()
    if asked:
        found = next((s for s in supervisors if asked in (str(s.id), s.code)), None)
        if found is None:
            problems["supervisor"] = [
                _("No supervisor whose roll-ups you may read has the id or code %(value)s.")
                % {"value": asked[:40]}
            ]
        else:
            supervisor = found
    return Choices(
        form=form,
        forms=forms,
        period=period,
        periods=periods,
        data_status=data_status,
        supervisor=supervisor,
        supervisors=supervisors,
        problems=problems,
    )


def _default_supervisor(supervisors: list[Supervisor]) -> Supervisor | None:
    """The top-most of the supervisors (the user's own, not one below it)."""
    ids = {s.id for s in supervisors}
    tops = [s for s in supervisors if s.parent_id not in ids]
    return min(tops, key=lambda s: s.id) if tops else None


def framework_for(choices: Choices) -> Framework | None:
    """The framework version in force for the chosen period."""
    if choices.period is None:
        return None
    return framework_of(framework_in_force(Period.parse(choices.period)))


def own_enterprise_ids(user) -> list[int]:
    """The enterprises an enterprise user belongs to (the roots of what they see)."""
    return sorted({m.enterprise_id for m in active_memberships(user) if m.role in ENTERPRISE_ROLES})


def group_ids(day: date) -> list[int]:
    """The groups (level-1 enterprises, directly under a supervisor) on `day`."""
    links = ManagementLink.objects.filter(parent_supervisor__isnull=False, valid_from__lte=day)
    links = links.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
    return list(links.values_list("child_id", flat=True))


# -- cells and tables --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One table cell: its text on the page, its value in a workbook (a number in the kind's
    format, or text), a tooltip, a CSS class and a link."""

    text: str
    value: object = None
    kind: str = "text"  # text, int, amount, percent, ratio, days, growth, pp, delta, share
    title: str = ""
    css: str = ""
    link: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


def text_cell(text, link: str = "", title: str = "", css: str = "") -> Cell:
    text = "" if text is None else str(text)
    return Cell(text=text, value=text, title=title, css=css, link=link)


def number_text(value: float, kind: str) -> str:
    if kind == "percent":
        return f"{value * 100:,.2f}%"
    if kind == "int":
        return f"{value:,.0f}"
    if kind == "days":
        return f"{value:,.1f}"
    if kind == "growth":
        return f"{value * 100:+,.2f}%"
    if kind == "pp":
        return _("%(value)s pp") % {"value": f"{value * 100:+,.2f}"}
    if kind == "delta":
        return f"{value:+,.2f}"
    if kind == "share":
        return f"{value * 100:,.2f}%"
    return f"{value:,.2f}"


def number_cell(value: float | None, kind: str, status: int = OK, reason: str = "", **extra):
    """A number, or "—" with the reason it is not one (never 0)."""
    if value is None or status != OK:
        why = reason or status_reason(status if status != OK else MISSING)
        return Cell(text="—", value=why, kind="text", title=why, css="missing", **extra)
    return Cell(text=number_text(value, kind), value=value, kind=kind, **extra)


def value_kind(indicator: IndicatorDef) -> str:
    return VALUE_KINDS.get(indicator.unit, "ratio")


def change_kind(indicator: IndicatorDef) -> str:
    """Growth in % for amounts, percentage points for % ratios, a difference for other rates."""
    if not indicator.is_ratio:
        return "growth"
    return "pp" if indicator.unit == "%" else "delta"


def value_cell(figure: Figure, **extra) -> Cell:
    return number_cell(figure.value, value_kind(figure.indicator), figure.status, **extra)


def prior_cell(figure: Figure) -> Cell:
    return number_cell(figure.prior, value_kind(figure.indicator), figure.prior_status)


def change_cell(figure: Figure) -> Cell:
    kind = change_kind(figure.indicator)
    if figure.value is None or figure.status != OK:
        why = status_reason(figure.status if figure.status != OK else MISSING)
        return number_cell(
            None, kind, reason=_("no comparison: the figure is %(why)s") % {"why": why}
        )
    if figure.prior is None or figure.prior_status != OK:
        why = status_reason(figure.prior_status if figure.prior_status != OK else MISSING)
        return number_cell(
            None, kind, reason=_("no comparison: the prior-year figure is %(why)s") % {"why": why}
        )
    if figure.change is None:
        return number_cell(None, kind, reason=_("no growth rate: the prior-year figure is 0"))
    css = "up" if figure.change > 0 else "down" if figure.change < 0 else ""
    better = (figure.change > 0) == (figure.indicator.direction == "higher")
    if css:
        css += " better" if better else " worse"
    return number_cell(figure.change, kind, css=css)


@dataclass
class Table:
    """A table of a page; the export writes each as one sheet."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)

    @property
    def numeric_columns(self) -> set[int]:
        return {i for row in self.rows for i, cell in enumerate(row) if cell.numeric}

    def column(self, header: str) -> list[Cell]:
        index = self.headers.index(header)
        return [row[index] for row in self.rows]


def basis_label(form: Form, unit_kind: str, scope: str, data_status: str) -> str:
    """What a figure is made of: "快报 · 合并 · 已审核数据"."""
    if unit_kind == UnitKind.PORTFOLIO:
        made_of = _("consolidated: the groups added up, lower supervisors not included")
    elif unit_kind in ROLLUP_KINDS:
        made_of = _("standalone: the reports added up, before eliminations")
    else:
        made_of = ReportScope(scope).label if scope in ReportScope.values else scope
    data = _("approved data") if data_status == DataStatus.APPROVED else _("incl. submitted data")
    return " · ".join([str(form.get_basis_display()), str(made_of), str(data)])


def period_label(period: str | None) -> str:
    return Period.parse(period).label(language()) if period else ""


def unit_name(figures: UnitFigures) -> str:
    """The unit's display name; a municipality's city code is named by its province."""
    label = figures.label
    if figures.unit_kind == UnitKind.CITY and label == "市辖区":
        province = region(figures.unit_code[:2] + "0000")
        label = province.name_zh if province else label
    if figures.unit_kind == UnitKind.CITY:
        label = f"{label} ({figures.unit_code})"
    return label


def ordered_indicators(
    framework: Framework, year: int | None
) -> tuple[IndicatorSet | None, list[tuple[IndicatorDef, bool]]]:
    """The set assessed in `year`, and the framework's indicators with that set's first,
    each with whether it is assessed."""
    assessed = framework.set_in_force(year) if year else None
    codes = list(assessed.indicators) if assessed else []
    first = [(framework.by_code[code], True) for code in codes]
    rest = [(i, False) for i in framework.indicators if i.code not in codes]
    return assessed, first + rest


@cache
def path_of(name: str) -> str:
    return reverse(name)


def explain_link(choices: Choices, code: str, figures: UnitFigures) -> str:
    if figures.unit_kind == UnitKind.ENTERPRISE:
        query = choices.query(code=code, enterprise=figures.enterprise_id, scope=figures.scope)
    else:
        # The roll-up's own supervisor, whichever the page was showing.
        query = choices.query(
            code=code,
            unit=figures.unit_kind,
            unit_code=figures.unit_code,
            supervisor=figures.supervisor_id,
        )
    return path_of("indicators:explain") + "?" + query


def rankings_link(choices: Choices, code: str, unit: str = UnitKind.ENTERPRISE) -> str:
    return path_of("indicators:rankings") + "?" + choices.query(code=code, unit=unit)


def enterprise_link(choices: Choices, enterprise_id: int, scope: str = "") -> str:
    url = reverse("indicators:enterprise", args=[enterprise_id])
    return url + "?" + choices.query(scope=scope if scope != ReportScope.CONSOLIDATED else "")


# -- the overview ------------------------------------------------------------------------------


@dataclass
class Overview:
    choices: Choices
    freshness: Freshness | None
    units: list[UnitFigures]
    assessed: IndicatorSet | None
    tables: list[Table]
    health: list[dict]
    own: list = field(default_factory=list)  # an enterprise user's own enterprises

    @property
    def sections(self) -> list[tuple[Table, dict]]:
        return list(zip(self.tables, self.health, strict=True))

    @property
    def assessed_name(self) -> str:
        if self.assessed is None:
            return ""
        return self.assessed.name_en if language() == "en" else self.assessed.name_zh


def overview(user, choices: Choices) -> Overview:
    """The supervisor's portfolio roll-up; for a user without roll-up rights, their own
    enterprises (consolidated)."""
    own = []
    if choices.supervisor is None:
        own = list(visible_enterprises(user).filter(id__in=own_enterprise_ids(user)))
    if choices.period is None:
        return Overview(choices, None, [], None, [], [], own)
    if choices.supervisor is not None:
        units = unit_figures(
            user,
            choices.form,
            choices.period,
            unit_kind=UnitKind.PORTFOLIO,
            data_status=choices.data_status,
            supervisor_id=choices.supervisor.id,
        )
    else:
        units = unit_figures(
            user,
            choices.form,
            choices.period,
            unit_kind=UnitKind.ENTERPRISE,
            data_status=choices.data_status,
            enterprise_ids=own_enterprise_ids(user),
            scope=ReportScope.CONSOLIDATED,
        )
    assessed = None
    tables = []
    for figures in units:
        assessed, table = _overview_table(choices, figures)
        tables.append(table)
    return Overview(
        choices=choices,
        freshness=freshness(choices.form, choices.period),
        units=units,
        assessed=assessed,
        tables=tables,
        health=[health_summary(figures) for figures in units],
        own=own,
    )


def overview_headers() -> list[str]:
    return [
        _("Indicator"),
        _("Assessed"),
        _("Value"),
        _("Unit"),
        _("Year on year"),
        _("Prior-year comparative"),
        _("Basis and scope"),
        "",
    ]


def _overview_table(choices: Choices, figures: UnitFigures):
    lang = language()
    assessed, indicators = ordered_indicators(figures.framework, choices.year)
    basis = basis_label(choices.form, figures.unit_kind, figures.scope, choices.data_status)
    rows = []
    for indicator, is_assessed in indicators:
        figure = figures.figure(indicator.code)
        ranking_unit = (
            UnitKind.ENTERPRISE if figures.unit_kind == UnitKind.PORTFOLIO else figures.unit_kind
        )
        rows.append(
            [
                text_cell(indicator.name(lang), title=_note(indicator, lang)),
                text_cell(_("assessed") if is_assessed else "", css="assessed"),
                value_cell(figure, link=explain_link(choices, indicator.code, figures)),
                text_cell(unit_label(indicator.unit)),
                change_cell(figure),
                prior_cell(figure),
                text_cell(basis, css="basis"),
                text_cell(_("Ranking"), link=rankings_link(choices, indicator.code, ranking_unit)),
            ]
        )
    notes = [
        f"{unit_name(figures)} · {period_label(choices.period)}",
        basis,
    ]
    if assessed:
        name = assessed.name_en if lang == "en" else assessed.name_zh
        notes.append(_("Assessed in %(year)s: %(set)s") % {"year": choices.year, "set": name})
    table = Table(
        key="overview",
        title=unit_name(figures),
        headers=overview_headers(),
        rows=rows,
        notes=notes,
    )
    return assessed, table


def _note(indicator: IndicatorDef, lang: str) -> str:
    return indicator.note_en if lang == "en" else indicator.note_zh


# -- rankings ----------------------------------------------------------------------------------


@dataclass
class Ranked:
    rank: int | None
    figures: UnitFigures
    figure: Figure


def rank(units: list[UnitFigures], code: str) -> list[Ranked]:
    """Best first in the indicator's direction; missing and undefined last; equal values share
    a rank (1, 2, 2, 4)."""

    def present(figures: UnitFigures) -> Figure | None:
        figure = figures.figure(code)
        return figure if figure.status == OK and figure.value is not None else None

    def key(figures: UnitFigures):
        figure = present(figures)
        if figure is None:
            return (1, 0.0, unit_name(figures))
        value = -figure.value if figure.indicator.direction == "higher" else figure.value
        return (0, value, unit_name(figures))

    found, previous, place = [], None, 0
    for position, figures in enumerate(sorted(units, key=key), start=1):
        figure = figures.figure(code)
        if present(figures) is None:
            found.append(Ranked(None, figures, figure))
            continue
        if figure.value != previous:
            place, previous = position, figure.value
        found.append(Ranked(place, figures, figure))
    return found


def ranking_units(user, choices: Choices, unit: str, *, groups_only: bool) -> list[UnitFigures]:
    """The units to rank: enterprises (consolidated; the groups only, or all the user sees), or
    the roll-ups of the chosen supervisor (none for a user without roll-up rights)."""
    if choices.period is None:
        return []
    supervisor_id = choices.supervisor.id if choices.supervisor else None
    if unit == UnitKind.ENTERPRISE:
        ids = group_ids(Period.parse(choices.period).end) if groups_only else None
        return unit_figures(
            user,
            choices.form,
            choices.period,
            unit_kind=UnitKind.ENTERPRISE,
            data_status=choices.data_status,
            supervisor_id=supervisor_id,
            enterprise_ids=ids,
            scope=ReportScope.CONSOLIDATED,
        )
    if supervisor_id is None:
        return []
    return unit_figures(
        user,
        choices.form,
        choices.period,
        unit_kind=unit,
        data_status=choices.data_status,
        supervisor_id=supervisor_id,
    )


def ranking_headers(unit: str) -> list[str]:
    headers = [_("Rank"), UnitKind(unit).label, _("Value"), _("Year on year")]
    headers += [_("Prior-year comparative")]
    if unit != UnitKind.ENTERPRISE:
        headers.append(_("Reports"))
    return headers


def ranking_table(choices: Choices, indicator: IndicatorDef, unit: str, ranked: list[Ranked]):
    rows = []
    for item in ranked:
        figures = item.figures
        link = ""
        if figures.unit_kind == UnitKind.ENTERPRISE:
            link = enterprise_link(choices, figures.enterprise_id)
        row = [
            Cell(str(item.rank), item.rank, "int") if item.rank else text_cell(""),
            text_cell(unit_name(figures), link=link),
            value_cell(item.figure, link=explain_link(choices, indicator.code, figures)),
            change_cell(item.figure),
            prior_cell(item.figure),
        ]
        if unit != UnitKind.ENTERPRISE:
            row.append(Cell(str(figures.members), figures.members, "int"))
        rows.append(row)
    lang = language()
    scope = ReportScope.CONSOLIDATED if unit == UnitKind.ENTERPRISE else ReportScope.STANDALONE
    return Table(
        key="ranking",
        title=f"{indicator.name(lang)} ({unit_label(indicator.unit)})",
        headers=ranking_headers(unit),
        rows=rows,
        notes=[
            f"{indicator.name(lang)} · {period_label(choices.period)}",
            basis_label(choices.form, unit, scope, choices.data_status),
            _("Higher is better") if indicator.direction == "higher" else _("Lower is better"),
        ],
    )


# -- the health check --------------------------------------------------------------------------


def zone_name(framework: Framework, rating: int | None) -> str:
    check = framework.health
    if rating is None or check is None:
        return ""
    names = check.zones_en if language() == "en" else check.zones_zh
    return names[rating - 1] if 0 < rating <= len(names) else str(rating)


def altman_zone_name(framework: Framework, score: float | None) -> tuple[int | None, str]:
    check = framework.health
    if check is None or check.altman is None:
        return None, ""
    zone = health.altman_zone(score, check.altman.zones)
    if zone is None:
        return None, ""
    names = check.altman.zones_en if language() == "en" else check.altman.zones_zh
    return zone, names[zone]


def health_summary(figures: UnitFigures) -> dict:
    score, rating = figures.rating()
    altman = figures.figure("altman_z") if "altman_z" in figures.framework.by_code else None
    zone, zone_label = altman_zone_name(figures.framework, altman.value if altman else None)
    return {
        "label": unit_name(figures),
        "score": score,
        "rating": rating,
        "zone": zone_name(figures.framework, rating),
        "altman": altman.value if altman else None,
        "altman_status": altman.status if altman else MISSING,
        "altman_zone": zone,
        "altman_zone_name": zone_label,
    }


def health_headers(framework: Framework) -> list[str]:
    lang = language()
    check = framework.health
    headers = [_("Unit")]
    for ratio in check.ratios if check else ():
        name = ratio.name(lang)
        headers.append(name if ratio.enabled else _("%(name)s (not scored)") % {"name": name})
    altman = check.altman if check else None
    altman_name = (altman.name_en if lang == "en" else altman.name_zh) if altman else ""
    headers += [_("Score"), _("Rating"), altman_name or _("Altman Z″"), _("Altman zone")]
    return headers


def health_row(choices: Choices, figures: UnitFigures) -> list[Cell]:
    lang = language()
    bands = figures.bands()
    link = ""
    if figures.unit_kind == UnitKind.ENTERPRISE:
        link = enterprise_link(choices, figures.enterprise_id)
    row = [text_cell(unit_name(figures), link=link)]
    for ratio in figures.framework.health.ratios:
        banded = bands[ratio.code]
        figure = figures.figure(ratio.code)
        title, css = "", "band-none"
        if banded.band is not None:
            css = f"band band-{banded.band}"
            title = _("band %(band)s of 5") % {"band": banded.band}
        if banded.forced:
            title = _("band 5: %(reason)s") % {
                "reason": ratio.worst_en if lang == "en" else ratio.worst_zh
            }
            css += " forced"
        if not ratio.enabled:
            css += " not-scored"
        cell = value_cell(figure, link=explain_link(choices, ratio.code, figures))
        if banded.forced and cell.kind == "text":
            cell = Cell(text="—", value=title, title=title, css=css, link=cell.link)
        elif cell.kind != "text":
            cell = Cell(cell.text, cell.value, cell.kind, title, css, cell.link)
        row.append(cell)
    summary = health_summary(figures)
    score, rating = summary["score"], summary["rating"]
    row.append(number_cell(score, "ratio", reason=_("no ratio has a band")))
    row.append(
        text_cell(
            f"{rating} {summary['zone']}" if rating else "—",
            css=f"band band-{rating}" if rating else "missing",
            title="" if rating else _("no ratio has a band"),
        )
    )
    row.append(number_cell(summary["altman"], "ratio", summary["altman_status"]))
    zone = summary["altman_zone"]
    row.append(text_cell(summary["altman_zone_name"], css=f"altman altman-{zone}"))
    return row


def health_table(choices: Choices, units: list[UnitFigures]) -> Table | None:
    if not units or units[0].framework.health is None:
        return None
    framework = units[0].framework
    check = framework.health
    lang = language()
    notes = [
        f"{check.name_en if lang == 'en' else check.name_zh} · {period_label(choices.period)}",
        basis_label(
            choices.form, UnitKind.ENTERPRISE, ReportScope.CONSOLIDATED, choices.data_status
        ),
        _("Bands 1 (best) to 5 (worst); the score is the mean band of the scored ratios."),
    ]
    return Table(
        key="health",
        title=check.name_en if lang == "en" else check.name_zh,
        headers=health_headers(framework),
        rows=[health_row(choices, figures) for figures in units],
        notes=notes,
    )


def health_order(units: list[UnitFigures]) -> list[UnitFigures]:
    """Worst overall score first, units without a score last."""

    def key(figures: UnitFigures):
        score, _rating = figures.rating()
        return (score is None, -(score or 0), unit_name(figures))

    return sorted(units, key=key)


# -- one enterprise over time ------------------------------------------------------------------


def series_table(
    choices: Choices, enterprise, scope: str, series: list[UnitFigures]
) -> tuple[Table, dict]:
    """Indicators × periods, and the chart data (values in the unit shown: % as percent)."""
    lang = language()
    periods = [figures.run.period for figures in series]
    framework = series[-1].framework if series else None
    indicators = list(framework.all_indicators) if framework else []
    rows, charts = [], []
    for indicator in indicators:
        row = [text_cell(indicator.name(lang)), text_cell(unit_label(indicator.unit))]
        points = []
        for figures in series:
            if indicator.code not in figures.framework.by_code:
                row.append(number_cell(None, value_kind(indicator)))
                points.append(None)
                continue
            figure = figures.figure(indicator.code)
            row.append(value_cell(figure))
            shown = figure.value if figure.status == OK else None
            if shown is not None:
                shown = round(shown * 100, 4) if indicator.unit == "%" else round(shown, 6)
            points.append(shown)
        rows.append(row)
        charts.append(
            {
                "code": indicator.code,
                "name": indicator.name(lang),
                "unit": unit_label(indicator.unit),
                "points": points,
                "reasons": [
                    "" if p is not None else status_reason(_status_at(series, indicator, i))
                    for i, p in enumerate(points)
                ],
            }
        )
    table = Table(
        key="series",
        title=enterprise.name,
        headers=[_("Indicator"), _("Unit"), *[period_label(p) for p in periods]],
        rows=rows,
        notes=[
            f"{enterprise.name} ({enterprise.identifier})",
            basis_label(choices.form, UnitKind.ENTERPRISE, scope, choices.data_status),
        ],
    )
    return table, {"periods": periods, "charts": charts}


def _status_at(series: list[UnitFigures], indicator: IndicatorDef, index: int) -> int:
    figures = series[index]
    if indicator.code not in figures.framework.by_code:
        return MISSING
    return figures.figure(indicator.code).status or MISSING


# -- explaining a figure -----------------------------------------------------------------------


def variant_texts(indicator: IndicatorDef) -> dict:
    variant = indicator.variant or {}
    en = language() == "en"
    return {
        "chosen": variant.get("chosen_en" if en else "chosen_zh", ""),
        "why": variant.get("why_en" if en else "why_zh", ""),
        "alternatives": list(variant.get("alternatives") or []),
        "note": indicator.note_en if en else indicator.note_zh,
    }


def figure_table(
    indicator: IndicatorDef,
    *,
    value: float | None,
    status: int,
    numerator: float | None,
    denominator: float | None,
    stored: Figure | None,
    notes: list[str],
    recomputed: bool = True,
) -> Table:
    """The figure explained: formula, numerator, denominator, value (recomputed from the
    reports as they are now, for an enterprise), and the figure as computed and stored. A
    roll-up's numerator and denominator are the sums over its reports."""
    kind = value_kind(indicator)
    rows = [
        [text_cell(_("Indicator")), text_cell(indicator.name(language()))],
        [text_cell(_("Formula")), text_cell(indicator.formula, css="code")],
    ]
    if indicator.numerator is not None:
        if recomputed:
            names = (_("Numerator"), _("Denominator"))
        else:
            names = (_("Numerator, summed over the reports"), _("Denominator, summed"))
        rows.append([text_cell(names[0]), number_cell(numerator, "amount")])
        rows.append([text_cell(names[1]), number_cell(denominator, "amount")])
    if recomputed:
        rows.append([text_cell(_("Value, recomputed now")), number_cell(value, kind, status)])
    if stored is not None:
        rows.append([text_cell(_("Value, as computed and stored")), value_cell(stored)])
        rows.append([text_cell(_("Year on year")), change_cell(stored)])
        rows.append([text_cell(_("Prior-year comparative")), prior_cell(stored)])
    return Table(
        key="figure",
        title=indicator.name(language()),
        headers=[_("Item"), _("Value")],
        rows=rows,
        notes=notes,
    )


def variant_table(indicator: IndicatorDef) -> Table:
    """The definition chosen where sources differ, and why (for the workbook; the page shows
    it above the figure)."""
    variant = variant_texts(indicator)
    rows = [[text_cell(_("Formula")), text_cell(indicator.formula)]]
    if variant["note"]:
        rows.append([text_cell(_("Note")), text_cell(variant["note"])])
    if variant["chosen"]:
        rows.append([text_cell(_("Variant chosen")), text_cell(variant["chosen"])])
        rows.append([text_cell(_("Why")), text_cell(variant["why"])])
        for alternative in variant["alternatives"]:
            rows.append([text_cell(_("Alternative")), text_cell(alternative)])
    return Table(
        key="definition",
        title=_("Definition"),
        headers=[_("Item"), _("Text")],
        rows=rows,
    )


def explanation_table(explanation: Explanation) -> Table:
    rows = []
    for item in explanation.inputs:
        source = item.source
        if source is None:
            where = [text_cell(""), text_cell(""), text_cell(""), text_cell(""), text_cell("")]
        else:
            where = [
                text_cell(
                    f"#{source.submission_id}",
                    link=reverse("reporting:submission", args=[source.submission_id]),
                ),
                text_cell(source.period),
                text_cell(ReportScope(source.scope).label),
                text_cell(_column_label(source.column)),
                text_cell(
                    _("from an earlier filing") if source.fallback else "",
                    title=_("The column was empty: the same period of an earlier filing stands in.")
                    if source.fallback
                    else "",
                ),
            ]
        rows.append(
            [
                text_cell(item.label),
                text_cell(item.key, css="code"),
                number_cell(item.value, "amount"),
                *where,
            ]
        )
    return Table(
        key="inputs",
        title=_("Inputs"),
        headers=[
            _("Input"),
            _("Name in the formula"),
            _("Value"),
            _("Report"),
            _("Period"),
            _("Scope"),
            _("Column"),
            _("Note"),
        ],
        rows=rows,
    )


def _column_label(column: str) -> str:
    labels = {
        "current": _("current"),
        "prior_year": _("prior-year same period"),
        "opening": _("opening"),
    }
    return str(labels.get(column, column))


def contribution_sorts() -> list[tuple[str, str]]:
    return [
        ("share", _("Share")),
        ("value", _("Value")),
        ("numerator", _("Numerator")),
        ("denominator", _("Denominator")),
        ("name", _("Name")),
    ]


def sort_contributions(items: list[Contribution], sort: str, descending: bool):
    if sort not in CONTRIBUTION_SORTS:
        sort = "share"
    if sort == "name":
        ordered = sorted(items, key=lambda c: c.name, reverse=descending)
        return ordered
    present = [c for c in items if getattr(c, sort) is not None]
    absent = [c for c in items if getattr(c, sort) is None]
    present.sort(key=lambda c: getattr(c, sort), reverse=descending)
    return present + absent


def contributions_table(
    choices: Choices, indicator: IndicatorDef, items: list[Contribution]
) -> Table:
    kind = value_kind(indicator)
    rows = [
        [
            text_cell(item.name, link=enterprise_link(choices, item.enterprise_id, item.scope)),
            text_cell(ReportScope(item.scope).label),
            number_cell(item.value, kind),
            number_cell(item.numerator, "amount"),
            number_cell(item.denominator, "amount"),
            number_cell(item.share, "share"),
        ]
        for item in items
    ]
    return Table(
        key="contributions",
        title=_("Contributing enterprises"),
        headers=[
            _("Enterprise"),
            _("Scope"),
            _("Value"),
            _("Numerator"),
            _("Denominator"),
            _("Share"),
        ],
        rows=rows,
    )


def rollup_figures(user, choices, unit: str, unit_code: str):
    """The stored figures of one roll-up the user may read; Http404 for any other."""
    from django.http import Http404

    if choices.supervisor is None:
        raise Http404
    unit_code = "" if unit == UnitKind.PORTFOLIO else unit_code
    for figures in unit_figures(
        user,
        choices.form,
        choices.period,
        unit_kind=unit,
        data_status=choices.data_status,
        supervisor_id=choices.supervisor.id,
    ):
        if figures.unit_code == unit_code:
            return figures
    raise Http404
