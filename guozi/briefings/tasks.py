"""Jobs of the briefings app: generating a tour's brief, and the monthly analysis reports."""

from django_tasks import task

from guozi.jobs.services import job_run


@task()
def brief_generate_job(job_id: str) -> dict | None:
    from .services import brief_render

    return job_run(job_id, brief_render)


@task()
def monthly_reports_job(job_id: str) -> dict | None:
    from .monthly import write_due_reports

    return job_run(job_id, lambda job, progress: write_due_reports(job=job, progress=progress))
