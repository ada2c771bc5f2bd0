"""Pages of the R&D register: the list with filters and export, the summary of spend beside
the fast report with its chart, opening a project and changing its details, recording a year
or an outcome (from the panel on the ledgers' item page), and the import.

Thin, like every page here: each view reads its input, finds what the user may see (a project
outside their view is a 404), calls one service or selector, and renders.
"""

import io
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guozi.accounts.access import Scope, scoped
from guozi.ledgers import permissions
from guozi.ledgers.models import ACTIVE
from guozi.ledgers.sheets import CONTENT_TYPE
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.exports import watermark
from guozi.registry.forms import apply_domain_error
from guozi.registry.selectors import visible_enterprises

from . import exports, imports, selectors, services
from .forms import (
    ImportForm,
    OutcomeForm,
    ProjectCreateForm,
    ProjectEditForm,
    ProjectFilterForm,
    RemoveForm,
    SummaryFilterForm,
    YearForm,
)
from .models import OutcomeKind

PAGE_SIZE = 50
SUMMARY_PAGE_SIZE = 100
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _forbidden(request, message: str):
    return render(request, "ledgers/forbidden.html", {"message": message}, status=403)


def _status(error: DomainError) -> int:
    return 403 if isinstance(error, Forbidden) else 400


# --- the list --------------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def project_list(request):
    form = ProjectFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(selectors.project_list(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = clock.today()
    for item in page.object_list:
        item.overdue_days = item.days_overdue(today)
    owner = None
    if filters.owner is not None:
        owner = visible_enterprises(request.user).filter(id=filters.owner).first()
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "owner": owner,
        "can_create": bool(permissions.managed_supervisor_ids(request.user)),
    }
    template = "rnd/_projects.html" if request.htmx else "rnd/list.html"
    return render(request, template, context)


@scoped(Scope.PORTFOLIO)
def project_export(request):
    filters = ProjectFilterForm(request.GET or None).filters()
    stream = io.BytesIO()
    exports.export_projects(
        selectors.project_list(request.user, filters), stream, watermark(request.user)
    )
    response = HttpResponse(stream.getvalue(), content_type=CONTENT_TYPE)
    name = f"rd-projects-{clock.today().isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the summary -----------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def summary(request):
    form = SummaryFilterForm(request.GET or None)
    found = selectors.spend_summary(request.user, form.filters())
    page = Paginator(found.rows, SUMMARY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "summary": found,
        "page": page,
        "chart": {
            **selectors.chart_data(found),
            "labels": {
                "unit": _("10k yuan"),
                "budget": _("Budget"),
                "spend": _("Spend"),
                "reported": _("Reported R&D of these enterprises"),
                "share": _("Share covered (%)"),
            },
        },
        "outcome_kinds": OutcomeKind.choices,
        "today": clock.today(),
    }
    return render(request, "rnd/summary.html", context)


# --- opening and changing a project ----------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def project_create(request):
    if not permissions.managed_supervisor_ids(request.user):
        return _forbidden(
            request, _("Only the supervisor's analysts and reviewers open R&D projects.")
        )
    form = ProjectCreateForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(acting_user=request.user, **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
            return render(request, "rnd/create.html", {"form": form}, status=_status(error))
        messages.success(request, _("The project was opened."))
        return redirect("ledgers:item", project.item_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "rnd/create.html", {"form": form}, status=status)


@scoped(Scope.PORTFOLIO)
def project_edit(request, item_id: int):
    item = selectors.get_visible_project(request.user, item_id)
    if not permissions.can_manage(request.user, item):
        return _forbidden(
            request, _("Only the supervisor's analysts and reviewers change a project's details.")
        )
    if item.status not in ACTIVE:
        return _forbidden(request, _("A closed project is not changed."))
    project = getattr(item, "rd_project", None)
    initial = {}
    if project is not None:
        initial = {
            "tech_field": project.tech_field,
            "kind": project.kind,
            "start_year": project.start_year,
            "end_year": project.end_year,
            "total_budget": project.total_budget,
        }
    form = ProjectEditForm(request.POST or None, initial=initial)
    context = {"form": form, "item": item}
    if request.method == "POST" and form.is_valid():
        changes = form.details()
        if project is not None:
            changes = {name: value for name, value in changes.items() if name in form.changed_data}
        try:
            services.project_edit(
                acting_user=request.user,
                item=item,
                changes=changes,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            apply_domain_error(form, error)
            return render(request, "rnd/edit.html", context, status=_status(error))
        messages.success(request, _("Saved."))
        return redirect("ledgers:item", item.id)
    status = 400 if request.method == "POST" else 200
    return render(request, "rnd/edit.html", context, status=status)


# --- years and outcomes ----------------------------------------------------------------------


def _record_page(request, item, form, template: str, status: int = 200):
    return render(request, template, {"form": form, "item": item}, status=status)


@scoped(Scope.PORTFOLIO)
def year_record(request, item_id: int):
    """The form of the panel on a page of its own: shown again there with its problems."""
    item = selectors.get_visible_project(request.user, item_id)
    form = YearForm(request.POST or None, prefix="year", initial={"year": request.GET.get("year")})
    if request.method != "POST":
        return _record_page(request, item, form, "rnd/year.html")
    if not form.is_valid():
        return _record_page(request, item, form, "rnd/year.html", status=400)
    data = form.cleaned_data
    try:
        services.year_set(
            acting_user=request.user,
            item=item,
            year=data["year"],
            budget=data["budget"],
            spend=data["spend"] or None,
        )
    except DomainError as error:
        apply_domain_error(form, error)
        return _record_page(request, item, form, "rnd/year.html", status=_status(error))
    messages.success(request, _("The year's figures were recorded."))
    return redirect("ledgers:item", item.id)


@scoped(Scope.PORTFOLIO)
def outcome_record(request, item_id: int):
    item = selectors.get_visible_project(request.user, item_id)
    form = OutcomeForm(request.POST or None, prefix="outcome")
    if request.method != "POST":
        return _record_page(request, item, form, "rnd/outcome.html")
    if not form.is_valid():
        return _record_page(request, item, form, "rnd/outcome.html", status=400)
    try:
        services.outcome_add(acting_user=request.user, item=item, **form.cleaned_data)
    except DomainError as error:
        apply_domain_error(form, error)
        return _record_page(request, item, form, "rnd/outcome.html", status=_status(error))
    messages.success(request, _("The outcome was recorded."))
    return redirect("ledgers:item", item.id)


@require_POST
@scoped(Scope.PORTFOLIO)
def outcome_remove(request, item_id: int, outcome_id: int):
    outcome = selectors.get_visible_outcome(request.user, item_id, outcome_id)
    form = RemoveForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("Say why the outcome is removed."), code="reason")
        services.outcome_remove(
            acting_user=request.user, outcome=outcome, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The outcome was removed."))
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("ledgers:item", item_id)


# --- import ----------------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def project_import(request):
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    context = {"form": form, "report": None, "max_mb": MAX_UPLOAD_BYTES // 2**20}
    if request.method != "POST":
        return render(request, "rnd/import.html", context)
    if not form.is_valid():
        return render(request, "rnd/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD_BYTES:
        form.add_error("file", _("The file is larger than %(mb)d MB.") % {"mb": context["max_mb"]})
        return render(request, "rnd/import.html", context, status=400)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as target:
            for chunk in upload.chunks():
                target.write(chunk)
        report = imports.import_projects(
            acting_user=request.user,
            path=path,
            file_name=Path(upload.name).name,
            dry_run=form.cleaned_data["dry_run"],
        )
    context["report"] = report
    return render(request, "rnd/import.html", context, status=200 if report.ok else 400)
