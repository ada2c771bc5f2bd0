"""Jobs executed by the real workers: django-tasks-db's db_worker and an RQ worker on Redis."""

import signal
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from guozi.accounts.models import Notification, User
from guozi.jobs.models import Job, JobStatus
from guozi.jobs.services import job_start
from guozi.jobs.tasks import ping_job

from .conftest import redis_url


@contextmanager
def signal_handlers_kept():
    """Workers install their own SIGINT/SIGTERM handlers; put pytest's back afterwards."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def start_ping(user, steps: int) -> Job:
    job = job_start(
        kind="ping",
        title_zh="连通测试",
        title_en="Ping",
        acting_user=user,
        params={"steps": steps},
        task=ping_job,
    )
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.task_result_id, "the task was not enqueued on commit"
    return job


@pytest.mark.django_db(transaction=True)
def test_db_worker_runs_a_job_with_progress(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    user = User.objects.create_user(username="worker_user", password="x")
    job = start_ping(user, steps=5)
    assert DBTaskResult.objects.get(id=job.task_result_id).status == TaskResultStatus.READY

    with signal_handlers_kept():
        call_command(
            "db_worker",
            "--batch",
            "--no-startup-delay",
            "--no-reload",
            "--interval",
            "0",
            verbosity=0,
        )

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert (job.done, job.total, job.percent) == (5, 5, 100)
    assert job.result == {"steps": 5}
    assert job.started_at <= job.finished_at
    task_result = DBTaskResult.objects.get(id=job.task_result_id)
    assert task_result.status == TaskResultStatus.SUCCESSFUL
    assert task_result.return_value == {"steps": 5}
    assert Notification.objects.filter(user=user, link=f"/jobs/{job.id}/").count() == 1


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_rq_worker_runs_a_job_with_progress(settings, require_service):
    require_service("redis")
    import django_rq
    import redis
    from rq import SimpleWorker

    url = redis_url(15)
    settings.RQ_QUEUES = {"default": {"URL": url, "DEFAULT_TIMEOUT": 60}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    try:
        user = User.objects.create_user(username="rq_user", password="x")
        job = start_ping(user, steps=4)
        queue = django_rq.get_queue("default")
        assert job.task_result_id in queue.job_ids

        worker = django_rq.get_worker(
            "default", job_class="django_tasks_rq.Job", worker_class=SimpleWorker
        )
        with signal_handlers_kept():
            worker.work(burst=True)

        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.message
        assert (job.done, job.total) == (4, 4)
        assert job.result == {"steps": 4}
        task_result = ping_job.get_result(job.task_result_id)
        assert task_result.status == TaskResultStatus.SUCCESSFUL
        assert task_result.return_value == {"steps": 4}
        assert queue.count == 0
        assert Notification.objects.filter(user=user, link=f"/jobs/{job.id}/").exists()
    finally:
        connection.flushdb()
