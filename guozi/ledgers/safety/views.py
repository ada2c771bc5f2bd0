"""Pages of the safety-incident register: the list with filters and export, statistics with a
chart, the first-report and further-report forms, and the import.

Thin, like every page here: each view reads its input, finds what the user may see (an incident
outside their view is a 404), calls one service or selector, and renders. The item page itself
is the ledger's, with this register's panel (`register.panel`).
"""

import io
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from guozi.accounts.access import Scope, active_memberships, scoped
from guozi.accounts.models import Role
from guozi.ledgers import permissions
from guozi.ledgers.models import ACTIVE
from guozi.ledgers.sheets import CONTENT_TYPE
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.exports import watermark
from guozi.registry.forms import apply_domain_error
from guozi.registry.selectors import visible_enterprises

from . import display, exports, imports, selectors, services
from .forms import FiguresForm, FirstReportForm, ImportForm, IncidentFilterForm, StatisticsForm
from .models import IncidentGrade

PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _forbidden(request, message: str):
    return render(request, "ledgers/forbidden.html", {"message": message}, status=403)


def _reports_at_all(user) -> bool:
    """Whether the user may report incidents of some enterprise (the form is worth showing)."""
    if permissions.managed_supervisor_ids(user):
        return True
    return any(m.role == Role.ENTERPRISE_REPORTER for m in active_memberships(user))


def _filter_form(request, form_class=IncidentFilterForm):
    return form_class(
        request.GET or None,
        years=selectors.incident_years(request.user),
        cities=selectors.city_choices(request.user),
    )


# --- the register ----------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def incident_list(request):
    form = _filter_form(request)
    filters = form.filters()
    incidents = selectors.incident_list(request.user, filters)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    for incident in page.object_list:
        incident.reason = display.grade_reason(incident.latest) if incident.latest else ""
    owner = None
    if filters.owner is not None:
        owner = visible_enterprises(request.user).filter(id=filters.owner).first()
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "owner": owner,
        "can_report": _reports_at_all(request.user),
    }
    template = "safety/_incidents.html" if request.htmx else "safety/list.html"
    return render(request, template, context)


@scoped(Scope.PORTFOLIO)
def incident_export(request):
    filters = _filter_form(request).filters()
    stream = io.BytesIO()
    exports.export_incidents(
        selectors.incident_list(request.user, filters), stream, watermark(request.user)
    )
    response = HttpResponse(stream.getvalue(), content_type=CONTENT_TYPE)
    name = f"safety-incidents-{clock.today().isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@scoped(Scope.PORTFOLIO)
def incident_statistics(request):
    form = _filter_form(request, StatisticsForm)
    by = form.dimension()
    statistics = selectors.incident_statistics(request.user, by, form.filters())
    grades = list(IncidentGrade)
    chart = {
        "categories": [row.label for row in statistics.rows],
        "series": [
            {
                "name": str(grade.label),
                "grade": grade.value,
                "data": [row.by_grade[grade.value] for row in statistics.rows],
            }
            for grade in grades
        ],
        "deaths": {"name": _("Deaths"), "data": [row.deaths for row in statistics.rows]},
        "horizontal": by != "year",
    }
    context = {
        "form": form,
        "by": by,
        "by_label": dict(form.fields["by"].choices)[by],
        "statistics": statistics,
        "grades": grades,
        "chart": chart,
    }
    return render(request, "safety/statistics.html", context)


# --- reports ---------------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def report_first(request):
    if not _reports_at_all(request.user):
        return _forbidden(
            request,
            _(
                "Incidents are reported by the enterprises' reporters and the supervisor's "
                "analysts and reviewers."
            ),
        )
    form = FirstReportForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_report_first(
                acting_user=request.user, **form.service_arguments()
            )
        except DomainError as error:
            apply_domain_error(form, error)
            status = 403 if isinstance(error, Forbidden) else 400
            return render(request, "safety/report_first.html", {"form": form}, status=status)
        messages.success(
            request,
            _("Incident %(number)s recorded: %(grade)s.")
            % {"number": incident.number, "grade": incident.latest.get_grade_display()},
        )
        return redirect("ledgers:item", incident.item_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "safety/report_first.html", {"form": form}, status=status)


@scoped(Scope.PORTFOLIO)
def report_again(request, item_id: int):
    incident = selectors.get_visible_incident(request.user, item_id)
    item = incident.item
    if not services.may_report(request.user, item.owner):
        return _forbidden(request, str(services.may_not_report(item.owner)))
    if item.status not in ACTIVE:
        return _forbidden(request, services.closed_error(item).message)
    latest = incident.latest
    initial = {
        "deaths": latest.deaths,
        "serious_injuries": latest.serious_injuries,
        "direct_loss": latest.direct_loss_wan,
    }
    form = FiguresForm(request.POST or None, initial=initial)
    context = {
        "form": form,
        "incident": incident,
        "latest": latest,
        "reason": display.grade_reason(latest),
        "window": display.window(incident),
    }
    if request.method == "POST" and form.is_valid():
        try:
            report = services.incident_report_again(
                acting_user=request.user, incident=incident, **form.figures()
            )
        except DomainError as error:
            apply_domain_error(form, error)
            status = 403 if isinstance(error, Forbidden) else 400
            return render(request, "safety/report_again.html", context, status=status)
        messages.success(
            request,
            _("%(kind)s recorded as version %(version)s: %(grade)s.")
            % {
                "kind": report.get_kind_display(),
                "version": report.version,
                "grade": report.get_grade_display(),
            },
        )
        return redirect("ledgers:item", item.id)
    status = 400 if request.method == "POST" else 200
    return render(request, "safety/report_again.html", context, status=status)


# --- import ----------------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def incident_import(request):
    if not _reports_at_all(request.user):
        return _forbidden(
            request,
            _(
                "Incidents are reported by the enterprises' reporters and the supervisor's "
                "analysts and reviewers."
            ),
        )
    if request.method != "POST":
        context = {"form": ImportForm(), "columns": imports.COLUMNS}
        return render(request, "safety/import.html", context)
    form = ImportForm(request.POST, request.FILES)
    context = {"form": form, "columns": imports.COLUMNS}
    if not form.is_valid():
        return render(request, "safety/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD_BYTES:
        form.add_error("file", _("The file is larger than 20 MB."))
        return render(request, "safety/import.html", context, status=400)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as stream:
            for chunk in upload.chunks():
                stream.write(chunk)
        result, plan = imports.import_incidents(
            acting_user=request.user,
            path=path,
            file_name=upload.name,
            dry_run=form.cleaned_data["dry_run"],
        )
    context.update({"result": result, "plan": plan})
    return render(request, "safety/import.html", context, status=200 if result.ok else 400)
