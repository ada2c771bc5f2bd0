"""Pages of the legacy-problem register: the list with filters and export, the statistics with
their chart, the form to open a problem, the form for its figures, and the import.

Thin, like every ledger page: each view reads its input, finds what the user may see (a problem
outside their view is a 404), calls one service or selector, and renders. The item itself
(updates, evidence, verification) lives on the ledgers' item page, where the register's panel
shows its figures.
"""

import io
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from guozi.accounts.access import Scope, scoped
from guozi.ledgers import permissions
from guozi.ledgers.models import ACTIVE, Register
from guozi.ledgers.selectors import get_visible_item
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.exports import watermark
from guozi.registry.forms import apply_domain_error
from guozi.registry.selectors import visible_enterprises

from . import exports, imports, selectors, services
from .forms import FiguresForm, ImportForm, ProblemCreateForm, ProblemFilterForm
from .models import Kind

PAGE_SIZE = 50
GROUPING_LABELS = {
    "kind": lambda: _("Kind"),
    "sub_kind": lambda: _("Kind and sub-kind"),
    "enterprise": lambda: _("Enterprise"),
    "group": lambda: _("Group"),
    "city": lambda: _("City"),
}


def _forbidden(request, message: str):
    return render(request, "ledgers/forbidden.html", {"message": message}, status=403)


def _owner(request, filters):
    if filters.owner is None:
        return None
    return visible_enterprises(request.user).filter(id=filters.owner).first()


@scoped(Scope.PORTFOLIO)
def problem_list(request):
    form = ProblemFilterForm(request.user, request.GET or None)
    filters = form.filters()
    problems = selectors.problem_list(request.user, filters)
    page = Paginator(problems, PAGE_SIZE).get_page(request.GET.get("page"))
    today = clock.today()
    for problem in page.object_list:
        problem.overdue_days = problem.item.days_overdue(today)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "owner": _owner(request, filters),
        "totals": selectors.statistics(request.user, filters).total,
        "can_create": bool(permissions.managed_supervisor_ids(request.user)),
        "today": today,
    }
    template = "legacy/_problems.html" if request.htmx else "legacy/list.html"
    return render(request, template, context)


@scoped(Scope.PORTFOLIO)
def problem_export(request):
    filters = ProblemFilterForm(request.user, request.GET or None).filters()
    stream = io.BytesIO()
    exports.export_problems(
        selectors.problem_list(request.user, filters), stream, watermark(request.user)
    )
    response = HttpResponse(stream.getvalue(), content_type=exports.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{exports.file_name()}"'
    return response


def _chart_names() -> dict[str, str]:
    return {
        "problems": _("Problems"),
        "closed": _("Closed"),
        "open": _("Not closed"),
        "households": _("Households handed over (%)"),
        "people": _("People handed over or resettled (%)"),
        "amounts": _("Cost paid (%)"),
    }


@scoped(Scope.PORTFOLIO)
def problem_statistics(request):
    form = ProblemFilterForm(request.user, request.GET or None)
    filters = form.filters()
    by = request.GET.get("by", "kind")
    if by not in selectors.GROUPINGS:
        by = "kind"
    stats = selectors.statistics(request.user, filters, by)
    context = {
        "form": form,
        "filters": filters,
        "owner": _owner(request, filters),
        "stats": stats,
        "by": by,
        "groupings": [(key, label()) for key, label in GROUPING_LABELS.items()],
        "by_label": GROUPING_LABELS[by](),
        "chart": {**selectors.chart_data(stats), "names": _chart_names()},
    }
    return render(request, "legacy/statistics.html", context)


@scoped(Scope.PORTFOLIO)
def problem_create(request):
    if not permissions.managed_supervisor_ids(request.user):
        return _forbidden(
            request, _("Only the supervisor's analysts and reviewers open ledger items.")
        )
    initial = {}
    owner_id = request.GET.get("owner", "")
    if owner_id.isdigit() and len(owner_id) < 18:
        owner = visible_enterprises(request.user).filter(id=int(owner_id)).first()
        initial["owner"] = (owner.uscc or str(owner.id)) if owner else ""
    kind = request.GET.get("kind", "")
    if kind in Kind.values:
        initial["kind"] = kind
    form = ProblemCreateForm(request.user, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            problem = services.problem_create(acting_user=request.user, **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
            status = 403 if isinstance(error, Forbidden) else 400
            return render(request, "legacy/create.html", {"form": form}, status=status)
        messages.success(request, _("The problem was opened."))
        return redirect("ledgers:item", problem.item_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "legacy/create.html", {"form": form}, status=status)


@scoped(Scope.PORTFOLIO)
def problem_figures(request, item_id: int):
    item = get_visible_item(request.user, item_id)
    if item.register != Register.LEGACY_PROBLEM:
        return redirect("ledgers:item", item.id)
    allowed = services.allowed_fields(request.user, item)
    if not allowed:
        return _forbidden(request, _("You may not change this problem."))
    if item.status not in ACTIVE:
        return _forbidden(request, _("A closed item is not changed."))
    form = FiguresForm(item, allowed, request.POST or None)
    context = {"form": form, "item": item}
    if request.method == "POST" and form.is_valid():
        try:
            services.problem_edit(
                acting_user=request.user,
                item=item,
                changes=form.changes(),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            apply_domain_error(form, error)
            status = 403 if isinstance(error, Forbidden) else 400
            return render(request, "legacy/figures.html", context, status=status)
        messages.success(request, _("Saved."))
        return redirect("ledgers:item", item.id)
    status = 400 if request.method == "POST" else 200
    return render(request, "legacy/figures.html", context, status=status)


@scoped(Scope.PORTFOLIO)
def problem_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "columns": [str(c.label) for c in exports.COLUMNS]}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload.xlsx"
            with path.open("wb") as stream:
                for chunk in upload.chunks():
                    stream.write(chunk)
            result = imports.import_problems(
                acting_user=request.user,
                path=path,
                name=Path(upload.name).name[:200],
                dry_run=form.cleaned_data["dry_run"],
            )
        context["result"] = result
        return render(request, "legacy/import.html", context, status=400 if result.errors else 200)
    status = 400 if form.errors else 200
    return render(request, "legacy/import.html", context, status=status)
