"""The alert list and a stress test's outcome as tables: shown on the page and written to an
.xlsx workbook, each export written to the audit log."""

import io

from django.http import HttpResponse
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.lib import clock
from guozi.registry.exports import watermark
from guozi.reporting.models import Form

from .alert_selectors import alert_message, rule_names
from .exports import CONTENT_TYPE, FILE_NAME_CHARS, write_tables
from .models import Alert, AlertStatus, Severity
from .presenters import Table, number_cell, text_cell
from .stress import StressResult

MAX_ROWS = 100_000


def alerts_table(alerts, notes: list[str]) -> Table:
    names = rule_names()
    headers = [
        _("No."),
        _("Enterprise"),
        _("Identifier"),
        _("Supervisor"),
        _("Rule"),
        _("Severity"),
        _("Message"),
        _("First period"),
        _("Latest period in breach"),
        _("Cleared in"),
        _("Status"),
        _("Rectification"),
    ]
    rows = []
    for alert in alerts[:MAX_ROWS]:
        alert: Alert
        rows.append(
            [
                number_cell(alert.id, "int"),
                text_cell(alert.enterprise.name),
                text_cell(alert.enterprise.identifier),
                text_cell(alert.supervisor.name),
                text_cell(names.get(alert.rule, alert.rule)),
                text_cell(Severity(alert.severity).label),
                text_cell(alert_message(alert)),
                text_cell(alert.first_period),
                text_cell(alert.last_period),
                text_cell(alert.cleared_period),
                text_cell(AlertStatus(alert.status).label),
                text_cell(alert.rectification_id or ""),
            ]
        )
    return Table("alerts", _("Alerts"), headers, rows, notes)


def _yes(flag: bool) -> str:
    return _("yes") if flag else ""


def stress_table(result: StressResult, notes: list[str]) -> Table:
    headers = [
        _("Enterprise"),
        _("Net profit before (万元)"),
        _("Net profit after (万元)"),
        _("Debt ratio before"),
        _("Debt ratio after"),
        _("Warning line"),
        _("Key line"),
        _("Rating before"),
        _("Rating after"),
        _("Turns loss-making"),
        _("Crosses the warning line"),
        _("Crosses the key line"),
        _("Rating worse"),
    ]
    rows = []
    for outcome in result.outcomes:
        lines = outcome.lines or (None, None)
        rows.append(
            [
                text_cell(outcome.name),
                number_cell(outcome.net_profit[0], "amount"),
                number_cell(outcome.net_profit[1], "amount"),
                number_cell(outcome.debt_ratio[0], "percent"),
                number_cell(outcome.debt_ratio[1], "percent"),
                number_cell(lines[0], "percent", reason=_("no line: no baseline entered")),
                number_cell(lines[1], "percent", reason=_("no line: no baseline entered")),
                number_cell(outcome.rating[0], "int"),
                number_cell(outcome.rating[1], "int"),
                text_cell(_yes(outcome.turns_loss)),
                text_cell(_yes(outcome.crosses_warning)),
                text_cell(_yes(outcome.crosses_key)),
                text_cell(_yes(outcome.rating_worse)),
            ]
        )
    return Table("stress", _("Stress test"), headers, rows, notes)


def export_response(*, user, form: Form, table: Table, name: str, query: dict) -> HttpResponse:
    """The table as an .xlsx download; the export is written to the audit log."""
    stream = io.BytesIO()
    rows = write_tables(stream, [table], watermark(user))
    audit_record(
        actor=user,
        action="export",
        instance=form,
        after={"event": "alerts_export", "table": name, "query": query, "rows": rows},
    )
    response = HttpResponse(stream.getvalue(), content_type=CONTENT_TYPE)
    filename = FILE_NAME_CHARS.sub("_", f"{name}-{clock.today().isoformat()}")
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
