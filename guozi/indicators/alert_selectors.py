"""Scoped reads for the alert pages and API: alerts, targets with their progress, debt-ratio
lines, alert rules with their switches and back-tests, stress tests.

Who reads what:
- alerts: supervisor roles those of their supervisor and of the supervisors below it; everyone
  the alerts of the enterprises they may read (`visible_enterprises`);
- targets, lines and rule switches of a supervisor: those who may read its portfolio
  (`readable_supervisors`), each group row only where the group is visible to them;
- back-tests run over a supervisor's whole portfolio, so only its supervisor roles and those
  above it run them (`rollup_supervisor_ids`).
Whether someone may change a supervisor's alerts and settings is `can_manage`: its analysts and
reviewers, the same rule the services enforce.
"""

import math
from dataclasses import dataclass, field, fields
from datetime import date

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guozi.ledgers.permissions import managed_supervisor_ids
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden, NotFound
from guozi.lib.models import pick_language
from guozi.lib.periods import Period
from guozi.registry.directory import search_condition
from guozi.registry.models import Enterprise, ManagementLink, Supervisor
from guozi.registry.selectors import readable_supervisors, visible_enterprises
from guozi.reporting.models import Form, ReportScope

from . import services
from .definitions import AlertRuleDef, Framework, IndicatorDef, IndicatorSet, Scenario
from .frameworks import framework_in_force, framework_of
from .lines import FIXED_LINES, DebtLines, fixed_type
from .models import (
    Alert,
    AlertRuleSwitch,
    AlertStatus,
    IndicatorFramework,
    IndustryBaseline,
    Severity,
    Target,
    UnitKind,
)
from .selectors import computed_periods, rollup_supervisor_ids, unit_figures

FORM_CODE = "fast_report"
MAX_BACKTEST_PERIODS = 36
SEVERITY_ORDER = (Severity.CRITICAL, Severity.WARNING, Severity.INFO)


def language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def fast_report() -> Form:
    return get_object_or_404(Form, code=FORM_CODE)


# -- the framework's rules -----------------------------------------------------------------------


def alert_framework() -> IndicatorFramework | None:
    """The framework version whose rules are switched (the latest loaded, as `rule_switch`)."""
    return (
        IndicatorFramework.objects.filter(code=services.DEFAULT_FRAMEWORK)
        .order_by("-valid_from")
        .first()
    )


def alert_rules() -> tuple[AlertRuleDef, ...]:
    loaded = alert_framework()
    return framework_of(loaded).alerts if loaded else ()


def rule_by_code(code: str) -> AlertRuleDef:
    found = next((r for r in alert_rules() if r.code == code), None)
    if found is None:
        raise NotFound(_("No such alert rule: %(code)s") % {"code": code[:60]})
    return found


def rule_names() -> dict[str, str]:
    lang = language()
    return {rule.code: rule.name(lang) for rule in alert_rules()}


# -- supervisors ---------------------------------------------------------------------------------


def can_manage(user, supervisor_id: int | None) -> bool:
    """Whether the user may change the supervisor's alerts, targets, lines and switches."""
    return supervisor_id is not None and supervisor_id in managed_supervisor_ids(user)


def supervisors_for(user) -> list[Supervisor]:
    """The supervisors whose settings the user may read: the ones they manage first."""
    managed = managed_supervisor_ids(user)
    found = list(readable_supervisors(user).order_by("id"))
    return sorted(found, key=lambda s: (s.id not in managed, s.parent_id is not None, s.id))


def chosen_supervisor(user, asked: str | None) -> Supervisor | None:
    """The supervisor asked for (id or code) if the user may read it, else NotFound; without
    one, the first the user manages or reads."""
    choices = supervisors_for(user)
    asked = (asked or "").strip()
    if not asked:
        return choices[0] if choices else None
    found = next((s for s in choices if asked in (str(s.id), s.code)), None)
    if found is None:
        raise NotFound(
            _("No supervisor you may read has the id or code %(value)s.") % {"value": asked[:40]}
        )
    return found


def groups_of(supervisor: Supervisor, year: int) -> list[Enterprise]:
    """The groups (level-1 enterprises) of the supervisor at the end of the year, or today for
    the current and later years."""
    day = min(date(year, 12, 31), clock.today())
    links = ManagementLink.objects.filter(parent_supervisor=supervisor, valid_from__lte=day)
    links = links.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
    return list(Enterprise.objects.filter(id__in=links.values("child_id")).order_by("id"))


