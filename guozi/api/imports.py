"""Bulk import of enterprises from an uploaded .xlsx or .csv file, and the jobs it may start.

A file of up to IN_REQUEST_ROWS rows is checked (and imported) in the request; a bigger one
runs as a job (`guozi.registry.tasks.import_enterprises_job`), answered with 202 and the job,
whose progress and result `GET /jobs/{id}` reports.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from guozi.accounts.access import Scope
from guozi.jobs.selectors import jobs_for
from guozi.jobs.services import job_start
from guozi.registry import imports
from guozi.registry.tasks import import_enterprises_job

from . import schemas
from .auth import api_scope
from .convert import clean_day, day_or_today, user_of
from .errors import FieldErrors

router = Router(tags=["imports"])
IN_REQUEST_ROWS = 2000
PROBLEMS_SHOWN = 500


def problem_fields(result: imports.ImportResult) -> dict[str, list[str]]:
    """Each error under `rows.<row>.<column>` (row 1 is the header), or `file` when the file
    cannot be read at all."""
    fields: dict[str, list[str]] = {}
    for problem in result.errors[:PROBLEMS_SHOWN]:
        if problem.field == "file" or not problem.row:
            place = "file"
        else:
            place = f"rows.{problem.row}.{problem.column}"
        reason = f"{problem.reason} ({problem.value})" if problem.value else problem.reason
        fields.setdefault(place, []).append(reason)
    return fields


def _store(upload: UploadedFile) -> Path:
    """The upload, kept where the housekeeping job clears old uploads."""
    folder = Path(settings.DATA_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"api-{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
    with path.open("wb") as stream:
        for chunk in upload.chunks():
            stream.write(chunk)
    return path


def job_out(job) -> dict:
    job.load_live_progress()
    return {
        "id": job.id,
        "kind": job.kind,
        "title": job.title,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "result": job.result,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@router.post(
    "/imports/enterprises",
    response={
        200: schemas.ImportSummary,
        202: schemas.JobAccepted,
        403: schemas.Error,
        422: schemas.Error,
    },
)
@api_scope(Scope.REGISTRY_EDIT)
def import_enterprises(
    request,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    valid_from: Form[str] = "",
):
    """Register and update enterprises from a file, one row each (the columns of
    `guozi export_enterprises`). The whole file is checked first: with any error, nothing is
    written and the answer is 422 with each error under `rows.<row>.<column>`; with
    `dry_run=true` nothing is written either way and the answer says what would change.
    A file of more than 2,000 rows runs as a job: the answer is 202 with the job, and
    `GET /jobs/{id}` gives its progress and, when done, the same summary as its result."""
    user = user_of(request)
    day = day_or_today(clean_day(valid_from, "valid_from", required=False))
    name = Path(file.name or "").name[:200]
    try:
        imports.file_format(name)
    except imports.UnreadableFile as exc:
        raise FieldErrors({"file": [str(exc)]}) from None
    path = _store(file)
    try:
        rows = imports.count_rows(path, name)
    except imports.UnreadableFile:
        rows = 0  # the import itself then says what is wrong with the file
    if rows > IN_REQUEST_ROWS:
        job = job_start(
            kind="enterprise_import",
            title_zh=("企业导入检查：" if dry_run else "企业导入：") + name,
            title_en=("Enterprise import check: " if dry_run else "Enterprise import: ") + name,
            acting_user=user,
            params={
                "path": str(path),
                "name": name,
                "dry_run": dry_run,
                "valid_from": day.isoformat(),
            },
            task=import_enterprises_job,
        )
        return Status(202, {"job": job_out(job)})
    try:
        result = imports.import_enterprises(
            acting_user=user, path=path, name=name, dry_run=dry_run, valid_from=day
        )
    finally:
        path.unlink(missing_ok=True)
    if result.errors:
        raise FieldErrors(
            problem_fields(result),
            message=_("The file has %(n)d errors; nothing was written.")
            % {"n": len(result.errors)},
        )
    summary = result.summary(limit=PROBLEMS_SHOWN)
    summary["changes"] = [
        {
            "row": plan.row,
            "action": plan.action,
            "identifier": plan.identifier,
            "name": plan.name,
            "fields": [
                {"field": c.field, "label": c.label, "before": c.before, "after": c.after}
                for c in plan.changes
            ],
        }
        for plan in result.planned
    ]
    return summary


@router.get("/jobs/{uuid:id}", response={200: schemas.Job, 403: schemas.Error, 404: schemas.Error})
@api_scope(Scope.SELF)
def get_job(request, id: uuid.UUID):
    """One of your jobs (the system administrator: any job), with its progress and result."""
    return job_out(get_object_or_404(jobs_for(user_of(request)), id=id))
