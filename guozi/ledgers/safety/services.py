"""Writes of the safety-incident register: the first report of an incident and every report
after it. The handling of an incident (updates, evidence, verification, cancellation) is the
ledger's own lifecycle (`guozi.ledgers.services`).

Who reports: the owner enterprise's reporters (or those of an enterprise above it) and the
supervisor's analysts and reviewers. An incident reported by an enterprise is opened on the
supervisor's register by the system on the reporter's behalf (the ledger lets only the
supervisor open items); its report names the reporter and the audit log records them.

Rules of a further report (条例 Art. 13):
- reported on or before day 30 after the day of the incident (day 7 for road traffic and fire)
  it is a supplementary report (补报);
- reported later it is a late correction (更正): allowed, because a figure can have been wrong
  or the direct loss is established only by the investigation, but it must give its reason and
  is flagged as late on every screen and in the export;
- either way it is a new version with its own grade; the incident, its title and its
  statistics follow the latest version. A report with the same figures as the latest one is
  refused, and so is a report on an incident whose handling is closed.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.accounts.access import active_memberships
from guozi.accounts.models import Role
from guozi.audit.services import audit_record
from guozi.ledgers import permissions
from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import ACTIVE, ProgressRule, Register, Status, TrackedItem
from guozi.ledgers.notices import about, reporters_of, supervisor_staff, tell
from guozi.lib import clock
from guozi.lib.clock import CHINA
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.models import Enterprise, Supervisor
from guozi.registry.tree import tree_at

from .grading import (
    Grading,
    GradingError,
    NotAnIncident,
    grade_incident,
    supplementary_window_days,
    within_supplementary_window,
)
from .models import (
    FEN_PER_WAN,
    FEN_PER_YUAN,
    Incident,
    IncidentGrade,
    IncidentReport,
    IncidentType,
    ReportKind,
)

# The regulation took effect on this day; its grades do not apply to earlier incidents.
REGULATION_START = date(2007, 6, 1)
# The investigation report is due 60 days after the incident (Art. 29); the supervisor moves
# the due date, with a reason, when the investigation is extended.
INVESTIGATION_DAYS = 60
PLACE_LENGTH = 200
TEXT_LENGTH = 10000
NOTE_LENGTH = 2000
MAX_LOSS_YUAN = Decimal(10) ** 13
MAX_PEOPLE = 100_000
MILESTONES = (
    gettext_lazy("Investigation report approved"),
    gettext_lazy("Corrective and preventive measures in place"),
    gettext_lazy("Accountability settled"),
)
INCIDENT_REPORTED = gettext_lazy("Safety incident reported by %(owner)s: %(title)s")
INCIDENT_REGRADED = gettext_lazy("Safety incident regraded: %(title)s (%(owner)s)")


@dataclass(frozen=True)
class Figures:
    deaths: int
    serious_injuries: int
    direct_loss_fen: int


# --- reading the input ------------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def aware(moment: datetime) -> datetime:
    """To the minute, as reports give times; a time without a zone is a time in China."""
    moment = moment.replace(second=0, microsecond=0)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=CHINA)


def _count(value, name: str, errors: dict) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = Decimal(str(value).strip()) if value not in (None, "") else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors[name] = [_("Enter a whole number (0 if none).")]
        return 0
    if number < 0:
        errors[name] = [_("Cannot be negative.")]
        return 0
    if number != number.to_integral_value():
        errors[name] = [_("Enter a whole number (0 if none).")]
        return 0
    if number > MAX_PEOPLE:
        errors[name] = [_("The number is implausibly large.")]
        return 0
    return int(number)


def loss_fen(value, errors: dict, name: str = "direct_loss") -> int:
    """A loss in yuan (a Decimal, an int or text) as fen."""
    if isinstance(value, bool | float):
        value = str(value) if isinstance(value, float) else None
    try:
        number = Decimal(str(value).strip()) if value not in (None, "") else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors[name] = [_("Enter the direct economic loss (0 if none).")]
        return 0
    if number < 0:
        errors[name] = [_("Cannot be negative.")]
        return 0
    if number > MAX_LOSS_YUAN:
        errors[name] = [_("The loss is implausibly large.")]
        return 0
    fen = number * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        errors[name] = [_("At most two decimals of a yuan (fen).")]
        return 0
    return int(fen)


def clean_figures(deaths, serious_injuries, direct_loss_yuan, errors: dict) -> Figures:
    return Figures(
        deaths=_count(deaths, "deaths", errors),
        serious_injuries=_count(serious_injuries, "serious_injuries", errors),
        direct_loss_fen=loss_fen(direct_loss_yuan, errors),
    )


def grade_of(figures: Figures, errors: dict) -> Grading | None:
    """The grading of the figures, or None with the reason in `errors`."""
    try:
        return grade_incident(
            deaths=figures.deaths,
            serious_injuries=figures.serious_injuries,
            direct_loss=Decimal(figures.direct_loss_fen).scaleb(-2),
        )
    except NotAnIncident:
        message = _(
            "With no death, no serious injury and no direct economic loss this is not a "
            "production-safety incident; nothing was recorded."
        )
        errors["__all__"] = [message]
    except GradingError:
        errors.setdefault("__all__", [_("These figures cannot be graded.")])
    return None


def not_an_incident(errors: dict) -> bool:
    return "__all__" in errors and len(errors) == 1


def clean_text(value, name: str, limit: int, errors: dict, *, required=False) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        errors[name] = [_("Required.")]
    elif len(text) > limit:
        errors[name] = [_("At most %(n)s characters.") % {"n": limit}]
    return text


def check_occurred(occurred_at, errors: dict) -> datetime | None:
    if not isinstance(occurred_at, datetime):
        errors["occurred_at"] = [_("Enter the date and time, e.g. 2026-08-01 14:30.")]
        return None
    occurred_at = aware(occurred_at)
    day = local_date(occurred_at)
    if day > clock.today():
        errors["occurred_at"] = [_("The incident cannot have happened after today.")]
    elif day < REGULATION_START:
        errors["occurred_at"] = [
            _("The grades apply to incidents from 1 June 2007, when the regulation took effect.")
        ]
    return occurred_at


def check_reported(reported_at, after: datetime | None, errors: dict, *, since: str) -> datetime:
    """`reported_at` (now when not given): not after today, not before `after`."""
    if reported_at in (None, ""):
        return aware(clock.now())
    if not isinstance(reported_at, datetime):
        errors["reported_at"] = [_("Enter the date and time, e.g. 2026-08-01 14:30.")]
        return aware(clock.now())
    reported_at = aware(reported_at)
    if local_date(reported_at) > clock.today():
        errors["reported_at"] = [_("A report cannot be dated after today.")]
    elif after is not None and reported_at < after:
        errors["reported_at"] = [since]
    return reported_at


# --- who may report ------------------------------------------------------------------------


def may_report(user, owner: Enterprise) -> bool:
    """The supervisor's analysts and reviewers, or a reporter of the owner or one above it."""
    if user is None or not user.is_authenticated:
        return False
    if permissions.can_create(user, owner.supervisor_id):
        return True
    above = set(permissions.chain(tree_at(clock.today()), owner.id))
    return any(
        m.role == Role.ENTERPRISE_REPORTER and m.enterprise_id in above
        for m in active_memberships(user)
    )


