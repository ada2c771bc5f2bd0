"""Jobs of the ledgers that are not reminders: keeping the evidence store tidy."""

from django_tasks import task

from guozi.jobs.services import job_run

from .services import evidence_sweep


@task()
def evidence_sweep_job(job_id: str) -> dict | None:
    return job_run(job_id, lambda job, progress: evidence_sweep())
