"""Alert pages: the alert board with its actions and export, one alert with its history, the
annual targets (entered or imported) with progress against the time elapsed, the debt-ratio
lines, the alert rules with their switches and back-tests, and stress tests.

Thin, like every page here: each view reads its input, finds what the user may see (an alert,
supervisor or baseline outside their view is a 404), calls one service or selector and renders.
Buttons and forms that change something are shown only to the supervisor's analysts and
reviewers; the services check again and a refusal is a 403.
"""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from guozi.accounts.access import Scope, scoped
from guozi.audit.services import audit_record
from guozi.lib.errors import DomainError, Forbidden, NotFound
from guozi.lib.periods import Period
from guozi.registry.directory import industry_name
from guozi.registry.forms import apply_domain_error

from . import alert_exports, alert_imports, alert_services, services
from . import alert_selectors as selectors
from .alert_forms import (
    AcknowledgeForm,
    AlertFilterForm,
    BacktestForm,
    BaselineForm,
    MethodForm,
    RectifyForm,
    StressForm,
    TargetGridForm,
    TargetUploadForm,
)
from .lines import FIXED_LINES, guideline_lines
from .models import DebtLineMethod
from .presenters import number_text, period_label, unit_label, value_kind
from .selectors import computed_periods, rollup_supervisor_ids
from .stress import stress_test

PAGE_SIZE = 50
BACKTEST_SESSION_KEY = "guozi_alert_backtests"


def _forbidden(request, message: str):
    return render(request, "indicators/alerts/forbidden.html", {"message": message}, status=403)


def _error_text(error: DomainError) -> str:
    details = [m for ms in error.fields.values() for m in (ms if isinstance(ms, list) else [ms])]
    return " ".join([str(error), *details[:5]])


