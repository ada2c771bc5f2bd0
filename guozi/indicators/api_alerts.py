"""The REST API of alerts, under /api/v1/alerts/.

Alerts with filters and counts, one alert with its history, acknowledging an alert and opening
the rectification that works it off; annual targets with their progress, and setting them;
debt-ratio lines: the method, the industry baselines and the lines of the groups; the alert
rules with their switches, back-tests and switching; stress tests.

Scoped like the pages, through the same selectors and services: an alert outside the caller's
view is 404 (the same answer as an unknown id), a supervisor they may not read is 404, and only
a supervisor's analysts and reviewers change its alerts and settings (403 otherwise). Ratios are
fractions (0.65 = 65%), amounts in 万元.
"""

from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from guozi.accounts.access import Scope
from guozi.api.auth import api_scope
from guozi.api.convert import enterprise_ref, path_id, supervisor_ref, user_of
from guozi.api.errors import FieldErrors
from guozi.api.schemas import EnterpriseRef, Error, SupervisorRef
from guozi.lib.errors import DomainError, Forbidden
from guozi.lib.periods import Period
from guozi.registry.models import Enterprise
from guozi.registry.selectors import find_by_identifier

from . import alert_selectors as selectors
from . import alert_services, services
from .alert_selectors import AlertFilters
from .lines import FIXED_LINES, guideline_lines
from .models import Alert, AlertStatus, DebtLineMethod, Severity
from .selectors import computed_periods
from .stress import stress_test

router = Router(tags=["alerts"])
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}


# -- bodies ------------------------------------------------------------------------------------


class AlertOut(Schema):
    id: int
    rule: str
    rule_name: str
    severity: str = Field(description="info, warning or critical")
    status: str = Field(description="open, acknowledged or cleared")
    enterprise: EnterpriseRef
    supervisor: SupervisorRef
    first_period: str
    last_period: str = Field(description="the latest period in breach")
    cleared_period: str = Field(description="the period it cleared in; empty while not cleared")
    value: float | None = Field(description="the rule's value in its latest breach")
    message: str = Field(description="in the caller's language")
    message_zh: str
    message_en: str
    raised_at: datetime
    updated_at: datetime
    rectification: int | None = Field(description="the ledger item that works it off")
    can_act: bool = Field(description="you may acknowledge it and open its rectification")


class AlertEventOut(Schema):
    action: str = Field(description="raised, acknowledged, rectification or cleared")
    period: str
    at: datetime
    user: str | None
    note: str


class AlertDetail(AlertOut):
    condition: str
    events: list[AlertEventOut] = Field(description="oldest first")


class RuleCount(Schema):
    rule: str
    name: str
    count: int


class AlertCountsOut(Schema):
    total: int
    by_status: dict[str, int]
    by_severity: dict[str, int]
    by_rule: list[RuleCount] = Field(description="the most frequent first")


class AlertPage(Schema):
    total: int
    limit: int
    offset: int
    counts: AlertCountsOut = Field(description="of every alert matching the filters")
    items: list[AlertOut]


class AcknowledgeIn(Schema):
    note: str = Field("", max_length=500)


class RectifyIn(Schema):
    due_date: date | None = Field(None, description="default: the register's usual term")
    responsible_name: str = Field("", max_length=100)


class ProgressOut(Schema):
    value: float | None = Field(description="the latest figure of the year; amounts year to date")
    target: float | None
    completion: float | None = Field(description="amounts: value / target")
    gap: float | None = Field(description="ratios: value - target")
    on_track: bool | None = Field(
        description="amounts: completion at least the share of the year gone; ratios: the "
        "value on the right side of the target"
    )


class TargetRowOut(Schema):
    enterprise: EnterpriseRef
    targets: dict[str, ProgressOut] = Field(description="by indicator code")


class IndicatorRef(Schema):
    code: str
    name: str
    unit: str
    direction: str


