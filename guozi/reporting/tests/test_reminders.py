"""Deadline reminders: due soon, on the day, overdue; never twice a day."""

from datetime import timedelta

from guozi.accounts.models import Notification
from guozi.jobs.schedule import SCHEDULE
from guozi.lib.periods import Period
from guozi.reporting import services
from guozi.reporting.expected import Deadlines
from guozi.reporting.frameworks import definition_of, version_in_force
from guozi.reporting.models import ReportScope
from guozi.reporting.reminders import send_reminders

from .conftest import clean_cells

JULY = Period.parse("2026-07")


def _due(form, level):
    definition = definition_of(version_in_force(form, JULY))
    return Deadlines(form.id, definition, JULY).due(None, level)


def test_reporters_hear_three_days_before_the_deadline(cast, fast_report):
    due = _due(fast_report, 3)  # a11 is at level 3
    send_reminders(due - timedelta(days=3))
    subjects = set(
        Notification.objects.filter(user=cast.sub_reporter).values_list("subject_zh", flat=True)
    )
    assert any(s.startswith("即将到期：辽钢板材鞍山加工厂") for s in subjects)
    assert not Notification.objects.filter(user=cast.outsider, subject_zh__contains="辽钢").exists()


def test_overdue_reports_reach_the_reviewer_and_are_not_repeated(cast, fast_report):
    day = _due(fast_report, 3) + timedelta(days=1)
    first = send_reminders(day)["sent"]
    assert first > 0
    assert Notification.objects.filter(
        user=cast.group_reviewer, subject_zh__startswith="已逾期：辽钢板材鞍山加工厂"
    ).exists()
    assert send_reminders(day)["sent"] == 0


def test_a_submitted_report_is_not_reminded(cast, fast_report):
    submission = services.submission_open(
        acting_user=None,
        enterprise=cast.a11,
        form=fast_report,
        period=JULY,
        scope=ReportScope.CONSOLIDATED,
    )
    services.cells_write(acting_user=None, submission=submission, raw=clean_cells(), channel="web")
    services.submit(acting_user=None, submission=submission)
    send_reminders(_due(fast_report, 3) + timedelta(days=1))
    assert not Notification.objects.filter(subject_zh__contains="辽钢板材鞍山加工厂").exists()


def test_the_scheduler_knows_the_reminders():
    assert "report_reminders" in {entry.name for entry in SCHEDULE}
