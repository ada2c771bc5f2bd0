"""The profile's figures: key figures and their 36-month trend, the assessed indicators against
target and industry peers, and the health rating with its reasons.

All from the computed indicator results (approved data, consolidated scope; a leaf's one report
counts as consolidated), read through the indicators app's scoped selectors and formatted by its
presenters, so a missing figure shows as missing with its reason, never as 0.
"""

import statistics
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from guozi.indicators.alert_selectors import Progress, progress
from guozi.indicators.definitions import IndicatorDef
from guozi.indicators.models import DataStatus, Target, UnitKind
from guozi.indicators.presenters import (
    MISSING,
    OK,
    Cell,
    Table,
    basis_label,
    change_cell,
    change_kind,
    health_summary,
    language,
    number_cell,
    number_text,
    ordered_indicators,
    period_label,
    prior_cell,
    status_reason,
    text_cell,
    unit_label,
    value_cell,
    value_kind,
    zone_name,
)
from guozi.indicators.selectors import UnitFigures, enterprise_series, unit_figures
from guozi.lib.charts import Chart, Series
from guozi.lib.periods import Period
from guozi.registry.selectors import visible_enterprises
from guozi.reporting.models import ReportScope

from .profile import Context, Section

CONSOLIDATED = ReportScope.CONSOLIDATED
KEY_FIGURES = (
    "operating_revenue",
    "total_profit",
    "net_profit",
    "revenue_profit_margin",
    "debt_ratio",
    "roe",
    "rd_intensity",
    "labour_productivity",
    "operating_cash_ratio",
)
TREND_MONTHS = 36
# The median of fewer peers says little; below this the industry roll-up stands in.
MIN_PEERS = 3


# -- reading -----------------------------------------------------------------------------------


def own_figures(context: Context) -> UnitFigures | None:
    """The enterprise's consolidated figures of the period (approved data), read once."""
    if "own" not in context.cache:
        found = []
        if context.form is not None and context.period is not None:
            found = unit_figures(
                context.user,
                context.form,
                context.period,
                unit_kind=UnitKind.ENTERPRISE,
                enterprise_ids=[context.enterprise.id],
                scope=CONSOLIDATED,
            )
        context.cache["own"] = found[0] if found else None
    return context.cache["own"]


def basis_note(context: Context) -> str:
    return basis_label(context.form, UnitKind.ENTERPRISE, CONSOLIDATED, DataStatus.APPROVED)


def period_note(context: Context) -> str:
    return _("Figures of %(period)s, year to date for flows, at the period's end for balances.") % {
        "period": period_label(context.period)
    }


def no_figures_text(context: Context) -> str:
    if context.period is None:
        return _("No figures have been computed yet.")
    return _("No approved figures of this enterprise for %(period)s.") % {
        "period": period_label(context.period)
    }


def indicators_link(context: Context) -> str:
    url = reverse("indicators:enterprise", args=[context.enterprise.id])
    return url + ("?" + urlencode({"period": context.period}) if context.period else "")


def explain_link(context: Context, code: str) -> str:
    query = {
        "form": context.form.code,
        "period": context.period,
        "code": code,
        "enterprise": context.enterprise.id,
        "scope": CONSOLIDATED,
    }
    return reverse("indicators:explain") + "?" + urlencode(query)


def absent_cell(indicator: IndicatorDef, reason: str) -> Cell:
    return number_cell(None, value_kind(indicator), reason=reason)


# -- key figures and trends --------------------------------------------------------------------


def month_flows(months: list[Period], ytd: dict[str, float | None]) -> list[float | None]:
    """Each month's own flow from year-to-date figures: YTD(m) − YTD(m−1), January's is YTD
    itself; None where either figure is missing."""
    flows: list[float | None] = []
    for month in months:
        value = ytd.get(str(month))
        if value is None or month.index == 1:
            flows.append(value)
            continue
        before = ytd.get(str(month.previous()))
        flows.append(None if before is None else value - before)
    return flows