def _back(request, fallback: str):
    """Back to the page the action came from (on this site), else `fallback`."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}):
        return redirect(wanted)
    return redirect(fallback)


def _supervisor_and_year(request, params):
    try:
        supervisor = selectors.chosen_supervisor(request.user, params.get("supervisor"))
        year = selectors.chosen_year(params.get("year"))
    except NotFound as error:
        raise Http404(str(error)) from error
    if supervisor is None:
        raise Http404
    return supervisor, year


def _picker_context(request, supervisor, year=None, *, years=None) -> dict:
    return {
        "supervisor": supervisor,
        "supervisors": selectors.supervisors_for(request.user),
        "year": year,
        "years": years or [],
        "manage": selectors.can_manage(request.user, supervisor.id),
    }


def _page_url(name: str, supervisor, year=None) -> str:
    query = {"supervisor": supervisor.id}
    if year is not None:
        query["year"] = year
    return f"{reverse(name)}?{urlencode(query)}"


# --- the board -----------------------------------------------------------------------------------


def _annotate(request, alerts) -> None:
    names = selectors.rule_names()
    managed = selectors.managed_supervisor_ids(request.user)
    for alert in alerts:
        alert.rule_name = names.get(alert.rule, alert.rule)
        alert.message_text = selectors.alert_message(alert)
        alert.manageable = alert.supervisor_id in managed


@scoped(Scope.PORTFOLIO)
def board(request):
    form = AlertFilterForm(request.user, request.GET or None)
    filters = form.filters()
    alerts = selectors.alert_list(request.user, filters)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    _annotate(request, page.object_list)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "counts": selectors.alert_counts(alerts),
    }
    template = "indicators/alerts/_board.html" if request.htmx else "indicators/alerts/board.html"
    return render(request, template, context)


@scoped(Scope.PORTFOLIO)
def board_export(request):
    form = AlertFilterForm(request.user, request.GET or None)
    alerts = selectors.alert_list(request.user, form.filters())
    notes = [_("Alerts you may read, as filtered on the page.")]
    table = alert_exports.alerts_table(alerts, notes)
    return alert_exports.export_response(
        user=request.user,
        form=selectors.fast_report(),
        table=table,
        name="alerts",
        query={key: value for key, value in request.GET.items() if key != "page"},
    )


# --- one alert -----------------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def alert_page(request, alert_id: int):
    alert = selectors.get_visible_alert(request.user, alert_id)
    _annotate(request, [alert])
    context = {
        "alert": alert,
        "events": selectors.alert_events(alert),
        "rule": next((r for r in selectors.alert_rules() if r.code == alert.rule), None),
        "acknowledge_form": AcknowledgeForm(),
        "rectify_form": RectifyForm(),
    }
    return render(request, "indicators/alerts/alert.html", context)


@require_POST
@scoped(Scope.PORTFOLIO)
def alert_acknowledge(request, alert_id: int):
    alert = selectors.get_visible_alert(request.user, alert_id)
    form = AcknowledgeForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.alert_acknowledge(acting_user=request.user, alert=alert, note=note)
    except Forbidden as error:
        return _forbidden(request, str(error))
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("The alert is acknowledged."))
    return _back(request, reverse("alerts:alert", args=[alert.id]))


@require_POST
@scoped(Scope.PORTFOLIO)
def alert_rectify(request, alert_id: int):
    alert = selectors.get_visible_alert(request.user, alert_id)
    form = RectifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(request, reverse("alerts:alert", args=[alert.id]))
    try:
        alert = services.alert_rectify(
            acting_user=request.user,
            alert=alert,
            due_date=form.cleaned_data["due_date"],
            responsible_name=form.cleaned_data["responsible_name"],
        )
    except Forbidden as error:
        return _forbidden(request, str(error))
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("Rectification item No. %(id)s works this alert off.")
            % {"id": alert.rectification_id},
        )
    return _back(request, reverse("alerts:alert", args=[alert.id]))


# --- targets -------------------------------------------------------------------------------------


def _progress_text(indicator, cell, elapsed) -> tuple[str, str]:
    """(text, css) of a figure against its target, as the targets page shows it."""
    kind = value_kind(indicator)
    if cell.target is None:
        return "", ""
    if cell.value is None:
        return _("no figure yet"), "muted"
    css = "" if cell.on_track is None else ("on-track" if cell.on_track else "behind")
    if cell.completion is not None:
        return _("%(done)s of the target with %(time)s of the year gone") % {
            "done": number_text(cell.completion, "percent"),
            "time": number_text(elapsed, "percent"),
        }, css
    return _("actual %(value)s") % {"value": number_text(cell.value, kind)}, css


def _target_rows(grid, form) -> list:
    """Per group: (enterprise, [(input or None, target text, progress text, css)])."""
    rows = []
    for row in grid.rows:
        cells = []
        for indicator, cell in zip(grid.indicators, row.cells, strict=True):
            field = form[TargetGridForm.name(row.enterprise.id, indicator.code)] if form else None
            target = (
                number_text(cell.target, value_kind(indicator)) if cell.target is not None else "—"
            )
            text, css = _progress_text(indicator, cell, grid.elapsed)
            cells.append((field, target, text, css))
        rows.append((row.enterprise, cells))
    return rows


def _targets_context(request, supervisor, year, grid, *, form=None, upload=None, problems=None):
    manage = selectors.can_manage(request.user, supervisor.id)
    form = form if form is not None else (TargetGridForm(grid) if manage else None)
    return {
        **_picker_context(
            request, supervisor, year, years=selectors.target_years(selectors.fast_report())
        ),
        "grid": grid,
        "headers": [
            (i.name(selectors.language()), "%" if i.unit == "%" else unit_label(i.unit))
            for i in grid.indicators
        ],
        "period_label": period_label(grid.period),
        "form": form,
        "rows": _target_rows(grid, form),
        "upload_form": upload or TargetUploadForm(),
        "problems": problems,
    }


def _saved_message(request, saved) -> None:
    counts = {"created": saved.created, "updated": saved.updated, "removed": saved.removed}
    text = _("Targets saved: %(created)s new, %(updated)s changed, %(removed)s removed.") % counts
    if saved.recomputed:
        text += " " + _(
            "The figures and alerts of %(first)s … %(last)s were recomputed with them."
        ) % {"first": saved.recomputed[0], "last": saved.recomputed[-1]}
    elif saved.changed:
        text += " " + _("No figures of that year have been computed yet.")
    messages.success(request, text)


def _refused_cells(form: TargetGridForm, error: DomainError) -> None:
    """A service's refusal of single targets shown on their inputs."""
    for key, problems in error.fields.items():
        enterprise_id, _sep, code = key.partition(":")
        name = TargetGridForm.name(int(enterprise_id), code) if enterprise_id.isdigit() else None
        for problem in problems if isinstance(problems, list) else [problems]:
            form.add_error(name if name in form.fields else None, problem)
    form.add_error(None, str(error))


