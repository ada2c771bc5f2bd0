"""The profile's reporting record: the enterprise's recent reports with their state, deadline
and returns, and its record over the last twelve periods of the monthly fast report."""

from django.urls import reverse
from django.utils.translation import gettext as _

from guozi.indicators.presenters import Cell, Table, text_cell
from guozi.reporting.models import State
from guozi.reporting.selectors import quality_record, visible_submissions

from .profile import Context, Section

RECENT = 24  # reports listed in full; a condensed profile lists CONDENSED_ROWS of them
RECORD_PERIODS = 12


def _count(value: int) -> Cell:
    return Cell(str(value), value, "int")


def _on_time(submission) -> Cell:
    due = submission.effective_due
    if submission.first_submitted_at is None:
        if submission.state == State.DRAFT:
            return text_cell(_("not submitted"), css="missing")
        return text_cell(_("no submission time recorded"), css="missing")
    if due is None:
        return text_cell(_("no deadline"))
    if submission.first_submitted_at.date() <= due:
        return text_cell(_("on time"), css="on-track")
    late = (submission.first_submitted_at.date() - due).days
    return text_cell(_("%(days)s days late") % {"days": late}, css="behind")


def reporting(context: Context) -> Section:
    enterprise = context.enterprise
    submissions = list(
        visible_submissions(context.user)
        .filter(enterprise=enterprise)
        .select_related("form")
        .order_by("-period_end", "form__code", "scope", "id")[:RECENT]
    )
    shown = context.shorten(submissions)
    rows = [
        [
            text_cell(s.form.name, link=reverse("reporting:submission", args=[s.id])),
            text_cell(s.period),
            text_cell(s.get_scope_display()),
            text_cell(s.get_state_display(), css=f"state state-{s.state}"),
            text_cell(s.effective_due.isoformat() if s.effective_due else ""),
            text_cell(s.first_submitted_at.date().isoformat() if s.first_submitted_at else ""),
            _on_time(s),
            _count(s.times_returned),
            _count(s.errors),
            _count(s.warnings),
        ]
        for s in shown
    ]
    tables = [
        Table(
            "reports",
            _("Recent reports"),
            [
                _("Form"),
                _("Period"),
                _("Scope"),
                _("State"),
                _("Due"),
                _("First submitted"),
                _("Timeliness"),
                _("Times returned"),
                _("Errors"),
                _("Warnings"),
            ],
            rows,
        )
    ]
    notes = [_("The latest reports first, every form and scope.")]
    if context.form is not None and submissions:
        record = quality_record(enterprise, context.form, RECORD_PERIODS)
        tables.insert(
            0,
            Table(
                "reporting_record",
                _("Reporting record"),
                [_("Item"), _("Count")],
                [
                    [text_cell(_("Reports")), _count(record["reports"])],
                    [text_cell(_("Submitted on time")), _count(record["on_time"])],
                    [text_cell(_("Approved without a return")), _count(record["first_time"])],
                    [text_cell(_("Returns")), _count(record["returned"])],
                    [text_cell(_("Waivers")), _count(record["waivers"])],
                    [
                        text_cell(_("Revisions after approval")),
                        _count(record["revisions_after_approval"]),
                    ],
                ],
                notes=[
                    _("%(form)s, the last %(n)s periods (both scopes).")
                    % {"form": context.form.name, "n": RECORD_PERIODS}
                ],
            ),
        )
        notes.append(tables[0].notes[0])
    notes += context.more_note(len(submissions))
    return Section(
        key="reporting",
        title=_("Reporting record"),
        tables=tables,
        charts=[],
        notes=notes if submissions else [],
        empty=_("No reports filed."),
        link=reverse("reporting:period"),
    )