def _opener(user, supervisor_id: int):
    """The ledger opens and edits the item as the user when they are the supervisor's, else as
    the system on their behalf."""
    return user if permissions.can_create(user, supervisor_id) else None


# --- the item's title and fields ---------------------------------------------------------------


def incident_title(owner: Enterprise, occurred_at: datetime, incident_type: str, grade: str) -> str:
    """The incident's name in the official Chinese form, e.g. 鑫辽焦化“8·12”较大危险化学品事故,
    whatever the interface language: it is a proper name."""
    day = local_date(occurred_at)
    with translation.override("zh-hans"):
        grade_name = str(IncidentGrade(grade).label)
        type_name = (
            "" if incident_type == IncidentType.OTHER else str(IncidentType(incident_type).label)
        )
    return f"{owner.short_name or owner.name_zh}“{day.month}·{day.day}”{grade_name}{type_name}事故"


def item_attributes(
    *, grade: str, incident_type: str, occurred_at: datetime, figures: Figures
) -> dict:
    """The register's fields on the item: the current grade and figures, for its page, the
    ledger's list and export."""
    return {
        "grade": grade,
        "incident_type": incident_type,
        "occurred_on": local_date(occurred_at).isoformat(),
        "deaths": str(figures.deaths),
        "serious_injuries": str(figures.serious_injuries),
        "direct_loss": format(Decimal(figures.direct_loss_fen) / FEN_PER_WAN, "f"),
    }


