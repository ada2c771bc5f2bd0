"""A profile as an .xlsx workbook: one sheet per section table and per chart (its numbers as a
table), each with the notes that say what the figures are; every export is audited."""

import io
import re

from django.http import HttpResponse
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.indicators.exports import CONTENT_TYPE, write_tables
from guozi.indicators.presenters import Table, number_cell, period_label, text_cell
from guozi.lib.charts import Chart

from .profile import Profile

FILE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def chart_table(chart: Chart) -> Table:
    """The chart's numbers: one row per category, one column per series; a gap is missing."""
    rows = [
        [
            text_cell(category),
            *(
                number_cell(series.values[index], "amount", reason=_("missing"))
                for series in chart.series
            ),
        ]
        for index, category in enumerate(chart.categories)
    ]
    unit = f" ({chart.unit})" if chart.unit else ""
    headers = ["", *(f"{series.name}{unit}" for series in chart.series)]
    return Table(chart.key, chart.title, headers, rows, notes=list(chart.notes))


def profile_tables(profile: Profile) -> list[Table]:
    """Every table and chart of the profile, each with its section's notes above it."""
    enterprise = profile.enterprise
    head = f"{enterprise.name} ({enterprise.identifier})"
    if profile.period:
        head += f" · {period_label(profile.period)}"
    tables = []
    for section in profile.sections:
        parts = [*section.tables, *(chart_table(chart) for chart in section.charts)]
        for part in parts or [Table(section.key, section.title, [], [])]:
            notes = [head, section.title, *section.notes, *part.notes]
            if not part.rows and section.empty:
                notes.append(section.empty)
            tables.append(Table(part.key, part.title, part.headers, part.rows, notes))
    return tables


def export_response(*, user, profile: Profile, query: dict) -> HttpResponse:
    """The profile as an .xlsx download, written to the audit log."""
    stream = io.BytesIO()
    rows = write_tables(stream, profile_tables(profile))
    enterprise = profile.enterprise
    audit_record(
        actor=user,
        action="export",
        instance=enterprise,
        after={
            "event": "profile_export",
            "period": profile.period,
            "condensed": profile.condensed,
            "query": query,
            "rows": rows,
        },
        enterprise_id=enterprise.id,
    )
    name = FILE_NAME_CHARS.sub("_", f"profile-{enterprise.id}-{profile.period or 'none'}")
    response = HttpResponse(stream.getvalue(), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