@scoped(Scope.PORTFOLIO)
def targets_page(request):
    params = request.POST if request.method == "POST" else request.GET
    supervisor, year = _supervisor_and_year(request, params)
    grid = selectors.target_grid(request.user, supervisor, year)
    if request.method != "POST":
        return render(
            request,
            "indicators/alerts/targets.html",
            _targets_context(request, supervisor, year, grid),
        )
    if not selectors.can_manage(request.user, supervisor.id):
        return _forbidden(request, _("Only the supervisor's analysts and reviewers set targets."))
    form = TargetGridForm(grid, request.POST)
    if form.is_valid():
        try:
            saved = alert_services.targets_set(
                acting_user=request.user, supervisor=supervisor, year=year, values=form.values()
            )
        except Forbidden as error:
            return _forbidden(request, str(error))
        except DomainError as error:
            _refused_cells(form, error)
        else:
            _saved_message(request, saved)
            return redirect(_page_url("alerts:targets", supervisor, year))
    context = _targets_context(request, supervisor, year, grid, form=form)
    return render(request, "indicators/alerts/targets.html", context, status=400)


def _import_upload(request, supervisor, year, uploaded):
    """The uploaded file, kept in a temporary file while the import reads it."""
    suffix = Path(uploaded.name).suffix.lower()[:8]
    with tempfile.NamedTemporaryFile(suffix=suffix) as stored:
        for chunk in uploaded.chunks():
            stored.write(chunk)
        stored.flush()
        return alert_services.targets_import(
            acting_user=request.user,
            supervisor=supervisor,
            year=year,
            path=Path(stored.name),
            name=uploaded.name,
        )


@require_POST
@scoped(Scope.PORTFOLIO)
def targets_import(request):
    supervisor, year = _supervisor_and_year(request, request.POST)
    if not selectors.can_manage(request.user, supervisor.id):
        return _forbidden(request, _("Only the supervisor's analysts and reviewers set targets."))
    upload = TargetUploadForm(request.POST, request.FILES)
    problems = None
    if upload.is_valid():
        try:
            outcome = _import_upload(request, supervisor, year, upload.cleaned_data["file"])
        except Forbidden as error:
            return _forbidden(request, str(error))
        except DomainError as error:
            upload.add_error(None, _error_text(error))
        else:
            if outcome.saved is not None:
                _saved_message(request, outcome.saved)
                return redirect(_page_url("alerts:targets", supervisor, year))
            problems = outcome.file.problems
    grid = selectors.target_grid(request.user, supervisor, year)
    context = _targets_context(request, supervisor, year, grid, upload=upload, problems=problems)
    return render(request, "indicators/alerts/targets.html", context, status=400)


@scoped(Scope.PORTFOLIO)
def targets_template(request):
    supervisor, year = _supervisor_and_year(request, request.GET)
    grid = selectors.target_grid(request.user, supervisor, year)
    content = alert_imports.template_workbook(grid)
    audit_record(
        actor=request.user,
        action="export",
        instance=supervisor,
        after={"event": "targets_template", "year": year, "rows": len(grid.rows)},
    )
    response = HttpResponse(content, content_type=alert_imports.CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="targets-{supervisor.code}-{year}.xlsx"'
    )
    return response


