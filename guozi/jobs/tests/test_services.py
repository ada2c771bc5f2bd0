import json
import os
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from guozi.accounts.models import Notification, User
from guozi.jobs.models import Job, JobStatus, progress_file
from guozi.jobs.services import JobFailed, Progress, housekeeping, job_run
from guozi.lib.context import current_channel
from guozi.lib.errors import DomainError


@pytest.fixture
def user(db):
    return User.objects.create_user(username="jobber", password="x", language="en")


def make_job(user, **fields) -> Job:
    return Job.objects.create(
        kind="test", title_zh="测试任务", title_en="Test job", created_by=user, **fields
    )


def test_job_run_records_progress_result_and_notifies(user):
    job = make_job(user)
    seen = {}

    def work(job, progress):
        seen["channel"] = current_channel()
        for done in range(1, 11):
            progress(done, 10, f"row {done}")
        return {"created": 10}

    assert job_run(job.id, work) == {"created": 10}
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert (job.done, job.total, job.message) == (10, 10, "row 10")
    assert job.result == {"created": 10}
    assert job.started_at and job.finished_at
    assert seen["channel"] == "job"
    assert current_channel() != "job"

    note = Notification.objects.get(user=user)
    assert note.link == f"/jobs/{job.id}/"
    assert note.subject_en == "Job finished: Test job"
    assert note.subject_zh == "任务已完成：测试任务"
    assert note.body_zh and note.body_en


def test_job_run_records_failure_and_notifies(user):
    job = make_job(user)

    def work(job, progress):
        progress(3, 7, "checking")
        raise DomainError("Row 4: the USCC fails its check character.")

    with pytest.raises(DomainError):
        job_run(job.id, work)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message == "Row 4: the USCC fails its check character."
    assert (job.done, job.total) == (3, 7)
    assert "DomainError" in job.result["traceback"]
    note = Notification.objects.get(user=user)
    assert note.subject_en == "Job failed: Test job"
    assert note.subject_zh == "任务失败：测试任务"
    assert "check character" in note.body_en


def test_job_failed_keeps_the_result_to_show(user):
    job = make_job(user)
    errors = [{"row": 7, "column": "uscc", "value": "X", "reason": "wrong length"}]

    def work(job, progress):
        raise JobFailed("1 error; nothing was written.", result={"rows": 9, "errors": errors})

    with pytest.raises(JobFailed):
        job_run(job.id, work)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message == "1 error; nothing was written."
    assert job.result == {"rows": 9, "errors": errors}


def test_an_interrupted_job_is_failed_not_left_running(user):
    job = make_job(user)

    def work(job, progress):
        raise SystemExit(1)

    with pytest.raises(SystemExit):
        job_run(job.id, work)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message == "The job was interrupted."
    assert Notification.objects.filter(user=user, subject_en="Job failed: Test job").exists()


def test_job_run_uses_the_creators_language(user):
    from django.utils.translation import get_language

    job = make_job(user)
    assert job_run(job.id, lambda job, progress: {"language": get_language()}) == {"language": "en"}


def test_job_run_does_not_run_a_job_twice(user):
    job = make_job(user)
    calls = []
    job_run(job.id, lambda job, progress: calls.append(1))
    assert job_run(job.id, lambda job, progress: calls.append(1)) is None
    assert calls == [1]
    assert Notification.objects.filter(user=user).count() == 1


def test_job_without_creator_sends_no_notification(db):
    job = Job.objects.create(kind="housekeeping", title_zh="清理", title_en="Housekeeping")
    job_run(job.id, lambda job, progress: {"deleted": 0})
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert not Notification.objects.exists()


