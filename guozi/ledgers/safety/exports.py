"""The register as an .xlsx workbook: one row per incident with its latest report. The columns
are the import's (`imports.COLUMNS`), so an exported file is a template for further reports:
change a row's figures and import it back."""

from collections.abc import Iterable
from typing import BinaryIO

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guozi.ledgers.sheets import write_sheet
from guozi.lib.clock import CHINA
from guozi.lib.codetables import industries
from guozi.registry.directory import city_name

from .display import grade_reason
from .imports import COLUMNS
from .models import Incident

TIME_FORMAT = "%Y-%m-%d %H:%M"


def _time(moment) -> str:
    return moment.astimezone(CHINA).strftime(TIME_FORMAT)


def _industry(code: str) -> str:
    found = industries().get(code or "")
    return f"{code} {found.name_zh}" if found else code


def row(incident: Incident) -> list:
    item, latest, owner = incident.item, incident.latest, incident.item.owner
    values = {
        "number": incident.number,
        "enterprise": owner.name_zh,
        "identifier": owner.identifier,
        "occurred_at": _time(incident.occurred_at),
        "incident_type": incident.get_incident_type_display(),
        "place": incident.place,
        "description": incident.description,
        "deaths": latest.deaths,
        "serious_injuries": latest.serious_injuries,
        "direct_loss": latest.direct_loss_wan,
        "reported_at": _time(latest.reported_at),
        "note": latest.note,
        "responsible_name": item.responsible_name,
        "kind": latest.get_kind_display(),
        "version": latest.version,
        "grade": latest.get_grade_display(),
        "reason": grade_reason(latest),
        "city": city_name(owner.city_code),
        "industry": _industry(owner.industry_section),
        "status": item.get_status_display(),
        "item": item.id,
    }
    return [values[column.key] for column in COLUMNS]


def export_incidents(incidents: QuerySet[Incident], stream: BinaryIO, stamp: str = "") -> int:
    """Write the incidents (with their latest report) to `stream`; returns the rows written."""
    rows: Iterable = (
        row(incident)
        for incident in incidents.filter(latest__isnull=False)
        .select_related("item__owner", "latest")
        .iterator(chunk_size=500)
    )
    return write_sheet(stream, _("Safety incidents"), COLUMNS, rows, stamp)
