"""Jobs of the reform register: the monthly completion snapshot, and today's completion table
computed afresh each night (a new day changes which tasks are late)."""

from django_tasks import task

from guozi.jobs.services import job_run

from . import current
from .snapshots import rebuild_last_month


@task()
def reform_snapshots_job(job_id: str) -> dict | None:
    return job_run(job_id, lambda job, progress: rebuild_last_month())


@task()
def reform_current_job(job_id: str) -> dict | None:
    return job_run(job_id, lambda job, progress: {"refreshed": current.refresh()})