def trend_chart(context: Context) -> Chart | None:
    """Revenue and total profit of each of the last 36 months up to the period."""
    if context.period is None or Period.parse(context.period).type != "month":
        return None
    last = Period.parse(context.period)
    months = [last.shift(-back) for back in range(TREND_MONTHS - 1, -1, -1)]
    wanted = [str(last.shift(-TREND_MONTHS)), *(str(m) for m in months)]
    series = enterprise_series(
        context.user, context.form, context.enterprise, scope=CONSOLIDATED, periods=wanted
    )
    lines = []
    lang = language()
    for code, kind in (("operating_revenue", "bar"), ("total_profit", "line")):
        ytd = {}
        name = code
        for figures in series:
            if code in figures.framework.by_code:
                figure = figures.figure(code)
                name = figure.indicator.name(lang)
                ytd[figures.run.period] = figure.value if figure.status == OK else None
        flows = month_flows(months, ytd)
        lines.append(Series(name, [None if v is None else round(v, 2) for v in flows], kind))
    if not any(value is not None for line in lines for value in line.values):
        return None
    return Chart(
        key="revenue_profit",
        title=_("Revenue and total profit by month"),
        categories=[str(m) for m in months],
        series=lines,
        unit=str(unit_label("万元")),
        notes=[
            _(
                "Each month's own figure: year to date less the month before; January's is its "
                "year to date. A gap is a month without approved figures."
            ),
            basis_note(context),
        ],
    )


def key_figures(context: Context) -> Section:
    own = own_figures(context)
    lang = language()
    rows = []
    if own is not None:
        for code in KEY_FIGURES:
            if code not in own.framework.by_code:
                continue
            figure = own.figure(code)
            rows.append(
                [
                    text_cell(figure.indicator.name(lang)),
                    value_cell(figure, link=explain_link(context, code)),
                    text_cell(unit_label(figure.indicator.unit)),
                    change_cell(figure),
                    prior_cell(figure),
                ]
            )
    chart = trend_chart(context)
    notes = [period_note(context), basis_note(context)] if context.period else []
    if context.period and chart is None:
        notes.append(_("No month of the last 36 has revenue or profit of its own to chart."))
    headers = [_("Figure"), _("Value"), _("Unit"), _("Year on year"), _("Prior-year comparative")]
    return Section(
        key="figures",
        title=_("Key figures and trends"),
        tables=[Table("key_figures", _("Key figures"), headers, rows)],
        charts=[chart] if chart else [],
        notes=notes,
        empty=no_figures_text(context),
        link=indicators_link(context),
    )


# -- against target and peers ------------------------------------------------------------------


def targets_of(context: Context) -> dict[str, float]:
    year = Period.parse(context.period).year
    rows = Target.objects.filter(enterprise=context.enterprise, year=year)
    return dict(rows.values_list("indicator", "value"))


def progress_cell(indicator: IndicatorDef, state: Progress, elapsed: float) -> Cell:
    if state.target is None:
        return text_cell("", title=_("no target set"))
    if state.value is None:
        return number_cell(None, "percent", reason=_("no figure yet"))
    css = "" if state.on_track is None else ("on-track" if state.on_track else "behind")
    if state.completion is not None:
        title = _("%(done)s of the target with %(time)s of the year gone") % {
            "done": number_text(state.completion, "percent"),
            "time": number_text(elapsed, "percent"),
        }
        return Cell(
            number_text(state.completion, "percent"), state.completion, "percent", title, css
        )
    if state.gap is not None:
        kind = change_kind(indicator)
        title = _("on track") if state.on_track else _("behind the target")
        return Cell(number_text(state.gap, kind), state.gap, kind, title, css)
    return text_cell("", title=_("a target of 0 or less has no completion rate"))


class Peers:
    """The industry figure each indicator is compared with, and what it is."""

    def __init__(self, values: dict[str, list[float]], rollup: UnitFigures | None, note: str):
        self.values = values
        self.rollup = rollup
        self.note = note

    def cell(self, indicator: IndicatorDef) -> Cell:
        kind = value_kind(indicator)
        if self.rollup is not None:
            if not indicator.is_ratio:
                return number_cell(
                    None, kind, reason=_("a sum over the industry, not comparable with one")
                )
            return value_cell(self.rollup.figure(indicator.code))
        present = self.values.get(indicator.code) or []
        if len(present) < MIN_PEERS:
            return number_cell(
                None, kind, reason=_("fewer than %(n)s peers with this figure") % {"n": MIN_PEERS}
            )
        return number_cell(statistics.median(present), kind)


