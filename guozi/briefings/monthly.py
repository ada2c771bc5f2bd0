"""The monthly analysis report of a supervisor's portfolio, written by the scheduler once the
month's reporting deadline has passed, in the formats of a brief (HTML, PDF, Word, .xlsx).

It is the supervisor's own report, made by the system rather than for one user: it reads the
supervisor's roll-ups (the portfolio and its cities) and its open alerts and ledger items
directly; who may download it is decided when it is downloaded (`selectors.reports_for`).
"""

from datetime import date

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from guozi.indicators.frameworks import framework_of
from guozi.indicators.models import Alert, AlertStatus, DataStatus, IndicatorResult, Severity
from guozi.indicators.presenters import (
    Table,
    change_cell,
    language,
    number_cell,
    ordered_indicators,
    overview_headers,
    period_label,
    prior_cell,
    text_cell,
    unit_label,
    value_cell,
    value_kind,
)
from guozi.indicators.selectors import UnitFigures, _from_row, _label, _runs
from guozi.ledgers.models import WORKING, Register, TrackedItem
from guozi.ledgers.selectors import overdue_q
from guozi.lib import clock
from guozi.lib.charts import Chart, Series
from guozi.lib.periods import Period, last_closed
from guozi.registry.models import Supervisor
from guozi.reporting.models import Form

from . import files
from .document import Document, Part
from .models import MonthlyReport

CITY_COLUMNS = 5  # the first indicators of the assessed set, per city
TOP_ALERTS = 15
SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


def supervisor_units(supervisor: Supervisor, form: Form, period: str, unit_kind: str):
    """The supervisor's roll-ups of one kind for the period, on approved data."""
    run = _runs(form, [period], DataStatus.APPROVED).get(period)
    if run is None:
        return []
    framework = framework_of(run.framework)
    rows = IndicatorResult.objects.filter(run=run, unit_kind=unit_kind, supervisor_id=supervisor.id)
    found = [_from_row(run, framework, row) for row in rows.order_by("id")]
    _label(found)
    return found


def due_period(supervisor: Supervisor, form: Form, today: date) -> str | None:
    """The latest month whose reporting deadline (for the groups) has passed, or None."""
    from guozi.lib.errors import DomainError
    from guozi.reporting.expected import Deadlines
    from guozi.reporting.frameworks import definition_of, version_in_force

    period = last_closed(today, "month")
    for _step in range(2):
        try:
            definition = definition_of(version_in_force(form, period))
        except DomainError:
            return None
        due = Deadlines(form.id, definition, period).due(supervisor.id, 1)
        if due is not None and due < today:
            return str(period)
        period = period.previous()
    return None


def _indicator_table(figures: UnitFigures, year: int) -> Table:
    _set, indicators = ordered_indicators(figures.framework, year)
    rows = []
    for indicator, assessed in indicators:
        figure = figures.figure(indicator.code)
        rows.append(
            [
                text_cell(indicator.name(language())),
                text_cell(_("assessed") if assessed else ""),
                value_cell(figure),
                text_cell(unit_label(indicator.unit)),
                change_cell(figure),
                prior_cell(figure),
            ]
        )
    return Table(
        key="portfolio",
        title=figures.label,
        headers=overview_headers()[:6],  # without the basis (said in the notes) and links
        rows=rows,
        notes=[_("Consolidated: the groups added up, lower supervisors not included.")],
    )


def _city_part(cities: list[UnitFigures], year: int) -> Part:
    if not cities:
        return Part(key="cities", title=_("By city"), empty=_("No figures by city."))
    _set, indicators = ordered_indicators(cities[0].framework, year)
    columns = [indicator for indicator, _assessed in indicators[:CITY_COLUMNS]]
    cities = sorted(cities, key=lambda unit: unit.unit_code)
    rows = [
        [text_cell(unit.label)]
        + [
            number_cell(unit.values.get(c.code), value_kind(c), unit.statuses.get(c.code, 1))
            for c in columns
        ]  # fmt: skip
        for unit in cities
    ]
    headers = [_("City")] + [f"{c.name(language())} ({unit_label(c.unit)})" for c in columns]
    first = columns[0]
    chart = Chart(
        key="cities",
        title=first.name(language()),
        categories=[unit.label for unit in cities],
        series=[Series(first.name(language()), [unit.values.get(first.code) for unit in cities])],
        unit=unit_label(first.unit),
    )
    return Part(
        key="cities",
        title=_("By city"),
        tables=[Table(key="cities", title=_("By city"), headers=headers, rows=rows,
                      notes=[_("Standalone reports added up by city, before eliminations.")])],
        charts=[chart],
    )  # fmt: skip


