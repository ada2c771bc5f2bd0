"""Tasks of the jobs app. Each takes a job id and runs its work through `job_run`."""

from django.utils.translation import gettext as _
from django_tasks import task

from .services import housekeeping, job_run


@task()
def ping_job(job_id: str) -> dict | None:
    """A few quick steps with progress: shows that a worker picks up and finishes jobs."""

    def work(job, progress) -> dict:
        steps = max(1, int(job.params.get("steps", 3)))
        for step in range(1, steps + 1):
            progress(step, steps, _("Step %(step)d of %(steps)d") % {"step": step, "steps": steps})
        return {"steps": steps}

    return job_run(job_id, work)


@task()
def housekeeping_job(job_id: str) -> dict | None:
    return job_run(job_id, lambda job, progress: housekeeping(progress=progress))