def peers(context: Context) -> Peers:
    """The median of the enterprises of the same GB/T 4754 division the user may read (their
    consolidated figures), with at least MIN_PEERS of them; else the industry section's roll-up
    of the enterprise's supervisor, where the user may read roll-ups."""
    enterprise = context.enterprise
    division = enterprise.industry_code[:3]
    found: list[UnitFigures] = []
    if len(division) == 3:
        ids = list(
            visible_enterprises(context.user)
            .filter(industry_code__startswith=division)
            .exclude(id=enterprise.id)
            .values_list("id", flat=True)
        )
        if ids:
            found = unit_figures(
                context.user,
                context.form,
                context.period,
                unit_kind=UnitKind.ENTERPRISE,
                enterprise_ids=ids,
                scope=CONSOLIDATED,
            )
    if len(found) >= MIN_PEERS:
        values: dict[str, list[float]] = {}
        for figures in found:
            for code, value in figures.values.items():
                if value is not None and figures.statuses.get(code, MISSING) == OK:
                    values.setdefault(code, []).append(value)
        note = _(
            "Industry: the median of %(n)s enterprises of division %(division)s (GB/T 4754) that "
            "you may read, their consolidated figures; the enterprise itself not included."
        ) % {"n": len(found), "division": division}
        return Peers(values, None, note)
    rollup = None
    if enterprise.industry_section:
        rollup = next(
            (
                figures
                for figures in unit_figures(
                    context.user,
                    context.form,
                    context.period,
                    unit_kind=UnitKind.INDUSTRY,
                    supervisor_id=enterprise.supervisor_id,
                )
                if figures.unit_code == enterprise.industry_section
            ),
            None,
        )
    if rollup is not None:
        note = _(
            "Industry: fewer than %(n)s peers in division %(division)s, so the roll-up of "
            "section %(section)s of the supervisor's portfolio (standalone reports added up, "
            "before eliminations); amounts are not compared."
        ) % {"n": MIN_PEERS, "division": division or "—", "section": enterprise.industry_section}
        return Peers({}, rollup, note)
    note = _(
        "Industry: no comparison; fewer than %(n)s enterprises of division %(division)s that you "
        "may read have figures, and you may not read the industry roll-up."
    ) % {"n": MIN_PEERS, "division": division or "—"}
    return Peers({}, None, note)


def indicators(context: Context) -> Section:
    own = own_figures(context)
    link = indicators_link(context)
    title = _("Indicators against target and industry")
    headers = [
        _("Indicator"),
        _("Value"),
        _("Unit"),
        _("Year on year"),
        _("Target"),
        _("Progress"),
        _("Industry"),
    ]
    if own is None:
        return Section(
            "indicators",
            title,
            [Table("indicators", title, headers, [])],
            [],
            [],
            no_figures_text(context),
            link,
        )
    period = Period.parse(context.period)
    elapsed = period.index / period.per_year
    assessed, ordered = ordered_indicators(own.framework, period.year)
    if context.condensed and assessed is not None:
        ordered = [(indicator, True) for indicator, is_assessed in ordered if is_assessed]
    targets = targets_of(context)
    industry = peers(context)
    lang = language()
    rows = []
    for indicator, is_assessed in ordered:
        figure = own.figure(indicator.code)
        target = targets.get(indicator.code)
        state = progress(indicator, figure.value if figure.status == OK else None, target, elapsed)
        rows.append(
            [
                text_cell(
                    indicator.name(lang),
                    css="assessed" if is_assessed else "",
                    title=_("assessed") if is_assessed else "",
                ),
                value_cell(figure, link=explain_link(context, indicator.code)),
                text_cell(unit_label(indicator.unit)),
                change_cell(figure),
                number_cell(target, value_kind(indicator))
                if target is not None
                else text_cell("", title=_("no target set")),
                progress_cell(indicator, state, elapsed),
                industry.cell(indicator),
            ]
        )
    notes = [period_note(context), basis_note(context)]
    if assessed is not None:
        name = assessed.name_en if lang == "en" else assessed.name_zh
        notes.append(_("Assessed in %(year)s: %(set)s") % {"year": period.year, "set": name})
    notes += [
        _(
            "Progress: amounts year to date against the annual target (%(time)s of the year "
            "gone); ratios as the gap to the target."
        )
        % {"time": number_text(elapsed, "percent")},
        industry.note,
    ]
    return Section(
        key="indicators",
        title=title,
        tables=[Table("indicators", title, headers, rows)],
        charts=[],
        notes=notes,
        empty=no_figures_text(context),
        link=link,
    )


