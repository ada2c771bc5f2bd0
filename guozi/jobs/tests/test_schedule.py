from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from guozi.jobs import schedule
from guozi.jobs.models import Job, ScheduleRun
from guozi.jobs.schedule import SCHEDULE, Entry, claim, is_due, next_run, run_due, take_turn
from guozi.jobs.tasks import ping_job
from guozi.lib import clock
from guozi.lib.clock import CHINA

DAILY = Entry(name="daily_test", cron="0 3 * * *", task=ping_job, description="daily test")


def china(*args) -> datetime:
    return datetime(*args, tzinfo=CHINA)


def test_the_shipped_schedule_housekeeping_at_three_and_reminders_at_eight():
    assert [(entry.name, entry.cron) for entry in SCHEDULE] == [
        ("housekeeping", "0 3 * * *"),
        ("report_reminders", "0 8 * * *"),  # added by the reporting app
        ("ledger_reminders", "30 8 * * *"),  # added by the ledgers app
        ("ledger_evidence_sweep", "45 3 * * *"),  # added by the ledgers app
        ("reform_snapshots", "15 2 1 * *"),  # added by the reform register
        ("reform_current", "5 0 * * *"),  # added by the reform register
        ("monthly_reports", "30 6 * * *"),  # added by the briefings app
    ]
    title_zh, title_en = SCHEDULE[0].titles()
    assert title_en.startswith("Housekeeping")
    assert title_zh != title_en and title_zh.startswith("例行清理")


def test_due_and_not_due_in_china_time():
    last = china(2026, 8, 27, 3, 0, 5)
    assert next_run(DAILY, last) == china(2026, 8, 28, 3, 0)
    assert not is_due(DAILY, last, china(2026, 8, 28, 2, 59, 59))
    assert is_due(DAILY, last, china(2026, 8, 28, 3, 0))
    # 03:00 in Shanghai is 19:00 UTC the day before: the cron runs on China time.
    assert not is_due(DAILY, last, datetime(2026, 8, 27, 18, 59, tzinfo=UTC))
    assert is_due(DAILY, last, datetime(2026, 8, 27, 19, 0, tzinfo=UTC))
    # A last run stored in UTC counts the same.
    assert next_run(DAILY, datetime(2026, 8, 26, 19, 0, 5, tzinfo=UTC)) == china(2026, 8, 28, 3)


def test_invalid_cron_is_refused():
    with pytest.raises(ValueError, match="invalid cron"):
        Entry(name="bad", cron="0 3 * *", task=ping_job, description="bad")


@pytest.mark.django_db
def test_claim_counts_from_first_sight_then_runs_once_per_due_time():
    first = china(2026, 8, 27, 10, 0)
    assert not claim(DAILY, first)
    assert ScheduleRun.objects.get(name="daily_test").last_run_at == first
    assert not claim(DAILY, china(2026, 8, 28, 2, 59))
    assert claim(DAILY, china(2026, 8, 28, 3, 0, 20))
    assert not claim(DAILY, china(2026, 8, 28, 3, 0, 50))
    # Down for three days: one catch-up run, not three.
    assert claim(DAILY, china(2026, 8, 31, 9, 0))
    assert not claim(DAILY, china(2026, 8, 31, 9, 1))
    assert ScheduleRun.objects.get(name="daily_test").last_run_at == china(2026, 8, 31, 9, 0)


@pytest.mark.django_db
def test_the_claim_is_exclusive():
    seen = china(2026, 8, 27, 3, 0)
    ScheduleRun.objects.create(name="daily_test", last_run_at=seen)
    # Two schedulers read the same last run and both find the entry due; one wins.
    assert take_turn("daily_test", seen, china(2026, 8, 28, 3, 0, 1))
    assert not take_turn("daily_test", seen, china(2026, 8, 28, 3, 0, 2))
    assert ScheduleRun.objects.get(name="daily_test").last_run_at == china(2026, 8, 28, 3, 0, 1)


@pytest.mark.django_db
def test_run_due_starts_a_job_and_enqueues_its_task(django_capture_on_commit_callbacks, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ScheduleRun.objects.create(name="daily_test", last_run_at=china(2026, 8, 27, 3, 0))
    with django_capture_on_commit_callbacks(execute=True):
        started = run_due(china(2026, 8, 28, 3, 0, 10), [DAILY])
    [(entry, job)] = started
    assert entry is DAILY
    job.refresh_from_db()
    assert (job.kind, job.title_en, job.created_by) == ("daily_test", "daily test", None)
    task_result = DBTaskResult.objects.get(id=job.task_result_id)
    assert task_result.task_path == "guozi.jobs.tasks.ping_job"
    assert task_result.args_kwargs["args"] == [str(job.id)]
    assert run_due(china(2026, 8, 28, 3, 0, 40), [DAILY]) == []


@pytest.mark.django_db
def test_run_scheduler_once_uses_the_one_clock(
    monkeypatch, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ScheduleRun.objects.create(name="housekeeping", last_run_at=china(2026, 8, 27, 3, 0))
    monkeypatch.setattr(clock, "now", lambda: china(2026, 8, 28, 2, 30))
    call_command("run_scheduler", "--once", verbosity=0)
    assert not Job.objects.exists()

    monkeypatch.setattr(clock, "now", lambda: china(2026, 8, 28, 3, 0, 30))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduler", "--once", verbosity=0)
    job = Job.objects.get()
    assert job.kind == "housekeeping"
    assert job.task_result_id
    assert ScheduleRun.objects.get(name="housekeeping").last_run_at == china(2026, 8, 28, 3, 0, 30)
    assert schedule.SCHEDULE[0].task.name == "housekeeping_job"


def test_run_scheduler_refuses_a_bad_interval():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("run_scheduler", "--interval", "0")
