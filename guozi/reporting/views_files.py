"""Report files on the web: download a template, upload a workbook or CSV, check it, import it.

A file of up to IN_REQUEST_REPORTS reports is checked (and imported) in the request; a bigger
one runs as a job with a progress bar. Uploads are kept under DATA_DIR/uploads/reports, each
with a small JSON note (uploader, name, form, period), so the import writes exactly the file
that was checked and only its uploader can use it.
"""

import io
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
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period, last_closed
from guozi.registry.imports import UnreadableFile, file_format
from guozi.registry.models import Enterprise
from guozi.registry.selectors import find_by_identifier, visible_enterprises
from guozi.registry.tree import tree_at

from . import imports, permissions
from .frameworks import version_in_force
from .models import Form
from .tasks import import_reports_job
from .workbooks import (
    XLSX_CONTENT_TYPE,
    Limits,
    count_reports,
    subtree_ids,
    template_reports,
    write_template,
)

IN_REQUEST_REPORTS = 200
RECENT_UPLOADS = 10
SHOWN = 1000
CHOOSABLE_ENTERPRISES = 2000


def _forms():
    return [(f.code, f.name) for f in Form.objects.order_by("code")]


def _period_field(required: bool) -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Period"),
        required=required,
        max_length=12,
        help_text=gettext_lazy("e.g. 2026-07"),
    )


def _clean_period(value: str) -> str:
    if not value:
        return ""
    try:
        return str(Period.parse(value))
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from None


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            ".xlsx (a downloaded template, or one sheet named after the form with one row per "
            "report) or .csv"
        ),
    )
    form = forms.ChoiceField(label=gettext_lazy("Form"), choices=())
    period = _period_field(required=False)
    dry_run = forms.BooleanField(
        label=gettext_lazy("Check only: show the problems and what would change; write nothing"),
        required=False,
        initial=True,
    )
    valid_only = forms.BooleanField(
        label=gettext_lazy("Import the valid reports even when others have problems"),
        required=False,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = _forms()

    def clean_period(self) -> str:
        return _clean_period(self.cleaned_data.get("period", "").strip())

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            file_format(upload.name)
        except UnreadableFile as exc:
            raise forms.ValidationError(str(exc)) from None
        limit = Limits.from_settings().max_bytes
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": limit // 2**20}
            )
        return upload


