"""Jobs of the registry: long imports run here, with a progress bar on the job page."""

from datetime import date
from pathlib import Path

from django_tasks import task

from guozi.jobs.services import job_run

from . import imports

ERRORS_KEPT = 500


@task()
def import_enterprises_job(job_id: str) -> dict | None:
    """Check or import a stored file of enterprises as the job's creator; the result holds the
    counts and the first ERRORS_KEPT errors and warnings."""

    def work(job, progress) -> dict:
        params = job.params
        result = imports.import_enterprises(
            acting_user=job.created_by,
            path=Path(params["path"]),
            name=params["name"],
            dry_run=params["dry_run"],
            valid_from=date.fromisoformat(params["valid_from"]),
            progress=progress,
        )
        return result.summary(limit=ERRORS_KEPT)

    return job_run(job_id, work)