# -- health ------------------------------------------------------------------------------------


def _ratio_reason(ratio: IndicatorDef, banded, figure, lang: str) -> str:
    if banded.forced:
        return _("band 5: %(reason)s") % {
            "reason": ratio.worst_en if lang == "en" else ratio.worst_zh
        }
    if banded.band is None:
        return _("no band: the figure is %(why)s") % {
            "why": status_reason(figure.status if figure.status != OK else MISSING)
        }
    reason = _("band %(band)s of 5") % {"band": banded.band}
    if not ratio.enabled:
        reason = _("%(reason)s, not scored") % {"reason": reason}
    return reason


def health(context: Context) -> Section:
    own = own_figures(context)
    check = own.framework.health if own is not None else None
    title = _("Health rating")
    link = reverse("indicators:health") + (
        "?" + urlencode({"period": context.period, "enterprises": "all"}) if context.period else ""
    )
    if check is None:
        return Section("health", title, [], [], [], no_figures_text(context), link)
    lang = language()
    bands = own.bands()
    rows = []
    for ratio in check.ratios:
        banded = bands[ratio.code]
        figure = own.figure(ratio.code)
        if context.condensed and not banded.forced and (banded.band or 0) < 4:
            continue
        cell = value_cell(figure, link=explain_link(context, ratio.code))
        if banded.forced and cell.kind == "text":
            cell = text_cell("—", css="missing", title=_ratio_reason(ratio, banded, figure, lang))
        rows.append(
            [
                text_cell(ratio.name(lang)),
                cell,
                Cell(str(banded.band), banded.band, "int", css=f"band band-{banded.band}")
                if banded.band
                else text_cell("—", css="missing"),
                text_cell(_ratio_reason(ratio, banded, figure, lang)),
            ]
        )
    summary = health_summary(own)
    rating = summary["rating"]
    summary_rows = [
        [
            text_cell(_("Score")),
            number_cell(summary["score"], "ratio", reason=_("no ratio has a band")),
        ],
        [
            text_cell(_("Rating")),
            text_cell(f"{rating} {zone_name(own.framework, rating)}", css=f"band band-{rating}")
            if rating
            else number_cell(None, "int", reason=_("no ratio has a band")),
        ],
        [
            text_cell(_("Altman Z″")),
            number_cell(summary["altman"], "ratio", summary["altman_status"]),
        ],
        [text_cell(_("Altman zone")), text_cell(summary["altman_zone_name"])],
    ]
    notes = [
        f"{check.name_en if lang == 'en' else check.name_zh} · {period_label(context.period)}",
        basis_note(context),
        _("Bands 1 (best) to 5 (worst); the score is the mean band of the scored ratios."),
    ]
    if context.condensed:
        notes.append(_("Only the ratios in band 4 or 5 are listed."))
    return Section(
        key="health",
        title=title,
        tables=[
            Table("health_rating", title, [_("Item"), _("Value")], summary_rows),
            Table(
                "health_ratios",
                _("Health-check ratios"),
                [_("Ratio"), _("Value"), _("Band"), _("Reason")],
                rows,
            ),
        ],
        charts=[],
        notes=notes,
        empty=no_figures_text(context),
        link=link,
    )
