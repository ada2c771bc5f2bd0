"""Jobs of indicators: recomputing the figures that reports changed since."""

from django_tasks import task

from guozi.jobs.services import job_run

from .services import recompute_stale


@task()
def recompute_stale_job(job_id: str) -> dict | None:
    def work(job, progress) -> dict:
        runs = recompute_stale(progress)
        return {"periods": sorted({run.period for run in runs}), "runs": len(runs)}

    return job_run(job_id, work)