def _next_number(supervisor_id: int, year: int) -> str:
    """LN-AQ-2026-0007: the supervisor's code, the year of the incident, a running number.
    The supervisor's row is locked so two reports cannot take the same number."""
    supervisor = Supervisor.objects.select_for_update().get(id=supervisor_id)
    prefix = f"{supervisor.code.upper()}-AQ-{year}-"
    taken = Incident.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    last = max((int(number.rsplit("-", 1)[1]) for number in taken), default=0)
    return f"{prefix}{last + 1:04d}"


def _report_out(report: IncidentReport) -> dict:
    return {
        "incident": report.incident.number,
        "version": report.version,
        "kind": report.kind,
        "reported_at": report.reported_at.isoformat(),
        "deaths": report.deaths,
        "serious_injuries": report.serious_injuries,
        "direct_loss_fen": report.direct_loss_fen,
        "grade": report.grade,
        "graded_by": report.graded_by,
        "note": report.note,
    }


def _add_report(incident, *, acting_user, kind, reported_at, figures, grading, note, version):
    report = IncidentReport.objects.create(
        incident=incident,
        version=version,
        kind=kind,
        reported_at=reported_at,
        deaths=figures.deaths,
        serious_injuries=figures.serious_injuries,
        direct_loss_fen=figures.direct_loss_fen,
        grade=grading.grade.value,
        graded_by=[c.criterion.value for c in grading.deciding],
        reported_by=acting_user,
        note=note,
        recorded_at=clock.now(),
    )
    incident.latest = report
    incident.save(update_fields=["latest", "updated_at"])
    return report


# --- the first report ----------------------------------------------------------------------


def duplicate_of(owner_id: int, occurred_at: datetime, incident_type: str) -> Incident | None:
    """An incident already recorded for the same enterprise, time and type (not cancelled)."""
    return (
        Incident.objects.filter(
            item__owner_id=owner_id, occurred_at=occurred_at, incident_type=incident_type
        )
        .exclude(item__status=Status.CANCELLED)
        .first()
    )


@dataclass
class FirstReport:
    """A first report, checked: what `incident_report_first` writes."""

    occurred_at: datetime | None
    incident_type: str
    place: str
    description: str
    figures: Figures
    grading: Grading | None  # None when the figures are not valid
    reported_at: datetime
    note: str
    responsible_name: str


def check_first_report(
    *,
    owner_id: int | None,
    occurred_at,
    incident_type: str,
    place: str,
    deaths,
    serious_injuries,
    direct_loss,
    description: str = "",
    reported_at=None,
    note: str = "",
    responsible_name: str = "",
) -> tuple[FirstReport, dict[str, list[str]]]:
    """A first report's values, cleaned, and every problem with them by field (`__all__`
    when the figures are no incident at all). Shared by the pages, the API and the import."""
    errors: dict[str, list[str]] = {}
    occurred_at = check_occurred(occurred_at, errors)
    if incident_type not in IncidentType.values:
        errors["incident_type"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(IncidentType.values)}
        ]
    place = clean_text(place, "place", PLACE_LENGTH, errors, required=True)
    description = clean_text(description, "description", TEXT_LENGTH, errors)
    note = clean_text(note, "note", NOTE_LENGTH, errors)
    responsible_name = clean_text(responsible_name, "responsible_name", 100, errors)
    figures = clean_figures(deaths, serious_injuries, direct_loss, errors)
    grading = (
        None
        if errors.keys() & {"deaths", "serious_injuries", "direct_loss"}
        else grade_of(figures, errors)
    )
    reported_at = check_reported(
        reported_at,
        occurred_at if "occurred_at" not in errors else None,
        errors,
        since=_("The report cannot be dated before the incident."),
    )
    if owner_id is not None and not errors.keys() & {"occurred_at", "incident_type"}:
        duplicate = duplicate_of(owner_id, occurred_at, incident_type)
        if duplicate is not None:
            errors["occurred_at"] = [
                _("This incident is already recorded as %(number)s; send a further report to it.")
                % {"number": duplicate.number}
            ]
    checked = FirstReport(
        occurred_at=occurred_at,
        incident_type=incident_type,
        place=place,
        description=description,
        figures=figures,
        grading=grading,
        reported_at=reported_at,
        note=note,
        responsible_name=responsible_name,
    )
    return checked, errors