# --- debt-ratio lines ----------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return number_text(value, "percent") if value is not None else "—"


def _lines_context(request, supervisor, year, *, baseline_form=None) -> dict:
    view = selectors.lines_view(request.user, supervisor, year)
    fixed_names = {
        "industrial": _("Industrial (GB/T 4754 sections B–D)"),
        "non_industrial": _("Non-industrial"),
        "research": _("Research and design (divisions M73, M74)"),
    }
    baselines = [
        (
            baseline,
            industry_name(baseline.industry),
            *[_percent(v) for v in (baseline.baseline, *guideline_lines(baseline.baseline))],
        )
        for baseline in view.baselines
    ]
    groups = [
        (
            row,
            fixed_names[row.fixed_type],
            _percent(row.lines[0]) if row.lines else None,
            _percent(row.lines[1]) if row.lines else None,
            _percent(row.debt_ratio),
        )
        for row in view.groups
    ]
    return {
        **_picker_context(
            request, supervisor, year, years=selectors.target_years(selectors.fast_report())
        ),
        "view": view,
        "period_label": period_label(view.period),
        "method_form": MethodForm(initial={"method": view.method}),
        "method_label": DebtLineMethod(view.method).label,
        "baseline_form": baseline_form or BaselineForm(),
        "baselines": baselines,
        "groups": groups,
        "fixed_rows": [
            (code, fixed_names[code], _percent(warning), _percent(key))
            for code, (warning, key) in FIXED_LINES.items()
        ],
    }


@scoped(Scope.PORTFOLIO)
def lines_page(request):
    supervisor, year = _supervisor_and_year(request, request.GET)
    return render(
        request, "indicators/alerts/lines.html", _lines_context(request, supervisor, year)
    )


def _recomputed_note(periods: list[str]) -> str:
    if not periods:
        return ""
    return " " + _("The figures and alerts of %(first)s … %(last)s were recomputed.") % {
        "first": periods[0],
        "last": periods[-1],
    }


@require_POST
@scoped(Scope.PORTFOLIO)
def lines_method(request):
    supervisor, year = _supervisor_and_year(request, request.POST)
    form = MethodForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a method."))
        return redirect(_page_url("alerts:lines", supervisor, year))
    try:
        periods = alert_services.debt_line_method_set(
            acting_user=request.user, supervisor=supervisor, method=form.cleaned_data["method"]
        )
    except Forbidden as error:
        return _forbidden(request, str(error))
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("The method is saved.") + _recomputed_note(periods))
    return redirect(_page_url("alerts:lines", supervisor, year))


@require_POST
@scoped(Scope.PORTFOLIO)
def baseline_save(request):
    supervisor, year = _supervisor_and_year(request, request.POST)
    if not selectors.can_manage(request.user, supervisor.id):
        return _forbidden(
            request, _("Only the supervisor's analysts and reviewers enter baselines.")
        )
    form = BaselineForm(request.POST)
    if form.is_valid():
        try:
            alert_services.baseline_set(
                acting_user=request.user, supervisor=supervisor, year=year, **form.cleaned_data
            )
        except Forbidden as error:
            return _forbidden(request, str(error))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("The baseline is saved; the lines follow it."))
            return redirect(_page_url("alerts:lines", supervisor, year))
    context = _lines_context(request, supervisor, year, baseline_form=form)
    return render(request, "indicators/alerts/lines.html", context, status=400)


@require_POST
@scoped(Scope.PORTFOLIO)
def baseline_delete(request, baseline_id: int):
    baseline = selectors.get_baseline(request.user, baseline_id)
    supervisor, year = baseline.supervisor, baseline.year
    try:
        alert_services.baseline_delete(acting_user=request.user, baseline=baseline)
    except Forbidden as error:
        return _forbidden(request, str(error))
    messages.success(request, _("The baseline is removed."))
    return redirect(_page_url("alerts:lines", supervisor, year))


# --- rules, back-tests and switches --------------------------------------------------------------


