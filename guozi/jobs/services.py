"""Starting jobs, reporting their progress, finishing them; housekeeping of old files and rows."""

import json
import logging
import os
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guozi.lib.context import current_channel, set_channel
from guozi.lib.errors import DomainError

from .models import Job, JobStatus, progress_file

log = logging.getLogger(__name__)

TASK_RESULT_MAX_AGE = timedelta(days=30)
UPLOAD_MAX_AGE = timedelta(days=7)
READ_NOTIFICATION_MAX_AGE = timedelta(days=180)


class JobFailed(DomainError):
    """Raised by a job's work to fail with a result to show, e.g. an import's errors:
    `JobFailed(message, result={"rows": 1500, "errors": [{"row": 7, "column": "uscc", ...}]})`."""

    def __init__(self, message: str, *, result: dict | None = None) -> None:
        super().__init__(message=message, code="job_failed")
        self.result = result or {}


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
    """Handed to the work function: `progress(done, total, message)`, throttled writes.

    While the work holds a transaction of its own open (an all-or-nothing import), a progress
    row written through the same connection would stay invisible until the end, and on SQLite
    a second connection cannot write at all; so progress then goes to a small file in the data
    dir, which web and workers share, and `Job.load_live_progress` reads it.
    """

    def __init__(self, job_id, *, min_interval: float = 0.3) -> None:
        self.job_id = job_id
        self.min_interval = min_interval
        self.state: dict = {}
        self._last_write = 0.0
        self._depth = len(connection.atomic_blocks)

    def __call__(self, done: int, total: int | None = None, message: str = "") -> None:
        self.state["done"] = done
        if total is not None:
            self.state["total"] = total
        if message:
            self.state["message"] = message
        now = time.monotonic()
        final = total is not None and done >= total
        if not final and now - self._last_write < self.min_interval:
            return
        self._last_write = now
        if len(connection.atomic_blocks) > self._depth:
            self._write_file()
        else:
            Job.objects.filter(id=self.job_id).update(**self.state)

    def _write_file(self) -> None:
        path = progress_file(self.job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.state))
        partial.replace(path)


def job_run(job_id, work: Callable[[Job, Progress], dict | None]) -> dict | None:
    """Run `work(job, progress)` for a queued job, recording start, end, result or failure.

    `work` returns the result (a JSON-able dict: counts, and "errors" / "warnings" lists of
    {row, column, value, reason}, which the job page shows as tables), or raises `JobFailed`
    to fail with such a result; any other exception fails the job with its message.

    The work runs in the language of the job's creator, on the "job" audit channel; when it
    ends, the creator finds a message in the inbox that links to the job page.
    """
    claimed = Job.objects.filter(id=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        log.warning("job %s was not queued; not running it again", job_id)
        return None
    job = Job.objects.select_related("created_by").get(id=job_id)
    language = job.created_by.language if job.created_by else settings.LANGUAGE_CODE
    progress = Progress(job.id)
    channel = current_channel()
    set_channel("job")
    try:
        with translation.override(language):
            result = work(job, progress)
    except BaseException as exc:
        if isinstance(exc, JobFailed):
            message, result = exc.message, exc.result
        elif isinstance(exc, Exception):
            message = str(exc) or exc.__class__.__name__
            result = {"traceback": traceback.format_exc(limit=5)}
        else:  # the worker was told to stop at once
            with translation.override(language):
                message = _("The job was interrupted.")
            result = {"traceback": traceback.format_exc(limit=5)}
        _job_end(job_id, progress, status=JobStatus.FAILED, message=message, result=result)
        raise
    finally:
        set_channel(channel)
    _job_end(job_id, progress, status=JobStatus.SUCCEEDED, result=result)
    return result


def _job_end(job_id, progress: Progress, **fields) -> None:
    final = progress.state | fields | {"finished_at": timezone.now()}
    Job.objects.filter(id=job_id).update(**final)
    progress_file(job_id).unlink(missing_ok=True)
    _job_finished(job_id)


def _job_finished(job_id) -> None:
    """Tell the job's creator, in both languages, that it ended and where to see how."""
    from guozi.accounts.services import notify

    job = Job.objects.select_related("created_by").get(id=job_id)
    if job.created_by is None:
        return
    texts = {}
    for language, title in (("zh-hans", job.title_zh), ("en", job.title_en or job.title_zh)):
        with translation.override(language):
            if job.status == JobStatus.SUCCEEDED:
                subject = _("Job finished: %(title)s") % {"title": title}
                body = _("The job finished. Open the job page for the result.")
            else:
                subject = _("Job failed: %(title)s") % {"title": title}
                body = _("The job failed: %(reason)s") % {"reason": job.message}
        texts[language] = (subject[:200], body)
    try:
        notify(
            user=job.created_by,
            subject_zh=texts["zh-hans"][0],
            subject_en=texts["en"][0],
            body_zh=texts["zh-hans"][1],
            body_en=texts["en"][1],
            link=reverse("jobs:detail", args=[job.id]),
        )
    except Exception:
        # The job's outcome is recorded either way; a lost message must not turn it into an error.
        log.exception("could not notify the creator of job %s", job_id)


def housekeeping(*, now: datetime | None = None, progress: Callable | None = None) -> dict:
    """Delete what has outlived its use: old task results, old uploads, old read messages.

    Ages count in real time (not the configurable business day of `guozi.lib.clock`), because
    the timestamps and file times compared are real ones.
    """
    from django_tasks_db.models import DBTaskResult

    from guozi.accounts.models import Notification

    now = now or timezone.now()
    progress = progress or (lambda done, total=None, message="": None)
    progress(0, 3, _("Pruning finished task results"))
    finished = DBTaskResult.objects.finished().filter(finished_at__lte=now - TASK_RESULT_MAX_AGE)
    task_results = finished.delete()[1].get(DBTaskResult._meta.label, 0)
    progress(1, 3, _("Deleting old uploads"))
    data_dir = Path(settings.DATA_DIR)
    uploads = _delete_old_files(data_dir / "uploads", now - UPLOAD_MAX_AGE)
    _delete_old_files(data_dir / "jobs", now - UPLOAD_MAX_AGE)
    progress(2, 3, _("Deleting old read notifications"))
    notifications = (
        Notification.objects.filter(
            read_at__isnull=False, created_at__lt=now - READ_NOTIFICATION_MAX_AGE
        )
        .delete()[1]
        .get(Notification._meta.label, 0)
    )
    progress(3, 3, _("Done"))
    return {"task_results": task_results, "uploads": uploads, "notifications": notifications}


def _delete_old_files(root: Path, cutoff: datetime) -> int:
    """Delete files under `root` last changed before `cutoff`, then the folders left empty."""
    if not root.is_dir():
        return 0
    deleted = 0
    limit = cutoff.timestamp()
    # Folder times before anything is deleted: deleting a file touches its folder.
    folder_times = {
        Path(folder): Path(folder).stat().st_mtime for folder, _dirs, _files in os.walk(root)
    }
    for folder, _subfolders, files in os.walk(root, topdown=False):
        for name in files:
            path = Path(folder, name)
            try:
                if path.lstat().st_mtime < limit:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
        folder_path = Path(folder)
        # Only old folders: a fresh empty one may be about to receive an upload.
        if folder_path != root and folder_times.get(folder_path, limit) < limit:
            try:
                folder_path.rmdir()
            except OSError:
                pass  # not empty
    return deleted
