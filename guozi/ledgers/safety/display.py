"""How the register's figures read on screen and in files: the reason for a grade, amounts in
万元, the re-report window. In the active language."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from guozi.lib import clock

from .grading import WAN, Criterion, CriterionGrade, grade_incident
from .models import Incident, IncidentGrade, IncidentReport
from .services import supplementary_until


def wan_text(amount_wan: Decimal) -> str:
    """An amount in 万元 with thousands separators and no trailing zeros: 1,234.5."""
    text = format(amount_wan, ",f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _count_interval(c: CriterionGrade) -> str:
    lower = int(c.lower) if c.lower is not None else 1
    if c.upper is None:
        return _("%(lower)s or more") % {"lower": lower}
    return _("%(lower)s to %(last)s") % {"lower": lower, "last": int(c.upper) - 1}


def _loss_interval(c: CriterionGrade) -> str:
    if c.upper is None:
        return _("%(lower)s万元 or more") % {"lower": wan_text(c.lower / WAN)}
    if c.lower is None:
        return _("under %(upper)s万元") % {"upper": wan_text(c.upper / WAN)}
    return _("%(lower)s万元 to under %(upper)s万元") % {
        "lower": wan_text(c.lower / WAN),
        "upper": wan_text(c.upper / WAN),
    }


def criterion_text(c: CriterionGrade) -> str:
    """One criterion's figure and the interval that grades it, e.g. "12 dead (10 to 29)"."""
    if c.criterion == Criterion.DEATHS:
        return _("%(n)s dead (%(interval)s)") % {"n": int(c.value), "interval": _count_interval(c)}
    if c.criterion == Criterion.SERIOUS_INJURIES:
        return _("%(n)s seriously injured (%(interval)s)") % {
            "n": int(c.value),
            "interval": _count_interval(c),
        }
    return _("direct economic loss of %(amount)s万元 (%(interval)s)") % {
        "amount": wan_text(c.value / WAN),
        "interval": _loss_interval(c),
    }


def grade_reason(report: IncidentReport) -> str:
    """Why the report has its grade: the criteria that reach it, e.g. "Major: 12 dead (10 to
    29)"."""
    grading = grade_incident(
        deaths=report.deaths,
        serious_injuries=report.serious_injuries,
        direct_loss=report.direct_loss,
    )
    reasons = pgettext("list separator", "; ").join(criterion_text(c) for c in grading.deciding)
    return _("%(grade)s: %(reasons)s") % {
        "grade": IncidentGrade(grading.grade.value).label,
        "reasons": reasons,
    }


def grade_change(report: IncidentReport) -> int:
    """+1 when the report raised the grade of the version before it, -1 when it lowered it,
    0 otherwise (and for the first report)."""
    previous = getattr(report, "previous", None)
    if previous is None or previous.grade == report.grade:
        return 0
    order = [grade.value for grade in reversed(IncidentGrade)]  # lowest first
    return 1 if order.index(report.grade) > order.index(previous.grade) else -1


def window(incident: Incident, today: date | None = None) -> dict:
    """The re-report window: its last day and whether it is still open."""
    until = supplementary_until(incident)
    return {"until": until, "open": (today or clock.today()) <= until}