def visible_groups(user, supervisor: Supervisor, year: int) -> list[Enterprise]:
    visible = set(visible_enterprises(user).values_list("id", flat=True))
    return [group for group in groups_of(supervisor, year) if group.id in visible]


# -- alerts --------------------------------------------------------------------------------------


def visible_alerts(user) -> QuerySet[Alert]:
    condition = Q(enterprise__in=visible_enterprises(user))
    supervisors = rollup_supervisor_ids(user)
    if supervisors:
        condition |= Q(supervisor_id__in=supervisors)
    return Alert.objects.filter(condition)


def get_visible_alert(user, alert_id: int) -> Alert:
    """The alert if the user may read it; else 404, the same answer as for no such id."""
    return get_object_or_404(
        visible_alerts(user).select_related("enterprise", "supervisor", "rectification"),
        id=alert_id,
    )


@dataclass
class AlertFilters:
    status: str = ""  # an AlertStatus, or "active" for open and acknowledged
    severity: str = ""
    rule: str = ""
    supervisor: int | None = None
    city: str = ""
    q: str = ""
    period_from: str = ""
    period_to: str = ""

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def filter_alerts(alerts: QuerySet[Alert], filters: AlertFilters) -> QuerySet[Alert]:
    if filters.status == "active":
        alerts = alerts.exclude(status=AlertStatus.CLEARED)
    elif filters.status:
        alerts = alerts.filter(status=filters.status)
    if filters.severity:
        alerts = alerts.filter(severity=filters.severity)
    if filters.rule:
        alerts = alerts.filter(rule=filters.rule)
    if filters.supervisor is not None:
        alerts = alerts.filter(supervisor_id=filters.supervisor)
    if filters.city:
        alerts = alerts.filter(enterprise__city_code=filters.city)
    if filters.q:
        alerts = alerts.filter(
            enterprise__in=Enterprise.objects.filter(search_condition(filters.q))
        )
    # Periods of one type sort as text: an alert counts if it was in breach within the range.
    if filters.period_from:
        alerts = alerts.filter(last_period__gte=filters.period_from)
    if filters.period_to:
        alerts = alerts.filter(first_period__lte=filters.period_to)
    return alerts