def _refused(errors: dict, otherwise: str) -> DomainError:
    message = errors["__all__"][0] if not_an_incident(errors) else otherwise
    return DomainError(message, code="invalid", fields=errors)


def may_not_report(owner: Enterprise) -> Forbidden:
    return Forbidden(
        _(
            "Only the reporters of %(owner)s (or of an enterprise above it) and the "
            "supervisor's analysts and reviewers report its incidents."
        )
        % {"owner": owner.name}
    )


@transaction.atomic
def incident_report_first(
    *,
    acting_user,
    owner: Enterprise,
    occurred_at: datetime,
    incident_type: str,
    place: str,
    deaths,
    serious_injuries,
    direct_loss,
    description: str = "",
    reported_at: datetime | None = None,
    note: str = "",
    responsible_name: str = "",
) -> Incident:
    """Record an incident and its first report (首报): the item of the register, the incident,
    version 1 of its figures with their grade. `direct_loss` is in yuan. All of it or, on any
    problem, nothing, with every problem named at once."""
    if not may_report(acting_user, owner):
        raise may_not_report(owner)
    checked, errors = check_first_report(
        owner_id=owner.id,
        occurred_at=occurred_at,
        incident_type=incident_type,
        place=place,
        deaths=deaths,
        serious_injuries=serious_injuries,
        direct_loss=direct_loss,
        description=description,
        reported_at=reported_at,
        note=note,
        responsible_name=responsible_name,
    )
    if errors:
        raise _refused(errors, _("The incident was not recorded: some fields are not valid."))
    occurred_at, incident_type = checked.occurred_at, checked.incident_type
    figures, grading = checked.figures, checked.grading
    opened_on = clock.today()
    due = max(local_date(occurred_at) + timedelta(days=INVESTIGATION_DAYS), opened_on)
    item = ledger_services.item_create(
        acting_user=_opener(acting_user, owner.supervisor_id),
        register=Register.SAFETY_INCIDENT,
        owner=owner,
        title=incident_title(owner, occurred_at, incident_type, grading.grade.value),
        due_date=due,
        source=_("Incident report"),
        responsible_name=checked.responsible_name,
        progress_rule=ProgressRule.MILESTONES,
        milestones=[str(title) for title in MILESTONES],
        attributes=item_attributes(
            grade=grading.grade.value,
            incident_type=incident_type,
            occurred_at=occurred_at,
            figures=figures,
        ),
    )
    incident = Incident.objects.create(
        item=item,
        number=_next_number(owner.supervisor_id, local_date(occurred_at).year),
        occurred_at=occurred_at,
        incident_type=incident_type,
        place=checked.place,
        description=checked.description,
    )
    report = _add_report(
        incident,
        acting_user=acting_user,
        kind=ReportKind.INITIAL,
        reported_at=checked.reported_at,
        figures=figures,
        grading=grading,
        note=checked.note,
        version=1,
    )
    audit_record(
        actor=acting_user,
        action="create",
        instance=incident,
        after={
            "event": "incident_reported",
            "item": item.id,
            "number": incident.number,
            "occurred_at": occurred_at.isoformat(),
            "incident_type": incident_type,
            "place": incident.place,
            **_report_out(report),
        },
        enterprise_id=owner.id,
    )
    tell(supervisor_staff(item), INCIDENT_REPORTED, about(item), item=item, skip=acting_user)
    return incident


# --- further reports --------------------------------------------------------------------------


def supplementary_until(incident: Incident) -> date:
    """The last day a change of the figures is a supplementary report (补报)."""
    return local_date(incident.occurred_at) + timedelta(
        days=supplementary_window_days(incident.incident_type)
    )


def kind_of_further_report(incident: Incident, reported_at: datetime) -> str:
    days_after = (local_date(reported_at) - local_date(incident.occurred_at)).days
    if within_supplementary_window(incident.incident_type, days_after):
        return ReportKind.SUPPLEMENTARY
    return ReportKind.CORRECTION


@dataclass
class FurtherReport:
    """A further report, checked: what `incident_report_again` writes."""

    figures: Figures
    grading: Grading | None  # None when the figures are not valid
    reported_at: datetime
    kind: str
    note: str
    unchanged: bool  # the same figures as the latest report