def _backtest_key(supervisor_id: int, rule: str) -> str:
    return f"{supervisor_id}:{rule}"


def _stored_backtest(request, supervisor_id: int, rule: str) -> dict | None:
    return request.session.get(BACKTEST_SESSION_KEY, {}).get(_backtest_key(supervisor_id, rule))


def _store_backtest(request, result: dict) -> None:
    stored = dict(request.session.get(BACKTEST_SESSION_KEY, {}))
    # JSON keeps only string keys: the enterprises go in as (id, alerts) pairs.
    stored[_backtest_key(result["supervisor"], result["rule"])] = {
        **result,
        "enterprises": [[int(k), v] for k, v in result["enterprises"].items()],
    }
    request.session[BACKTEST_SESSION_KEY] = stored


def _backtest_shown(result: dict | None) -> dict | None:
    """A back-test as the page shows it: the chart's bars and the enterprises by name."""
    if result is None:
        return None
    names = selectors.enterprise_names(e for e, _count in result["enterprises"])
    by_period = result["by_period"]
    return {
        **result,
        "rule_name": selectors.rule_names().get(result["rule"], result["rule"]),
        "enterprise_rows": [(names.get(e, str(e)), count) for e, count in result["enterprises"]],
        "chart": {
            "periods": result["periods"],
            "counts": [by_period.get(p, 0) for p in result["periods"]],
            "title": _("Alerts raised per period"),
        },
    }


@scoped(Scope.PORTFOLIO)
def rules_page(request):
    supervisor, _year = _supervisor_and_year(request, request.GET)
    return _rules_page(request, supervisor)


def _rules_page(request, supervisor, *, backtest_form=None, status: int = 200):
    periods = selectors.backtest_periods(selectors.fast_report())
    shown_rule = request.GET.get("backtest", "")
    shown = _backtest_shown(_stored_backtest(request, supervisor.id, shown_rule))
    states = selectors.rule_states(supervisor)
    tested = {s.rule.code for s in states if _stored_backtest(request, supervisor.id, s.rule.code)}
    initial = {"rule": shown_rule} if shown_rule else {}
    context = {
        **_picker_context(request, supervisor),
        "states": states,
        "tested": tested,
        "can_backtest": supervisor.id in rollup_supervisor_ids(request.user),
        "periods": periods,
        "backtest_form": backtest_form or BacktestForm(periods, initial=initial),
        "backtest": shown,
    }
    return render(request, "indicators/alerts/rules.html", context, status=status)


@require_POST
@scoped(Scope.PORTFOLIO)
def rule_backtest(request):
    supervisor, _year = _supervisor_and_year(request, request.POST)
    periods = selectors.backtest_periods(selectors.fast_report())
    form = BacktestForm(periods, request.POST)
    if not form.is_valid():
        return _rules_page(request, supervisor, backtest_form=form, status=400)
    data = form.cleaned_data
    try:
        result = selectors.backtest_rule(
            request.user, supervisor, data["rule"], data["period_from"], data["period_to"]
        )
    except Forbidden as error:
        return _forbidden(request, str(error))
    except DomainError as error:
        apply_domain_error(form, error)
        return _rules_page(request, supervisor, backtest_form=form, status=400)
    _store_backtest(request, result)
    query = urlencode({"supervisor": supervisor.id, "backtest": result["rule"]})
    return redirect(f"{reverse('alerts:rules')}?{query}#backtest")


@require_POST
@scoped(Scope.PORTFOLIO)
def rule_switch(request):
    supervisor, _year = _supervisor_and_year(request, request.POST)
    rule = request.POST.get("rule", "")
    enabled = request.POST.get("enabled") == "on"
    tested = _stored_backtest(request, supervisor.id, rule) if enabled else None
    if tested is not None:
        tested = {**tested, "enterprises": {str(e): n for e, n in tested["enterprises"]}}
    try:
        services.rule_switch(
            acting_user=request.user,
            supervisor_id=supervisor.id,
            rule_code=rule,
            enabled=enabled,
            backtest_result=tested,
        )
    except Forbidden as error:
        return _forbidden(request, str(error))
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        name = selectors.rule_names().get(rule, rule)
        messages.success(
            request,
            (_("%(rule)s is switched on.") if enabled else _("%(rule)s is switched off."))
            % {"rule": name}
            + " "
            + _("It applies from the next computation."),
        )
    query = urlencode({"supervisor": supervisor.id, "backtest": rule})
    return redirect(f"{reverse('alerts:rules')}?{query}")