class TargetsOut(Schema):
    supervisor: SupervisorRef
    year: int
    indicator_set: str | None = Field(description="the set assessed in the year")
    indicators: list[IndicatorRef]
    period: str | None = Field(description="the latest computed period of the year")
    elapsed: float | None = Field(description="the share of the year that period closes")
    can_change: bool
    groups: list[TargetRowOut]


class TargetIn(Schema):
    enterprise: str = Field(description="a group: USCC, internal id or CC:number")
    indicator: str
    value: float | None = Field(
        description="in the indicator's unit, ratios as fractions; null removes the target"
    )


class TargetsIn(Schema):
    supervisor: str = Field(description="id or code")
    year: int
    targets: list[TargetIn]


class TargetsSavedOut(Schema):
    created: int
    updated: int
    removed: int
    unchanged: int
    recomputed: list[str] = Field(description="the periods recomputed with the new targets")
    targets: TargetsOut


class BaselineOut(Schema):
    id: int
    industry: str
    baseline: float
    warning_line: float
    key_line: float
    source: str


class GroupLineOut(Schema):
    enterprise: EnterpriseRef
    industry: str
    fixed_type: str = Field(description="industrial, non_industrial or research")
    warning_line: float | None = Field(description="null: no baseline for its industry")
    key_line: float | None
    debt_ratio: float | None
    state: str = Field(description="below, warning, key, or empty without a line or figure")


class LinesOut(Schema):
    supervisor: SupervisorRef
    year: int
    method: str = Field(description="guideline or sasac_fixed")
    fixed_lines: dict[str, list[float]] = Field(description="warning and key line by type")
    unconfirmed: list[str] = Field(description="fixed types whose lines are inferred")
    baselines: list[BaselineOut]
    period: str | None
    can_change: bool
    groups: list[GroupLineOut]


class MethodIn(Schema):
    supervisor: str
    method: str = Field(description="guideline or sasac_fixed")


class BaselineIn(Schema):
    supervisor: str
    year: int
    industry: str = Field(description="a GB/T 4754 section (C) or division (C31)")
    baseline: float = Field(description="a fraction: 0.6 = 60%")
    source: str = ""


class SwitchOut(Schema):
    changed_by: str | None
    changed_at: datetime
    backtest: dict


class RuleOut(Schema):
    code: str
    name: str
    severity: str
    condition: str
    unit: str
    enabled: bool = Field(description="for this supervisor")
    active_alerts: int = Field(description="the supervisor's alerts of the rule not cleared")
    switch: SwitchOut | None


class RulesOut(Schema):
    supervisor: SupervisorRef
    can_change: bool
    rules: list[RuleOut]


class BacktestIn(Schema):
    supervisor: str
    period_from: str
    period_to: str


class BacktestEnterprise(Schema):
    enterprise: EnterpriseRef
    alerts: int


class BacktestOut(Schema):
    rule: str
    supervisor: int
    period_from: str
    period_to: str
    raised: int = Field(description="alerts it would have raised")
    by_period: dict[str, int] = Field(description="alerts raised per period")
    enterprises: list[BacktestEnterprise] = Field(description="the most alerts first")
    open_at_end: int
    evaluated: int


class SwitchIn(Schema):
    supervisor: str
    enabled: bool
    period_from: str = Field("", description="switching on: the back-test's first period")
    period_to: str = Field("", description="switching on: the back-test's last period")


class SwitchedOut(Schema):
    rule: RuleOut
    backtest: BacktestOut | None


class ScenarioOut(Schema):
    code: str
    name: str
    revenue: float = Field(description="a fraction: -0.05 = −5%")
    operating_cost: float
    interest_bp: float
    one_off_loss: float = Field(description="万元")
    tax_rate: float


