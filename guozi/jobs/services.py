"""Starting jobs, reporting their progress, finishing them."""

import logging
import traceback
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from .models import Job, JobStatus

log = logging.getLogger(__name__)


def job_start(*, kind: str, title_zh: str, title_en: str, acting_user, params: dict, task) -> Job:
    """Create the job and enqueue `task(job_id)` once the surrounding transaction commits."""
    user = acting_user if acting_user is not None and acting_user.is_authenticated else None
    job = Job.objects.create(
        kind=kind, title_zh=title_zh, title_en=title_en, created_by=user, params=params
    )

    def enqueue() -> None:
        result = task.enqueue(str(job.id))
        Job.objects.filter(id=job.id).update(task_result_id=str(result.id))

    transaction.on_commit(enqueue)
    return job


class Progress:
    """Handed to the work function: `progress(done, total, message)`, throttled writes."""

    def __init__(self, job_id) -> None:
        self.job_id = job_id
        self._last_write = 0.0

    def __call__(self, done: int, total: int | None = None, message: str = "") -> None:
        now = timezone.now().timestamp()
        if total is not None and done < total and now - self._last_write < 0.3:
            return
        self._last_write = now
        fields = {"done": done}
        if total is not None:
            fields["total"] = total
        if message:
            fields["message"] = message
        Job.objects.filter(id=self.job_id).update(**fields)


def job_run(job_id, work: Callable[[Job, Progress], dict | None]) -> dict | None:
    """Run `work(job, progress)` for a queued job, recording start, end, result or failure."""
    claimed = Job.objects.filter(id=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        log.warning("job %s was not queued; not running it again", job_id)
        return None
    job = Job.objects.get(id=job_id)
    try:
        result = work(job, Progress(job.id))
    except Exception as exc:
        Job.objects.filter(id=job_id).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            message=str(exc) or exc.__class__.__name__,
            result={"traceback": traceback.format_exc(limit=5)},
        )
        raise
    Job.objects.filter(id=job_id).update(
        status=JobStatus.SUCCEEDED, finished_at=timezone.now(), result=result
    )
    return result