class TemplateForm(forms.Form):
    form = forms.ChoiceField(label=gettext_lazy("Form"), choices=())
    period = _period_field(required=True)
    enterprise = forms.CharField(
        label=gettext_lazy("Enterprise"),
        max_length=80,
        help_text=gettext_lazy("Unified social credit code (USCC), COUNTRY:number or internal id"),
    )
    subsidiaries = forms.BooleanField(
        label=gettext_lazy("With all its subsidiaries"), required=False, initial=True
    )
    layout = forms.ChoiceField(
        label=gettext_lazy("Layout"),
        required=False,
        choices=[
            ("rows", gettext_lazy("One row per enterprise and scope")),
            ("sheets", gettext_lazy("One sheet per enterprise and scope, like the paper form")),
        ],
        initial="rows",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = _forms()

    def clean_period(self) -> str:
        return _clean_period(self.cleaned_data.get("period", "").strip())


# --- stored uploads -------------------------------------------------------------------------


def _uploads_dir() -> Path:
    return uploads_dir("reports")


def _count_reports(path: Path, name: str) -> dict:
    try:
        return {"reports": count_reports(path, name)}
    except UnreadableFile:
        return {"reports": 0}  # the check says why


# --- the pages ------------------------------------------------------------------------------


def _run(request, note: dict, path: Path, *, dry_run: bool, valid_only: bool):
    """Check (or import) in the request when the file is small, else start a job."""
    if note["reports"] > IN_REQUEST_REPORTS:
        verb_zh, verb_en = ("报表导入检查：", "Report import check: ") if dry_run else (
            "报表导入：", "Report import: "
        )  # fmt: skip
        job = job_start(
            kind="report_import",
            title_zh=verb_zh + note["name"],
            title_en=verb_en + note["name"],
            acting_user=request.user,
            params={
                "path": str(path),
                "name": note["name"],
                "form": note["form"],
                "period": note["period"],
                "upload": note["id"],
                "dry_run": dry_run,
                "valid_only": valid_only,
                "review_url": reverse("reporting:upload_review", args=[note["id"]]),
            },
            task=import_reports_job,
        )
        return redirect("jobs:detail", job_id=job.id)
    result = imports.import_reports(
        acting_user=request.user,
        path=path,
        name=note["name"],
        form_code=note["form"],
        period=note["period"] or None,
        dry_run=dry_run,
        valid_only=valid_only,
    )
    return render(
        request,
        "reporting/upload_preview.html",
        {
            "result": result,
            "upload": note,
            "counts": result.counts,
            "rules": result.rule_outcome,
            "errors_shown": result.errors[:SHOWN],
            "warnings_shown": result.warnings[:SHOWN],
            "reports_shown": result.reports[:SHOWN],
        },
    )


def _default_period(form_code: str | None = None) -> str:
    form = Form.objects.filter(code=form_code).first() if form_code else None
    return str(last_closed(clock.today(), form.period_type if form else "month"))


def _choosable(user) -> list[Enterprise]:
    """The enterprises a reporter fills in, for the template's list; none for other roles,
    who type an identifier."""
    roots = sorted(permissions.fillable_roots(user))
    if not roots:
        return []
    tree = tree_at(clock.today())
    ids: dict[int, None] = {}
    for root in roots:
        ids.update(dict.fromkeys([root, *tree.descendants(root)]))
    chosen = list(ids)[:CHOOSABLE_ENTERPRISES]
    found = Enterprise.objects.in_bulk(chosen)
    return [found[i] for i in chosen if i in found]


def _page(request, upload_form, template_form, status=200):
    return render(
        request,
        "reporting/upload.html",
        {
            "form": upload_form,
            "template_form": template_form,
            "uploads": recent_uploads(request.user, _uploads_dir(), RECENT_UPLOADS),
            "enterprises": _choosable(request.user),
            "in_request_reports": IN_REQUEST_REPORTS,
        },
        status=status,
    )


@scoped(Scope.PORTFOLIO)
def upload_page(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        note, path = store_upload(
            request.user,
            data["file"],
            _uploads_dir(),
            _count_reports,
            form=data["form"],
            period=data["period"],
        )
        return _run(request, note, path, dry_run=data["dry_run"], valid_only=data["valid_only"])
    if request.method == "GET":
        form.initial.update(form="fast_report")
    roots = sorted(permissions.fillable_roots(request.user))
    template_form = TemplateForm(
        initial={
            "form": "fast_report",
            "period": _default_period(),
            "enterprise": Enterprise.objects.get(id=roots[0]).identifier if roots else "",
            "subsidiaries": True,
            "layout": "rows",
        }
    )
    return _page(request, form, template_form, status=400 if form.errors else 200)


@scoped(Scope.PORTFOLIO)
def upload_review(request, upload_id: str):
    """GET: check a stored upload again; POST: import it (all, or only its valid reports)."""
    note, path = uploaded(request.user, upload_id, _uploads_dir())
    if request.method == "POST":
        valid_only = request.POST.get("valid_only") == "1"
        return _run(request, note, path, dry_run=False, valid_only=valid_only)
    if note["reports"] > IN_REQUEST_REPORTS:
        return render(request, "reporting/upload_preview.html", {"upload": note, "result": None})
    return _run(request, note, path, dry_run=True, valid_only=False)


@scoped(Scope.PORTFOLIO)
def template_download(request):
    """The .xlsx template for an enterprise (and its subsidiaries) the user may see."""
    form = TemplateForm(request.GET)
    if not form.is_valid():
        return _page(request, UploadForm(initial={"form": "fast_report"}), form, status=400)
    data = form.cleaned_data
    period = Period.parse(data["period"])
    chosen = Form.objects.get(code=data["form"])
    found = find_by_identifier(data["enterprise"])
    visible = visible_enterprises(request.user, period.end)
    if found is None or not visible.filter(id=found.id).exists():
        form.add_error("enterprise", _("No enterprise you may see has this identifier."))
        return _page(request, UploadForm(initial={"form": "fast_report"}), form, status=400)
    ids = subtree_ids(found.id, period, subsidiaries=data["subsidiaries"])
    buffer = io.BytesIO()
    try:
        write_template(
            buffer,
            form=chosen,
            version=version_in_force(chosen, period),
            period=period,
            reports=template_reports(form=chosen, period=period, enterprise_ids=ids),
            layout=data["layout"] or "rows",
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _page(request, UploadForm(initial={"form": "fast_report"}), form, status=400)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    filename = f"{chosen.code}-{period}-{found.identifier.replace(':', '-')}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
