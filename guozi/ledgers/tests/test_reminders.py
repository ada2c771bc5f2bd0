"""Reminders on the one clock: due soon, overdue and inactive; escalation from the owner's
reporters to its reviewers and then to the supervisor's analysts; never twice a day."""

from datetime import timedelta

from guozi.accounts.models import Notification
from guozi.jobs.models import Job, JobStatus
from guozi.jobs.schedule import SCHEDULE
from guozi.ledgers import services
from guozi.ledgers.models import Reminder
from guozi.ledgers.reminders import ledger_reminders_job, send_reminders

from .conftest import TODAY, approved, open_item, write


def told(subject_start: str) -> set[str]:
    return set(
        Notification.objects.filter(subject_en__startswith=subject_start).values_list(
            "user__username", flat=True
        )
    )


def test_the_owners_reporters_hear_a_week_before_the_due_date(cast):
    item = open_item(cast, due_date=TODAY + timedelta(days=5), responsible_user=cast.reporter)
    Notification.objects.all().delete()
    assert send_reminders(TODAY)["items"] == 1
    assert told("Due in 5 days") == {"sub_reporter", "reporter"}
    note = Notification.objects.get(user=cast.sub_reporter)
    assert note.subject_zh != note.subject_en and item.title in note.subject_zh
    assert note.link == f"/ledgers/items/{item.id}/"
    reminder = Reminder.objects.get()
    assert (reminder.kind, reminder.level, reminder.day, reminder.recipients) == (
        "due_soon",
        1,
        TODAY,
        2,
    )


def test_nobody_hears_of_the_same_item_and_stage_twice_in_a_day(cast):
    open_item(cast, due_date=TODAY + timedelta(days=2))
    send_reminders(TODAY)
    before = Notification.objects.count()
    assert send_reminders(TODAY)["items"] == 0
    assert Notification.objects.count() == before
    assert Reminder.objects.count() == 1


def test_a_stage_is_repeated_after_a_week_not_the_next_day(cast):
    open_item(cast, due_date=TODAY + timedelta(days=7))
    assert send_reminders(TODAY)["items"] == 1
    assert send_reminders(TODAY + timedelta(days=1))["items"] == 0
    assert send_reminders(TODAY + timedelta(days=6))["items"] == 0
    assert send_reminders(TODAY + timedelta(days=7))["items"] == 1  # due today: a week later


def test_overdue_escalates_to_the_reviewer_then_to_the_supervisors_analysts(cast):
    open_item(cast, due_date=TODAY)
    Notification.objects.all().delete()
    send_reminders(TODAY + timedelta(days=1))
    assert told("Overdue by 1 day:") == {"sub_reporter", "reporter"}
    send_reminders(TODAY + timedelta(days=7))
    assert told("Overdue by 7 days") == {"sub_reporter", "reporter", "group_reviewer"}
    send_reminders(TODAY + timedelta(days=14))
    assert told("Overdue by 14 days") == {"sub_reporter", "reporter", "group_reviewer", "analyst"}
    levels = list(Reminder.objects.order_by("day").values_list("kind", "level"))
    assert levels == [("overdue", 1), ("overdue", 2), ("overdue", 3)]
    # Nobody outside the item's chain or its supervisor hears of it.
    assert not Notification.objects.filter(
        user__username__in=["outsider", "dl_analyst", "leader", "reviewer"]
    ).exists()


def test_without_an_enterprise_reviewer_the_supervisors_reviewer_hears(cast):
    open_item(cast, owner=cast.b1, due_date=TODAY)  # the port group has no enterprise reviewer
    send_reminders(TODAY + timedelta(days=7))
    assert told("Overdue by 7 days") == {"outsider", "reviewer"}


def test_an_item_without_activity_is_reminded_and_activity_resets_the_count(cast, settings):
    quiet = open_item(cast, title="无人问津", due_date=TODAY + timedelta(days=90))
    busy = open_item(cast, title="正在推进", due_date=TODAY + timedelta(days=90))
    settings.GUOZI_TODAY = (TODAY + timedelta(days=20)).isoformat()
    write(cast, busy, submit=False)
    assert send_reminders(TODAY + timedelta(days=30))["by_kind"] == {"inactive": 1}
    assert told("No activity for 30 days") == {"sub_reporter", "reporter"}
    assert Reminder.objects.get().item_id == quiet.id
    send_reminders(TODAY + timedelta(days=44))
    assert "group_reviewer" in told("No activity for 44 days")


def test_items_handed_in_or_closed_are_not_reminded(cast):
    waiting = open_item(cast, due_date=TODAY + timedelta(days=1))
    approved(cast, waiting, progress=100)
    services.verification_request(acting_user=cast.group_reviewer, item=waiting)
    cancelled = open_item(cast, due_date=TODAY + timedelta(days=1))
    services.item_cancel(acting_user=cast.analyst, item=cancelled, reason="重复")
    assert send_reminders(TODAY + timedelta(days=20))["items"] == 0
    assert not Reminder.objects.exists()


def test_the_scheduler_runs_the_reminders_every_morning():
    entry = next(entry for entry in SCHEDULE if entry.name == "ledger_reminders")
    assert entry.cron == "30 8 * * *" and entry.task is ledger_reminders_job
    title_zh, title_en = entry.titles()
    assert title_en.startswith("Reminders of ledger items") and title_zh != title_en


def test_the_job_sends_the_reminders_of_the_clocks_today(cast):
    open_item(cast, due_date=TODAY + timedelta(days=3))
    job = Job.objects.create(kind="ledger_reminders", title_zh="台账提醒", title_en="reminders")
    result = ledger_reminders_job.call(str(job.id))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert result == job.result == {"items": 1, "by_kind": {"due_soon": 1}, "messages": 2}