def alert_list(user, filters: AlertFilters) -> QuerySet[Alert]:
    """The user's alerts matching the filters: open first, the most severe and most recent
    breach first."""
    status_order = Case(
        When(status=AlertStatus.OPEN, then=Value(0)),
        When(status=AlertStatus.ACKNOWLEDGED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    severity_order = Case(
        *[When(severity=s, then=Value(i)) for i, s in enumerate(SEVERITY_ORDER)],
        default=Value(len(SEVERITY_ORDER)),
        output_field=IntegerField(),
    )
    alerts = filter_alerts(visible_alerts(user), filters)
    return alerts.select_related("enterprise", "supervisor", "rectification").order_by(
        status_order, severity_order, "-last_period", "id"
    )


@dataclass(frozen=True)
class AlertCounts:
    total: int
    by_status: dict[str, int]
    by_severity: dict[str, int]
    by_rule: list[tuple[str, str, int]]  # code, name, count; the most frequent first


def alert_counts(alerts: QuerySet[Alert]) -> AlertCounts:
    alerts = alerts.order_by()
    by_status = dict(alerts.values_list("status").annotate(n=Count("id")))
    by_severity = dict(alerts.values_list("severity").annotate(n=Count("id")))
    names = rule_names()
    by_rule = [
        (code, names.get(code, code), count)
        for code, count in alerts.values_list("rule").annotate(n=Count("id"))
    ]
    by_rule.sort(key=lambda item: (-item[2], item[0]))
    return AlertCounts(
        total=sum(by_status.values()),
        by_status={s: by_status.get(s, 0) for s in AlertStatus.values},
        by_severity={s: by_severity.get(s, 0) for s in Severity.values},
        by_rule=by_rule,
    )


def alert_message(alert: Alert) -> str:
    return pick_language(alert.message_zh, alert.message_en, get_language())


def alert_events(alert: Alert):
    return alert.events.select_related("user").order_by("id")


# -- targets -------------------------------------------------------------------------------------


def framework_for_year(year: int) -> Framework | None:
    try:
        return framework_of(framework_in_force(Period(year, "month", 12)))
    except DomainError:
        return None


def target_indicators(year: int) -> tuple[IndicatorSet | None, list[IndicatorDef]]:
    """The indicator set assessed in the year and its indicators."""
    framework = framework_for_year(year)
    found = framework.set_in_force(year) if framework else None
    if found is None:
        return None, []
    return found, [framework.by_code[code] for code in found.indicators]


def to_display(indicator: IndicatorDef, value: float | None) -> float | None:
    """A stored value (a % ratio as a fraction) as entered and shown (65 for 65%)."""
    if value is None:
        return None
    return value * 100 if indicator.unit == "%" else value


def from_display(indicator: IndicatorDef, value: float) -> float:
    return value / 100 if indicator.unit == "%" else value


def year_periods(form: Form, year: int) -> list[str]:
    """The computed periods of the year, latest first."""
    return [p for p in computed_periods(form) if p.startswith(str(year))]


@dataclass(frozen=True)
class Progress:
    """A figure against its annual target. Amounts are year to date, so they are compared
    with the time elapsed (时间过半、任务过半); ratios with the target itself."""

    value: float | None
    target: float | None
    completion: float | None = None  # amounts: value / target
    gap: float | None = None  # ratios: value - target, in the ratio's unit
    on_track: bool | None = None


def progress(indicator: IndicatorDef, value, target, elapsed: float | None) -> Progress:
    if value is None or target is None:
        return Progress(value, target)
    if indicator.is_ratio:
        on_track = value >= target if indicator.direction == "higher" else value <= target
        return Progress(value, target, gap=value - target, on_track=on_track)
    if target <= 0 or elapsed is None:
        return Progress(value, target)
    completion = value / target
    return Progress(value, target, completion=completion, on_track=completion >= elapsed)


@dataclass
class TargetRow:
    enterprise: Enterprise
    cells: list[Progress]


@dataclass
class TargetGrid:
    supervisor: Supervisor
    year: int
    indicator_set: IndicatorSet | None
    indicators: list[IndicatorDef]
    rows: list[TargetRow]
    period: str | None  # the latest computed period of the year
    elapsed: float | None  # the share of the year that period closes

    @property
    def set_name(self) -> str:
        if self.indicator_set is None:
            return ""
        return pick_language(self.indicator_set.name_zh, self.indicator_set.name_en, language())


def latest_figures(user, form: Form, year: int, enterprise_ids: list[int]):
    """(period, {enterprise id: UnitFigures}) of the latest computed period of the year, the
    enterprises' own (consolidated) figures on approved data."""
    periods = year_periods(form, year)
    if not periods or not enterprise_ids:
        return (periods[0] if periods else None), {}
    found = unit_figures(
        user,
        form,
        periods[0],
        unit_kind=UnitKind.ENTERPRISE,
        enterprise_ids=enterprise_ids,
        scope=ReportScope.CONSOLIDATED,
    )
    return periods[0], {f.enterprise_id: f for f in found}


def target_values(supervisor: Supervisor, year: int) -> dict[tuple[int, str], float]:
    return {
        (enterprise_id, code): value
        for enterprise_id, code, value in Target.objects.filter(
            supervisor=supervisor, year=year
        ).values_list("enterprise_id", "indicator", "value")
    }


def target_grid(user, supervisor: Supervisor, year: int) -> TargetGrid:
    """The supervisor's groups × the indicators assessed in the year: targets and progress."""
    indicator_set, indicators = target_indicators(year)
    groups = visible_groups(user, supervisor, year)
    targets = target_values(supervisor, year)
    period, figures = latest_figures(user, fast_report(), year, [g.id for g in groups])
    elapsed = None
    if period:
        parsed = Period.parse(period)
        elapsed = parsed.index / parsed.per_year
    rows = []
    for group in groups:
        own = figures.get(group.id)
        cells = [
            progress(
                indicator,
                own.values.get(indicator.code) if own else None,
                targets.get((group.id, indicator.code)),
                elapsed,
            )
            for indicator in indicators
        ]
        rows.append(TargetRow(group, cells))
    return TargetGrid(supervisor, year, indicator_set, indicators, rows, period, elapsed)


def target_years(form: Form) -> list[int]:
    """Years worth offering: those with computed figures or targets, this year and the next."""
    this_year = clock.today().year
    years = {int(p[:4]) for p in computed_periods(form)}
    years |= set(Target.objects.values_list("year", flat=True).distinct())
    years |= {this_year, this_year + 1}
    return sorted(years, reverse=True)


def chosen_year(asked: str | None) -> int:
    asked = (asked or "").strip()
    if not asked:
        return clock.today().year
    if not asked.isdigit() or not 2000 <= int(asked) <= 2100:
        raise NotFound(_("%(value)s is not a year.") % {"value": asked[:10]})
    return int(asked)


# -- debt-ratio lines ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupLine:
    enterprise: Enterprise
    industry: str
    fixed_type: str
    lines: tuple[float, float] | None  # warning, key
    debt_ratio: float | None

    @property
    def state(self) -> str:
        """below, warning (above the warning line), key (above the key line), or ""."""
        if self.lines is None or self.debt_ratio is None:
            return ""
        if self.debt_ratio > self.lines[1]:
            return "key"
        return "warning" if self.debt_ratio > self.lines[0] else "below"


@dataclass
class LinesView:
    supervisor: Supervisor
    year: int
    method: str
    baselines: list[IndustryBaseline]
    groups: list[GroupLine]
    period: str | None
    fixed: dict = field(default_factory=lambda: dict(FIXED_LINES))


def baselines_of(supervisor: Supervisor, year: int) -> list[IndustryBaseline]:
    return list(
        IndustryBaseline.objects.filter(supervisor=supervisor, year=year).order_by("industry")
    )


def get_baseline(user, baseline_id: int) -> IndustryBaseline:
    """A baseline of a supervisor the user may read; else 404."""
    readable = [s.id for s in supervisors_for(user)]
    return get_object_or_404(IndustryBaseline, id=baseline_id, supervisor_id__in=readable)


def lines_view(user, supervisor: Supervisor, year: int) -> LinesView:
    """The supervisor's method, its baselines of the year and the lines of its groups, with
    their latest debt ratio of the year."""
    groups = visible_groups(user, supervisor, year)
    period, figures = latest_figures(user, fast_report(), year, [g.id for g in groups])
    lookup = DebtLines()
    rows = []
    for group in groups:
        own = figures.get(group.id)
        rows.append(
            GroupLine(
                enterprise=group,
                industry=group.industry_code,
                fixed_type=fixed_type(group.industry_code or ""),
                lines=lookup.lines(supervisor.id, group.id, year),
                debt_ratio=own.values.get("debt_ratio") if own else None,
            )
        )
    return LinesView(
        supervisor=supervisor,
        year=year,
        method=lookup.method(supervisor.id),
        baselines=baselines_of(supervisor, year),
        groups=rows,
        period=period,
    )


# -- rules, switches and back-tests --------------------------------------------------------------


@dataclass(frozen=True)
class RuleState:
    rule: AlertRuleDef
    enabled: bool
    switch: AlertRuleSwitch | None
    active_alerts: int  # open or acknowledged, of the supervisor

    @property
    def name(self) -> str:
        return self.rule.name(language())


def rule_states(supervisor: Supervisor) -> list[RuleState]:
    """Every rule of the framework, on or off for the supervisor (a rule it never switched is
    as the framework ships it)."""
    loaded = alert_framework()
    if loaded is None:
        return []
    switches = {
        s.rule: s
        for s in AlertRuleSwitch.objects.filter(
            supervisor=supervisor, framework_code=loaded.code
        ).select_related("changed_by")
    }
    active = dict(
        Alert.objects.filter(supervisor=supervisor)
        .exclude(status=AlertStatus.CLEARED)
        .order_by()
        .values_list("rule")
        .annotate(n=Count("id"))
    )
    return [
        RuleState(
            rule=rule,
            enabled=switches[rule.code].enabled if rule.code in switches else rule.enabled,
            switch=switches.get(rule.code),
            active_alerts=active.get(rule.code, 0),
        )
        for rule in framework_of(loaded).alerts
    ]


def backtest_periods(form: Form) -> list[str]:
    """The computed periods a back-test may cover, oldest first."""
    return sorted(computed_periods(form))


def backtest_range(form: Form, period_from: str, period_to: str) -> list[Period]:
    """The computed periods from … to; a bad range is a DomainError naming the field."""
    known = backtest_periods(form)
    problems: dict[str, list[str]] = {}
    for name, value in (("period_from", period_from), ("period_to", period_to)):
        if value not in known:
            problems[name] = [
                _("%(value)s is not a computed period; choose one of %(first)s … %(last)s.")
                % {
                    "value": str(value)[:20] or "—",
                    "first": known[0] if known else "—",
                    "last": known[-1] if known else "—",
                }
            ]
    if problems:
        raise DomainError(_("Choose the periods to back-test."), code="invalid", fields=problems)
    chosen = [Period.parse(p) for p in known if period_from <= p <= period_to]
    if not chosen:
        raise DomainError(
            _("The first period must not be after the last."),
            code="invalid",
            fields={"period_to": [_("Not before the first period.")]},
        )
    if len(chosen) > MAX_BACKTEST_PERIODS:
        raise DomainError(
            _("A back-test covers at most %(count)s periods.") % {"count": MAX_BACKTEST_PERIODS},
            code="invalid",
            fields={"period_from": [_("Choose a shorter range.")]},
        )
    return chosen


def backtest_rule(user, supervisor: Supervisor, rule_code: str, period_from: str, period_to: str):
    """What the rule would have raised in the supervisor's portfolio over the periods (the
    services' back-test), for a supervisor role of that supervisor or one above it."""
    if supervisor.id not in rollup_supervisor_ids(user):
        raise Forbidden(_("Only the supervisor's own staff and those above it run back-tests."))
    rule = rule_by_code(rule_code)
    form = fast_report()
    periods = backtest_range(form, period_from, period_to)
    result = services.backtest(rule=rule, periods=periods, supervisor_id=supervisor.id)
    return {
        **result,
        "rule": rule.code,
        "supervisor": supervisor.id,
        "period_from": str(periods[0]),
        "period_to": str(periods[-1]),
        "periods": [str(p) for p in periods],
    }


def enterprise_names(ids) -> dict[int, str]:
    return {e.id: e.name for e in Enterprise.objects.filter(id__in=list(ids))}


# -- stress tests --------------------------------------------------------------------------------


def scenarios_for(period: str | None) -> list[Scenario]:
    if not period:
        return []
    try:
        return list(framework_of(framework_in_force(Period.parse(period))).scenarios)
    except DomainError:
        return []


# Limits of a shock entered by hand: (field, lowest, highest), in the units entered.
SHOCK_LIMITS = {
    "revenue": (-100.0, 100.0),  # %
    "operating_cost": (-100.0, 200.0),  # %
    "interest_bp": (-1000.0, 5000.0),  # basis points a year
    "one_off_loss": (0.0, 1e12),  # 万元
    "tax_rate": (0.0, 99.99),  # %
}


def custom_scenario(shocks: dict) -> Scenario:
    """A scenario from shocks entered by hand: revenue, operating cost and tax rate in %,
    interest in basis points, the one-off loss in 万元. Every bad value is named at once."""
    problems: dict[str, list[str]] = {}
    values = {}
    for name, (lowest, highest) in SHOCK_LIMITS.items():
        raw = shocks.get(name)
        try:
            value = 25.0 if raw in (None, "") and name == "tax_rate" else float(raw or 0)
        except (TypeError, ValueError):
            problems[name] = [_("Enter a number.")]
            continue
        if not math.isfinite(value) or not lowest <= value <= highest:
            problems[name] = [
                _("Enter a number from %(lowest)s to %(highest)s.")
                % {"lowest": f"{lowest:g}", "highest": f"{highest:g}"}
            ]
            continue
        values[name] = value
    if problems:
        raise DomainError(_("Some shocks are not valid."), code="invalid", fields=problems)
    return Scenario(
        code="custom",
        name_zh="自定义情景",
        name_en="Custom scenario",
        revenue=values["revenue"] / 100,
        operating_cost=values["operating_cost"] / 100,
        interest_bp=values["interest_bp"],
        one_off_loss=values["one_off_loss"],
        tax_rate=values["tax_rate"] / 100,
    )