def _alerts_part(supervisor: Supervisor) -> Part:
    alerts = Alert.objects.filter(
        supervisor=supervisor, status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]
    ).select_related("enterprise")
    counts = dict(alerts.values_list("severity").annotate(n=Count("id")).order_by())
    top = sorted(alerts[:500], key=lambda a: (SEVERITY_ORDER.get(a.severity, 3), -a.id))
    from guozi.indicators.alert_selectors import alert_message

    return Part(
        key="alerts",
        title=_("Open alerts"),
        paragraphs=[
            _("%(critical)d critical, %(warning)d warnings, %(info)d notices.")
            % {
                "critical": counts.get(Severity.CRITICAL, 0),
                "warning": counts.get(Severity.WARNING, 0),
                "info": counts.get(Severity.INFO, 0),
            }
        ],
        tables=[
            Table(
                key="alerts",
                title=_("Open alerts"),
                headers=[_("Severity"), _("Enterprise"), _("Alert"), _("Latest period")],
                rows=[
                    [
                        text_cell(Severity(alert.severity).label),
                        text_cell(alert.enterprise.name),
                        text_cell(alert_message(alert)),
                        text_cell(alert.last_period),
                    ]
                    for alert in top[:TOP_ALERTS]
                ],
            )
        ],
        empty=_("No open alerts."),
    )


def _ledgers_part(supervisor: Supervisor, today: date) -> Part:
    items = TrackedItem.objects.filter(supervisor=supervisor, status__in=WORKING)
    open_counts = dict(items.values_list("register").annotate(n=Count("id")).order_by())
    late = items.filter(overdue_q(today))
    late_counts = dict(late.values_list("register").annotate(n=Count("id")).order_by())
    rows = [
        [
            text_cell(label),
            number_cell(open_counts.get(code, 0), "int"),
            number_cell(late_counts.get(code, 0), "int"),
        ]  # fmt: skip
        for code, label in Register.choices
    ]
    return Part(
        key="ledgers",
        title=_("Ledgers"),
        tables=[
            Table(
                key="ledgers",
                title=_("Ledgers"),
                headers=[_("Register"), _("Being worked on"), _("Overdue")],
                rows=rows,
            )
        ],
    )


def report_document(supervisor: Supervisor, form: Form, period: str, *, watermark: str):
    year = Period.parse(period).year
    portfolio = supervisor_units(supervisor, form, period, "portfolio")
    cities = supervisor_units(supervisor, form, period, "city")
    today = clock.today()
    parts = [
        Part(
            key="portfolio",
            title=_("The portfolio"),
            level=1,
            tables=[_indicator_table(unit, year) for unit in portfolio],
            empty=_("No approved figures for the period."),
        ),
        _city_part(cities, year),
        _alerts_part(supervisor),
        _ledgers_part(supervisor, today),
    ]
    return Document(
        title=_("Monthly analysis: %(supervisor)s, %(period)s")
        % {"supervisor": supervisor.name, "period": period_label(period)},
        subtitle=_("Monthly analysis report of the portfolio"),
        facts=[
            (_("Supervisor"), supervisor.name),
            (_("Figures of"), period_label(period)),
            (_("Written on"), today.isoformat()),
        ],
        parts=parts,
        watermark=watermark,
    )


def write_report(supervisor: Supervisor, form: Form, period: str, *, job=None) -> MonthlyReport:
    """Render and keep the report (replacing an earlier one of the same period)."""
    from .services import render_all, watermark

    document = report_document(supervisor, form, period, watermark=watermark(None, clock.now()))
    stored = files.store_set(f"monthly/{supervisor.id}/{period}", render_all(document, []))
    report, _created = MonthlyReport.objects.update_or_create(
        supervisor=supervisor,
        period=period,
        defaults={"files": stored, "generated_at": timezone.now(), "job": job},
    )
    return report


def write_due_reports(*, job=None, progress=None) -> dict:
    """The scheduler's work: each supervisor's report for the latest month past its deadline,
    unless it was written already."""
    from guozi.lib.pdf import cjk_font

    cjk_font()  # no font: the job fails with the package to install, writing nothing
    form = Form.objects.filter(code="fast_report").first()
    if form is None:
        return {"written": 0}
    today = clock.today()
    supervisors = list(Supervisor.objects.order_by("id"))
    written = []
    for number, supervisor in enumerate(supervisors, start=1):
        period = due_period(supervisor, form, today)
        if (
            period
            and supervisor_units(supervisor, form, period, "portfolio")
            and not MonthlyReport.objects.filter(supervisor=supervisor, period=period).exists()
        ):
            write_report(supervisor, form, period, job=job)
            written.append(f"{supervisor.code} {period}")
        if progress:
            progress(number, len(supervisors))
    return {"written": len(written), "reports": ", ".join(written)}