def test_progress_inside_the_works_own_transaction_goes_to_a_file(user, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    job = make_job(user)
    seen = {}

    def work(job, progress):
        with transaction.atomic():
            progress(40, 100, "writing")
            seen["file"] = json.loads(progress_file(job.id).read_text())
            seen["row"] = Job.objects.values_list("done", flat=True).get(id=job.id)
            seen["live"] = Job.objects.get(id=job.id).load_live_progress().done
        return {"created": 100}

    job_run(job.id, work)
    assert seen["file"] == {"done": 40, "total": 100, "message": "writing"}
    assert seen["row"] == 0
    assert seen["live"] == 40
    assert not progress_file(job.id).exists()
    job.refresh_from_db()
    assert (job.done, job.total, job.message) == (40, 100, "writing")


def test_progress_is_throttled_but_the_last_step_always_written(user):
    job = make_job(user)
    progress = Progress(job.id, min_interval=60)
    progress(1, 100)
    progress(2, 100)
    assert Job.objects.get(id=job.id).done == 1
    progress(100, 100, "done")
    job.refresh_from_db()
    assert (job.done, job.total, job.message) == (100, 100, "done")


def test_live_progress_is_ignored_once_a_job_finished(user, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    job = make_job(user, status=JobStatus.SUCCEEDED, done=9, total=9)
    progress_file(job.id).parent.mkdir(parents=True)
    progress_file(job.id).write_text(json.dumps({"done": 1, "total": 9}))
    assert job.load_live_progress().done == 9
    job.status = JobStatus.RUNNING
    assert job.load_live_progress().done == 1


def _task_result(status, finished_days_ago):
    finished_at = timezone.now() - timedelta(days=finished_days_ago) if finished_days_ago else None
    return DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="guozi.jobs.tasks.ping_job",
        backend_name="default",
        status=status,
        finished_at=finished_at,
    )


def _file(path, days_old):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    then = time.time() - days_old * 86400
    os.utime(path, (then, then))
    return path


def test_housekeeping_deletes_what_is_old_and_keeps_the_rest(user, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    old_ok = _task_result(TaskResultStatus.SUCCESSFUL, 31)
    old_failed = _task_result(TaskResultStatus.FAILED, 45)
    recent = _task_result(TaskResultStatus.SUCCESSFUL, 29)
    waiting = _task_result(TaskResultStatus.READY, None)
    DBTaskResult.objects.filter(id=waiting.id).update(
        enqueued_at=timezone.now() - timedelta(days=90)
    )

    uploads = tmp_path / "uploads"
    old_upload = _file(uploads / "2026" / "old.xlsx", 8)
    new_upload = _file(uploads / "2026" / "new.xlsx", 1)
    lone_old = _file(uploads / "gone" / "old.csv", 10)
    os.utime(uploads / "gone", (time.time() - 10 * 86400,) * 2)
    fresh_empty = uploads / "fresh"
    fresh_empty.mkdir()
    stale_progress = _file(tmp_path / "jobs" / "stale.json", 30)

    now = timezone.now()
    old_read = Notification.objects.create(user=user, subject_zh="旧", subject_en="old")
    old_unread = Notification.objects.create(user=user, subject_zh="未读", subject_en="unread")
    recent_read = Notification.objects.create(user=user, subject_zh="新", subject_en="new")
    Notification.objects.filter(id__in=[old_read.id, old_unread.id]).update(
        created_at=now - timedelta(days=181)
    )
    Notification.objects.filter(id__in=[old_read.id, recent_read.id]).update(read_at=now)
    Notification.objects.filter(id=recent_read.id).update(created_at=now - timedelta(days=100))

    steps = []
    result = housekeeping(progress=lambda done, total=None, message="": steps.append(done))

    assert result == {"task_results": 2, "uploads": 2, "notifications": 1}
    assert set(DBTaskResult.objects.values_list("id", flat=True)) == {recent.id, waiting.id}
    assert not DBTaskResult.objects.filter(id__in=[old_ok.id, old_failed.id]).exists()
    assert not old_upload.exists() and not lone_old.exists()
    assert not (uploads / "gone").exists()
    assert new_upload.exists() and fresh_empty.exists() and uploads.exists()
    assert not stale_progress.exists()
    assert set(Notification.objects.values_list("id", flat=True)) == {old_unread.id, recent_read.id}
    assert steps == [0, 1, 2, 3]


def test_housekeeping_without_an_uploads_folder(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    assert housekeeping() == {"task_results": 0, "uploads": 0, "notifications": 0}