# --- stress tests --------------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def stress_page(request):
    if request.GET.get("format", "html") not in ("html", "xlsx"):
        raise Http404
    report_form = selectors.fast_report()
    periods = computed_periods(report_form)
    asked_period = request.GET.get("period") or (periods[0] if periods else None)
    scenarios = selectors.scenarios_for(asked_period if asked_period in periods else None)
    form = StressForm(
        request.user, periods, scenarios, request.GET if "scenario" in request.GET else None
    )
    result = scenario = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        scenario = form.scenarios.get(data["scenario"])
        if scenario is None:
            try:
                scenario = selectors.custom_scenario(form.shocks())
            except DomainError as error:
                apply_domain_error(form, error)
        if scenario is not None:
            result = stress_test(
                request.user,
                report_form,
                scenario,
                Period.parse(data["period"]),
                supervisor_id=int(data["supervisor"]) if data["supervisor"] else None,
            )
    notes = _stress_notes(result) if result else []
    if request.GET.get("format") == "xlsx":
        if result is None:
            raise Http404
        return alert_exports.export_response(
            user=request.user,
            form=report_form,
            table=alert_exports.stress_table(result, notes),
            name=f"stress-{result.scenario.code}-{result.period}",
            query={key: value for key, value in request.GET.items() if key != "format"},
        )
    context = {
        "form": form,
        "periods": periods,
        "scenarios": scenarios,
        "scenario_rows": [_scenario_row(s) for s in scenarios],
        "result": result,
        "table": alert_exports.stress_table(result, notes) if result else None,
        "counts": _stress_counts(result) if result else [],
        "period_label": period_label(result.period) if result else "",
        "scenario_name": scenario.name(selectors.language()) if result else "",
    }
    status = 400 if form.is_bound and result is None else 200
    return render(request, "indicators/alerts/stress.html", context, status=status)


def _scenario_row(scenario) -> list[str]:
    return [
        scenario.name(selectors.language()),
        number_text(scenario.revenue, "growth"),
        number_text(scenario.operating_cost, "growth"),
        f"{scenario.interest_bp:+g}",
        f"{scenario.one_off_loss:,.2f}",
        number_text(scenario.tax_rate, "percent"),
    ]


def _stress_counts(result) -> list[tuple[str, int]]:
    return [
        (_("Turn loss-making"), result.count("turns_loss")),
        (_("Cross the warning line"), result.count("crosses_warning")),
        (_("Cross the key line"), result.count("crosses_key")),
        (_("Fall in health rating"), result.count("rating_worse")),
    ]


def _stress_notes(result) -> list[str]:
    scenario = result.scenario
    shocks = _(
        "Revenue %(revenue)+.1f%%, operating cost %(cost)+.1f%%, interest %(bp)+g bp a year, "
        "one-off loss %(loss)s 万元, tax rate %(tax).0f%%."
    ) % {
        "revenue": scenario.revenue * 100,
        "cost": scenario.operating_cost * 100,
        "bp": scenario.interest_bp,
        "loss": f"{scenario.one_off_loss:,.2f}",
        "tax": scenario.tax_rate * 100,
    }
    return [
        f"{scenario.name(selectors.language())} · {period_label(result.period)}",
        shocks,
        ngettext(
            "%(count)s enterprise tested (its own consolidated figures, approved data).",
            "%(count)s enterprises tested (their own consolidated figures, approved data).",
            result.enterprises,
        )
        % {"count": result.enterprises},
    ]
