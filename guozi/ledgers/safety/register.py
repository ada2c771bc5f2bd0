"""The safety-incident register on the ledger: its fields on the item and its panel on the
item page (the incident, its reports and their grades)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guozi.ledgers.models import ProgressRule, Register
from guozi.ledgers.registers import Attribute, RegisterSpec

from .models import IncidentGrade, IncidentType


def panel(item) -> tuple[str, dict] | None:
    """The incident's facts and every report, with the grade and its changes."""
    from . import display, selectors
    from .models import Incident

    incident = Incident.objects.filter(item=item).select_related("latest").first()
    if incident is None:
        return "safety/panel_missing.html", {}
    reports = selectors.incident_reports(incident)
    for report in reports:
        report.reason = display.grade_reason(report)
        report.change = display.grade_change(report)
    return "safety/panel.html", {
        "incident": incident,
        "reports": list(reversed(reports)),
        "latest": incident.latest,
        "window": display.window(incident),
    }


SPEC = RegisterSpec(
    register=Register.SAFETY_INCIDENT,
    attributes=(
        Attribute(
            "grade",
            pgettext_lazy("incident", "Grade"),
            "choice",
            tuple(IncidentGrade.choices),
            required=True,
        ),
        Attribute(
            "incident_type",
            _("Incident type"),
            "choice",
            tuple(IncidentType.choices),
            required=True,
        ),
        Attribute("occurred_on", _("Occurred on"), "date", required=True),
        Attribute("deaths", _("Deaths"), "integer"),
        Attribute("serious_injuries", _("Serious injuries"), "integer"),
        Attribute("direct_loss", _("Direct economic loss (万元)"), "decimal"),
    ),
    default_rule=ProgressRule.MILESTONES,
    default_days=60,
    panel=panel,
    create_url="safety:report",
)