class OutcomeOut(Schema):
    enterprise: EnterpriseRef
    net_profit: list[float | None] = Field(description="before, after (万元)")
    debt_ratio: list[float | None] = Field(description="before, after")
    lines: list[float] | None = Field(description="warning, key; null without a baseline")
    rating: list[int | None] = Field(description="health rating before, after (1 best)")
    turns_loss: bool
    crosses_warning: bool
    crosses_key: bool
    rating_worse: bool


class StressOut(Schema):
    scenario: ScenarioOut
    period: str
    enterprises: int = Field(description="enterprises tested")
    counts: dict[str, int] = Field(
        description="turns_loss, crosses_warning, crosses_key, rating_worse"
    )
    outcomes: list[OutcomeOut] = Field(description="the enterprises affected")


# -- reading requests --------------------------------------------------------------------------


def visible_alert_in_path(user, *, id, **_params) -> Alert:
    return selectors.get_visible_alert(user, path_id(id))


def _supervisor(user, asked: str):
    found = selectors.chosen_supervisor(user, asked)
    if found is None:
        raise FieldErrors({"supervisor": [_("You may read no supervisor's settings.")]})
    return found


def _choice(name: str, value: str, choices) -> str:
    if value and value not in choices:
        raise FieldErrors(
            {name: [_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}]}
        )
    return value


def _period_text(name: str, value: str) -> str:
    if not value:
        return ""
    try:
        return str(Period.parse(value))
    except ValueError:
        raise FieldErrors(
            {name: [_("%(value)s is not a period; write it like 2026-07.") % {"value": value[:20]}]}
        ) from None


def _run(change):
    try:
        return change()
    except DomainError as error:
        error.fields = {
            name: [messages] if isinstance(messages, str) else list(messages)
            for name, messages in error.fields.items()
        }
        raise


# -- writing answers ---------------------------------------------------------------------------


def alert_out(alert: Alert, names: dict[str, str], managed: set[int]) -> dict:
    return {
        "id": alert.id,
        "rule": alert.rule,
        "rule_name": names.get(alert.rule, alert.rule),
        "severity": alert.severity,
        "status": alert.status,
        "enterprise": enterprise_ref(alert.enterprise),
        "supervisor": supervisor_ref(alert.supervisor),
        "first_period": alert.first_period,
        "last_period": alert.last_period,
        "cleared_period": alert.cleared_period,
        "value": alert.value,
        "message": selectors.alert_message(alert),
        "message_zh": alert.message_zh,
        "message_en": alert.message_en,
        "raised_at": alert.raised_at,
        "updated_at": alert.updated_at,
        "rectification": alert.rectification_id,
        "can_act": alert.supervisor_id in managed,
    }


def alert_detail(user, alert_id: int) -> dict:
    alert = selectors.get_visible_alert(user, alert_id)
    rule = next((r for r in selectors.alert_rules() if r.code == alert.rule), None)
    return {
        **alert_out(alert, selectors.rule_names(), selectors.managed_supervisor_ids(user)),
        "condition": rule.condition if rule else "",
        "events": [
            {
                "action": e.action,
                "period": e.period,
                "at": e.at,
                "user": e.user.get_username() if e.user else None,
                "note": e.note,
            }
            for e in selectors.alert_events(alert)
        ],
    }


def targets_out(user, supervisor, year: int) -> dict:
    grid = selectors.target_grid(user, supervisor, year)
    lang = selectors.language()
    return {
        "supervisor": supervisor_ref(supervisor),
        "year": year,
        "indicator_set": grid.indicator_set.code if grid.indicator_set else None,
        "indicators": [
            {"code": i.code, "name": i.name(lang), "unit": i.unit, "direction": i.direction}
            for i in grid.indicators
        ],
        "period": grid.period,
        "elapsed": grid.elapsed,
        "can_change": selectors.can_manage(user, supervisor.id),
        "groups": [
            {
                "enterprise": enterprise_ref(row.enterprise),
                "targets": {
                    indicator.code: {
                        "value": cell.value,
                        "target": cell.target,
                        "completion": cell.completion,
                        "gap": cell.gap,
                        "on_track": cell.on_track,
                    }
                    for indicator, cell in zip(grid.indicators, row.cells, strict=True)
                },
            }
            for row in grid.rows
        ],
    }


