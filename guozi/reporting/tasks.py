"""Jobs of reporting: large report imports run here, with a progress bar on the job page."""

from pathlib import Path

from django_tasks import task

from guozi.jobs.services import job_run

from . import imports

ERRORS_KEPT = 500


@task()
def import_reports_job(job_id: str) -> dict | None:
    """Check or import a stored file of reports as the job's creator; the result holds the
    counts, the first ERRORS_KEPT problems and the first reports with their outcome."""

    def work(job, progress) -> dict:
        params = job.params
        result = imports.import_reports(
            acting_user=job.created_by,
            path=Path(params["path"]),
            name=params["name"],
            form_code=params.get("form") or None,
            period=params.get("period") or None,
            dry_run=params["dry_run"],
            valid_only=params.get("valid_only", False),
            progress=progress,
        )
        return result.summary(limit=ERRORS_KEPT)

    return job_run(job_id, work)
