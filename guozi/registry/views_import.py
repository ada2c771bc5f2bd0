"""Import and export pages: upload a file, see what it would change, confirm; export a list.

A file of up to IN_REQUEST_ROWS rows is checked (and imported) in the request; a bigger one
runs as a job with a progress bar. Uploads are kept under DATA_DIR/uploads, each with a small
JSON note saying who uploaded it, so the confirmation imports exactly the file that was checked
and only its uploader can use it.
"""

import io
from datetime import date
from pathlib import Path

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.accounts.access import Scope, scoped
from guozi.jobs.services import job_start
from guozi.jobs.uploads import recent_uploads, store_upload, uploaded, uploads_dir
from guozi.lib import clock

from . import exports, imports, selectors
from .tasks import import_enterprises_job

IN_REQUEST_ROWS = 2000
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
RECENT_UPLOADS = 10
DIRECTORY_FILTERS = (
    "q",
    "city",
    "section",
    "function_class",
    "ownership_level",
    "status",
    "portfolio",
    "supervisor",
)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(".xlsx or .csv, one row per enterprise, headers in the first row"),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Check only: show the errors and changes, write nothing"),
        required=False,
        initial=True,
    )
    valid_from = forms.DateField(
        label=gettext_lazy("Effective date"),
        help_text=gettext_lazy("New and changed management parents and stakes count from this day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            imports.file_format(upload.name)
        except imports.UnreadableFile as exc:
            raise forms.ValidationError(str(exc)) from None
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20}
            )
        return upload


class ConfirmForm(forms.Form):
    valid_from = forms.DateField(required=False)


# --- stored uploads -------------------------------------------------------------------------


def _uploads_dir() -> Path:
    return uploads_dir()


def _count_rows(path: Path, name: str) -> dict:
    try:
        return {"rows": imports.count_rows(path, name)}
    except imports.UnreadableFile:
        return {"rows": 0}


# --- the pages ------------------------------------------------------------------------------


def _run(request, note: dict, path: Path, *, dry_run: bool, valid_from: date):
    """Check (or import) in the request when the file is small, else start a job."""
    if note["rows"] > IN_REQUEST_ROWS:
        job = job_start(
            kind="enterprise_import",
            title_zh=("企业导入检查：" if dry_run else "企业导入：") + note["name"],
            title_en=("Enterprise import check: " if dry_run else "Enterprise import: ")
            + note["name"],
            acting_user=request.user,
            params={
                "path": str(path),
                "name": note["name"],
                "upload": note["id"],
                "dry_run": dry_run,
                "valid_from": valid_from.isoformat(),
                "review_url": reverse("registry:import_review", args=[note["id"]]),
            },
            task=import_enterprises_job,
        )
        return redirect("jobs:detail", job_id=job.id)
    result = imports.import_enterprises(
        acting_user=request.user,
        path=path,
        name=note["name"],
        dry_run=dry_run,
        valid_from=valid_from,
    )
    return render(
        request,
        "registry/import_preview.html",
        {
            "result": result,
            "upload": note,
            "valid_from": valid_from,
            "errors_shown": result.errors[:1000],
            "warnings_shown": result.warnings[:1000],
        },
        status=200,
    )


@scoped(Scope.REGISTRY_EDIT)
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        note, path = store_upload(
            request.user, form.cleaned_data["file"], _uploads_dir(), _count_rows
        )
        dry_run = form.cleaned_data["dry_run"]
        valid_from = form.cleaned_data["valid_from"] or clock.today()
        return _run(request, note, path, dry_run=dry_run, valid_from=valid_from)
    if request.method == "GET":
        form.initial["valid_from"] = clock.today()
    return render(
        request,
        "registry/import.html",
        {
            "form": form,
            "uploads": recent_uploads(request.user, _uploads_dir(), RECENT_UPLOADS),
            "in_request_rows": IN_REQUEST_ROWS,
            "columns": exports.COLUMNS,
        },
        status=400 if form.errors else 200,
    )


@scoped(Scope.REGISTRY_EDIT)
def import_review(request, upload_id: str):
    """GET: check a stored upload again; POST: import it (the "Import these changes" button)."""
    note, path = uploaded(request.user, upload_id, _uploads_dir())
    form = ConfirmForm(request.POST or request.GET or None)
    valid_from = (form.is_valid() and form.cleaned_data["valid_from"]) or clock.today()
    if request.method == "POST":
        return _run(request, note, path, dry_run=False, valid_from=valid_from)
    if note["rows"] > IN_REQUEST_ROWS:
        return render(
            request,
            "registry/import_preview.html",
            {"upload": note, "valid_from": valid_from, "result": None},
        )
    return _run(request, note, path, dry_run=True, valid_from=valid_from)


def _directory_queryset(user, params):
    """The directory's filtered list, so the export matches what the user sees."""
    filters = {name: params.get(name, "") for name in DIRECTORY_FILTERS}
    try:
        from .directory import directory_search
    except ModuleNotFoundError as exc:  # the directory page is not there yet
        if exc.name != f"{__package__}.directory":
            raise
        return selectors.visible_enterprises(user)
    return directory_search(user, **filters)


@scoped(Scope.PORTFOLIO)
def export_view(request):
    fmt = request.GET.get("format", "xlsx")
    if fmt not in exports.FORMATS:
        return HttpResponse(_("The format is xlsx or csv."), status=400, content_type="text/plain")
    day = clock.today()
    queryset = _directory_queryset(request.user, request.GET)
    buffer = io.BytesIO()
    exports.export_enterprises(
        queryset, buffer, fmt=fmt, day=day, stamp=exports.watermark(request.user)
    )
    response = HttpResponse(buffer.getvalue(), content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="enterprises-{day}.{fmt}"'
    return response