def baseline_out(baseline) -> dict:
    warning, key = guideline_lines(baseline.baseline)
    return {
        "id": baseline.id,
        "industry": baseline.industry,
        "baseline": baseline.baseline,
        "warning_line": warning,
        "key_line": key,
        "source": baseline.source,
    }


def lines_out(user, supervisor, year: int) -> dict:
    view = selectors.lines_view(user, supervisor, year)
    return {
        "supervisor": supervisor_ref(supervisor),
        "year": year,
        "method": view.method,
        "fixed_lines": {kind: list(lines) for kind, lines in FIXED_LINES.items()},
        "unconfirmed": ["research"],
        "baselines": [baseline_out(b) for b in view.baselines],
        "period": view.period,
        "can_change": selectors.can_manage(user, supervisor.id),
        "groups": [
            {
                "enterprise": enterprise_ref(g.enterprise),
                "industry": g.industry,
                "fixed_type": g.fixed_type,
                "warning_line": g.lines[0] if g.lines else None,
                "key_line": g.lines[1] if g.lines else None,
                "debt_ratio": g.debt_ratio,
                "state": g.state,
            }
            for g in view.groups
        ],
    }


def rule_out(state) -> dict:
    switch = state.switch
    return {
        "code": state.rule.code,
        "name": state.name,
        "severity": state.rule.severity,
        "condition": state.rule.condition,
        "unit": state.rule.unit,
        "enabled": state.enabled,
        "active_alerts": state.active_alerts,
        "switch": {
            "changed_by": switch.changed_by.get_username() if switch.changed_by else None,
            "changed_at": switch.changed_at,
            "backtest": switch.backtest,
        }
        if switch
        else None,
    }


def backtest_out(result: dict) -> dict:
    ids = [int(e) for e in result["enterprises"]]
    enterprises = {e.id: e for e in Enterprise.objects.filter(id__in=ids)}
    return {
        **{k: result[k] for k in ("rule", "supervisor", "period_from", "period_to", "raised")},
        "by_period": result["by_period"],
        "enterprises": [
            {"enterprise": enterprise_ref(enterprises[int(e)]), "alerts": count}
            for e, count in result["enterprises"].items()
            if int(e) in enterprises
        ],
        "open_at_end": result["open_at_end"],
        "evaluated": result["evaluated"],
    }


# -- alerts ------------------------------------------------------------------------------------