def check_further_report(
    incident: Incident, *, deaths, serious_injuries, direct_loss, reported_at=None, note=""
) -> tuple[FurtherReport, dict[str, list[str]]]:
    """A further report's values, cleaned, its kind (supplementary or late correction) and
    every problem with them by field. Shared by the pages, the API and the import."""
    latest = incident.latest
    errors: dict[str, list[str]] = {}
    figures = clean_figures(deaths, serious_injuries, direct_loss, errors)
    grading = None if errors else grade_of(figures, errors)
    note = clean_text(note, "note", NOTE_LENGTH, errors)
    reported_at = check_reported(
        reported_at,
        latest.reported_at,
        errors,
        since=_("The report cannot be dated before the previous one (%(at)s).")
        % {"at": timezone.localtime(latest.reported_at, CHINA).strftime("%Y-%m-%d %H:%M")},
    )
    kind = kind_of_further_report(incident, reported_at)
    if kind == ReportKind.CORRECTION and not note and "reported_at" not in errors:
        errors["note"] = [
            _(
                "This report comes after %(until)s, the last day for a supplementary report "
                "(条例 Art. 13): it is recorded as a late correction and needs its reason."
            )
            % {"until": supplementary_until(incident).isoformat()}
        ]
    unchanged = figures == Figures(latest.deaths, latest.serious_injuries, latest.direct_loss_fen)
    checked = FurtherReport(figures, grading, reported_at, kind, note, unchanged)
    return checked, errors


def closed_error(item: TrackedItem) -> DomainError:
    return DomainError(
        _("The handling of this incident is closed (%(status)s): it takes no more reports.")
        % {"status": item.get_status_display().lower()},
        code="state",
    )


UNCHANGED = gettext_lazy(
    "The figures are the same as in the latest report: there is nothing to re-report."
)


@transaction.atomic
def incident_report_again(
    *,
    acting_user,
    incident: Incident,
    deaths,
    serious_injuries,
    direct_loss,
    reported_at: datetime | None = None,
    note: str = "",
) -> IncidentReport:
    """Re-report an incident's figures: a new version, regraded; a supplementary report within
    the window, a late correction with its reason after it (see the module's rules)."""
    item = (
        TrackedItem.objects.select_for_update(of=("self",))
        .select_related("owner")
        .get(id=incident.item_id)
    )
    incident = Incident.objects.select_related("latest").get(id=incident.id)
    if not may_report(acting_user, item.owner):
        raise may_not_report(item.owner)
    if item.status not in ACTIVE:
        raise closed_error(item)
    latest = incident.latest
    checked, errors = check_further_report(
        incident,
        deaths=deaths,
        serious_injuries=serious_injuries,
        direct_loss=direct_loss,
        reported_at=reported_at,
        note=note,
    )
    if errors:
        raise _refused(errors, _("The report was not recorded: some fields are not valid."))
    if checked.unchanged:
        raise DomainError(str(UNCHANGED), code="unchanged")
    figures, grading = checked.figures, checked.grading
    report = _add_report(
        incident,
        acting_user=acting_user,
        kind=checked.kind,
        reported_at=checked.reported_at,
        figures=figures,
        grading=grading,
        note=checked.note,
        version=latest.version + 1,
    )
    reason = _("%(kind)s, version %(version)s: %(before)s → %(after)s") % {
        "kind": report.get_kind_display(),
        "version": report.version,
        "before": latest.get_grade_display(),
        "after": report.get_grade_display(),
    }
    ledger_services.item_edit(
        acting_user=_opener(acting_user, item.supervisor_id),
        item=item,
        changes={
            "title": incident_title(
                item.owner, incident.occurred_at, incident.incident_type, report.grade
            ),
            "attributes": item_attributes(
                grade=report.grade,
                incident_type=incident.incident_type,
                occurred_at=incident.occurred_at,
                figures=figures,
            ),
        },
        reason=reason,
    )
    audit_record(
        actor=acting_user,
        action="create",
        instance=report,
        before=_report_out(latest),
        after={"event": "incident_re_reported", "item": item.id, **_report_out(report)},
        enterprise_id=item.owner_id,
    )
    if report.grade != latest.grade:
        item.refresh_from_db(fields=["title"])
        tell(
            supervisor_staff(item) + reporters_of(item),
            INCIDENT_REGRADED,
            about(item),
            item=item,
            body=reason,
            skip=acting_user,
        )
    return report