@router.get("", response={200: AlertPage, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_alerts(
    request,
    status: str = Query("", description="open, acknowledged, cleared, or active (not cleared)"),
    severity: str = Query("", description="info, warning or critical"),
    rule: str = Query("", description="a rule's code"),
    supervisor: str = Query("", description="the alert's supervisor: id or code"),
    city: str = Query("", description="the enterprise's city (a GB/T 2260 code)"),
    q: str = Query("", description="words of the enterprise's name, its pinyin or its USCC"),
    period_from: str = Query("", description="in breach in this period or later"),
    period_to: str = Query("", description="raised in this period or earlier"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    """The alerts you may read: open first, the most severe and most recent first."""
    user = user_of(request)
    problems: dict[str, list[str]] = {}
    checks = [
        ("status", status, ["active", *AlertStatus.values]),
        ("severity", severity, Severity.values),
        ("rule", rule, [r.code for r in selectors.alert_rules()]),
    ]
    for name, value, choices in checks:
        try:
            _choice(name, value, choices)
        except FieldErrors as error:
            problems.update(error.fields)
    supervisor_id = None
    if supervisor:
        try:
            supervisor_id = selectors.chosen_supervisor(user, supervisor).id
        except DomainError as error:
            problems["supervisor"] = [error.message]
    periods = {}
    for name, value in (("period_from", period_from), ("period_to", period_to)):
        try:
            periods[name] = _period_text(name, value)
        except FieldErrors as error:
            problems.update(error.fields)
    if problems:
        raise FieldErrors(problems)
    filters = AlertFilters(
        status=status,
        severity=severity,
        rule=rule,
        supervisor=supervisor_id,
        city=city.strip()[:6],
        q=q.replace("\x00", "").strip()[:100],
        **periods,
    )
    alerts = selectors.alert_list(user, filters)
    counts = selectors.alert_counts(alerts)
    names, managed = selectors.rule_names(), selectors.managed_supervisor_ids(user)
    return {
        "total": counts.total,
        "limit": limit,
        "offset": offset,
        "counts": {
            "total": counts.total,
            "by_status": counts.by_status,
            "by_severity": counts.by_severity,
            "by_rule": [{"rule": c, "name": n, "count": k} for c, n, k in counts.by_rule],
        },
        "items": [alert_out(a, names, managed) for a in alerts[offset : offset + limit]],
    }


@router.get("/{int:id}", response={200: AlertDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_alert_in_path)
def get_alert(request, id: int):
    """One alert with its rule's condition and its history."""
    return alert_detail(user_of(request), path_id(id))


@router.post("/{int:id}/acknowledge", response={200: AlertDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_alert_in_path)
def acknowledge_alert(request, id: int, payload: AcknowledgeIn):
    """The supervisor has seen an open alert (its analysts and reviewers); it stays until its
    condition clears."""
    user = user_of(request)
    alert = visible_alert_in_path(user, id=id)
    _run(lambda: services.alert_acknowledge(acting_user=user, alert=alert, note=payload.note))
    return alert_detail(user, alert.id)


@router.post("/{int:id}/rectify", response={200: AlertDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_alert_in_path)
def rectify_alert(request, id: int, payload: RectifyIn):
    """Open the rectification item that works the alert off (or link the one already open)."""
    user = user_of(request)
    alert = visible_alert_in_path(user, id=id)
    _run(
        lambda: services.alert_rectify(
            acting_user=user,
            alert=alert,
            due_date=payload.due_date,
            responsible_name=payload.responsible_name,
        )
    )
    return alert_detail(user, alert.id)


# -- targets -----------------------------------------------------------------------------------


def _year(value: int) -> int:
    if not 2000 <= value <= 2100:
        raise FieldErrors({"year": [_("Enter a year from 2000 to 2100.")]})
    return value


@router.get("/targets", response={200: TargetsOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_targets(
    request,
    supervisor: str = Query("", description="id or code; default: your own"),
    year: int | None = Query(None, description="default: this year"),
):
    """A supervisor's groups × the indicators assessed in the year: each target with the
    latest figure of the year and whether it is on track."""
    user = user_of(request)
    found = _supervisor(user, supervisor)
    return targets_out(user, found, _year(year or selectors.chosen_year("")))


@router.put("/targets", response={200: TargetsSavedOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def set_targets(request, payload: TargetsIn):
    """Set targets (the supervisor's analysts and reviewers). Every target is checked first and
    nothing is saved unless all are valid; the year's figures and alerts are then recomputed."""
    user = user_of(request)
    found = _supervisor(user, payload.supervisor)
    year = _year(payload.year)
    values, problems = {}, {}
    for index, item in enumerate(payload.targets):
        enterprise = find_by_identifier(item.enterprise)
        if enterprise is None:
            problems[f"targets.{index}.enterprise"] = [
                _("No enterprise has the identifier %(value)s.") % {"value": item.enterprise[:40]}
            ]
            continue
        values[(enterprise.id, item.indicator)] = item.value
    if problems:
        raise FieldErrors(problems)
    try:
        saved = alert_services.targets_set(
            acting_user=user, supervisor=found, year=year, values=values
        )
    except DomainError as error:
        keys = {f"{e}:{c}": i for i, (e, c) in enumerate(values)}
        error.fields = {
            f"targets.{keys.get(name, name)}": list(messages)
            if isinstance(messages, list)
            else [messages]
            for name, messages in error.fields.items()
        }
        raise
    return {
        "created": saved.created,
        "updated": saved.updated,
        "removed": saved.removed,
        "unchanged": saved.unchanged,
        "recomputed": saved.recomputed,
        "targets": targets_out(user, found, year),
    }


# -- debt-ratio lines --------------------------------------------------------------------------


@router.get("/lines", response={200: LinesOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def get_lines(
    request,
    supervisor: str = Query("", description="id or code; default: your own"),
    year: int | None = Query(None, description="default: this year"),
):
    """A supervisor's debt-ratio line method, its industry baselines of the year and the lines
    of its groups with their latest debt ratio."""
    user = user_of(request)
    found = _supervisor(user, supervisor)
    return lines_out(user, found, _year(year or selectors.chosen_year("")))


@router.put("/lines/method", response={200: LinesOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def set_line_method(request, payload: MethodIn):
    """Choose the method: the 2018 guideline (industry baseline +5/+10 points) or SASAC's
    fixed lines by type of enterprise."""
    user = user_of(request)
    found = _supervisor(user, payload.supervisor)
    _choice("method", payload.method, DebtLineMethod.values)
    _run(
        lambda: alert_services.debt_line_method_set(
            acting_user=user, supervisor=found, method=payload.method
        )
    )
    return lines_out(user, found, selectors.chosen_year(""))


@router.put("/lines/baselines", response={200: BaselineOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def set_baseline(request, payload: BaselineIn):
    """Enter or change an industry's baseline debt ratio for a year; the year is recomputed."""
    user = user_of(request)
    found = _supervisor(user, payload.supervisor)
    baseline = _run(
        lambda: alert_services.baseline_set(
            acting_user=user,
            supervisor=found,
            year=payload.year,
            industry=payload.industry,
            baseline=payload.baseline,
            source=payload.source,
        )
    )
    return baseline_out(baseline)


def _visible_baseline(user, *, id, **_params):
    return selectors.get_baseline(user, path_id(id))


@router.delete("/lines/baselines/{int:id}", response={204: None, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=_visible_baseline)
def delete_baseline(request, id: int):
    """Remove a baseline; the year is recomputed."""
    user = user_of(request)
    baseline = _visible_baseline(user, id=id)
    _run(lambda: alert_services.baseline_delete(acting_user=user, baseline=baseline))
    return Status(204, None)


# -- rules -------------------------------------------------------------------------------------


@router.get("/rules", response={200: RulesOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_rules(request, supervisor: str = Query("", description="id or code")):
    """The framework's alert rules, on or off for the supervisor."""
    user = user_of(request)
    found = _supervisor(user, supervisor)
    return {
        "supervisor": supervisor_ref(found),
        "can_change": selectors.can_manage(user, found.id),
        "rules": [rule_out(state) for state in selectors.rule_states(found)],
    }


@router.post("/rules/{code}/backtest", response={200: BacktestOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def backtest_rule(request, code: str, payload: BacktestIn):
    """How many alerts the rule would have raised in the supervisor's portfolio over computed
    past periods, where and when; nothing is stored. For the supervisor's roles and those
    above it."""
    user = user_of(request)
    found = _supervisor(user, payload.supervisor)
    result = _run(
        lambda: selectors.backtest_rule(
            user, found, code, payload.period_from.strip(), payload.period_to.strip()
        )
    )
    return backtest_out(result)


@router.post("/rules/{code}/switch", response={200: SwitchedOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def switch_rule(request, code: str, payload: SwitchIn):
    """Switch a rule on or off for the supervisor (its analysts and reviewers). Switching on
    runs the back-test over `period_from` … `period_to` and keeps its result with the switch."""
    user = user_of(request)
    found = _supervisor(user, payload.supervisor)
    selectors.rule_by_code(code)
    if not selectors.can_manage(user, found.id):
        raise Forbidden(_("Only the supervisor's analysts and reviewers may do this."))
    result = None
    if payload.enabled:
        if not payload.period_from or not payload.period_to:
            raise FieldErrors(
                {"period_from": [_("Switching on needs the periods to back-test over.")]}
            )
        result = _run(
            lambda: selectors.backtest_rule(
                user, found, code, payload.period_from.strip(), payload.period_to.strip()
            )
        )
    _run(
        lambda: services.rule_switch(
            acting_user=user,
            supervisor_id=found.id,
            rule_code=code,
            enabled=payload.enabled,
            backtest_result=result,
        )
    )
    state = next(s for s in selectors.rule_states(found) if s.rule.code == code)
    return {"rule": rule_out(state), "backtest": backtest_out(result) if result else None}


# -- stress tests ------------------------------------------------------------------------------


@router.get("/stress", response={200: StressOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def run_stress_test(
    request,
    scenario: str = Query(..., description="a framework scenario's code, or custom"),
    period: str = Query("", description="a computed period; default: the latest"),
    supervisor: str = Query("", description="only this supervisor's enterprises: id or code"),
    revenue: float | None = Query(None, description="custom: revenue change in %"),
    operating_cost: float | None = Query(None, description="custom: operating cost change in %"),
    interest_bp: float | None = Query(None, description="custom: basis points a year"),
    one_off_loss: float | None = Query(None, description="custom: 万元"),
    tax_rate: float | None = Query(None, description="custom: % (default 25)"),
):
    """A scenario's shocks applied to a period's figures of the enterprises you may read: who
    turns loss-making, crosses a debt-ratio line or falls in health rating."""
    user = user_of(request)
    form = selectors.fast_report()
    periods = computed_periods(form)
    chosen = _period_text("period", period) or (periods[0] if periods else "")
    if chosen not in periods:
        raise FieldErrors({"period": [_("No figures have been computed for this period.")]})
    supervisor_id = _supervisor(user, supervisor).id if supervisor else None
    if scenario == "custom":
        shocks = {
            "revenue": revenue,
            "operating_cost": operating_cost,
            "interest_bp": interest_bp,
            "one_off_loss": one_off_loss,
            "tax_rate": tax_rate,
        }
        picked = _run(lambda: selectors.custom_scenario(shocks))
    else:
        known = {s.code: s for s in selectors.scenarios_for(chosen)}
        _choice("scenario", scenario, [*known, "custom"])
        picked = known[scenario]
    result = stress_test(user, form, picked, Period.parse(chosen), supervisor_id=supervisor_id)
    ids = [o.enterprise_id for o in result.outcomes]
    enterprises = {e.id: e for e in Enterprise.objects.filter(id__in=ids)}
    return {
        "scenario": {
            "code": picked.code,
            "name": picked.name(selectors.language()),
            "revenue": picked.revenue,
            "operating_cost": picked.operating_cost,
            "interest_bp": picked.interest_bp,
            "one_off_loss": picked.one_off_loss,
            "tax_rate": picked.tax_rate,
        },
        "period": result.period,
        "enterprises": result.enterprises,
        "counts": {
            flag: result.count(flag)
            for flag in ("turns_loss", "crosses_warning", "crosses_key", "rating_worse")
        },
        "outcomes": [
            {
                "enterprise": enterprise_ref(enterprises[o.enterprise_id]),
                "net_profit": list(o.net_profit),
                "debt_ratio": list(o.debt_ratio),
                "lines": list(o.lines) if o.lines else None,
                "rating": list(o.rating),
                "turns_loss": o.turns_loss,
                "crosses_warning": o.crosses_warning,
                "crosses_key": o.crosses_key,
                "rating_worse": o.rating_worse,
            }
            for o in result.outcomes
        ],
    }
