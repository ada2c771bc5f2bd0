"""Pages of the reform register: completion (the main page), an enterprise's task ledger,
overdue and at-risk tasks, assignment, the supervisor's own tasks, the assignment import, the
catalogues, and the actions of the item page's reform panel.

Thin, like every page here: read the input, find what the user may see (an enterprise or task
outside their view is a 404), call one service or selector, render. The services check again.
"""

import io
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guozi.accounts.access import Scope, scoped
from guozi.ledgers import permissions
from guozi.ledgers.sheets import CONTENT_TYPE
from guozi.lib import clock
from guozi.lib.collector import collector_paused
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.exports import watermark
from guozi.registry.forms import apply_domain_error
from guozi.registry.selectors import get_visible_enterprise, visible_enterprises
from guozi.registry.tree import tree_at

from . import presenters, selectors, services, workbooks
from .catalogues import current_catalogues
from .forms import AssignForm, CompletionFilterForm, ImportForm, OwnTaskForm, ProposalForm
from .models import Catalogue
from .panel import at_risk_rule_text, progress_rule_text

PAGE_SIZE = 50
MAX_UPLOAD = 20 * 2**20


def _forbidden(request, message: str):
    return render(request, "ledgers/forbidden.html", {"message": message}, status=403)


def _filters(request):
    tree = tree_at(clock.today())
    form = CompletionFilterForm(request.user, tree, request.GET or None)
    filters = form.filters()
    if filters.as_of and filters.as_of != clock.today():
        tree = tree_at(filters.as_of)
    return form, filters, tree


# --- completion ------------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def completion(request):
    with collector_paused():
        return _completion(request)


def _completion(request):
    form, filters, tree = _filters(request)
    overview = presenters.overview(request.user, filters, tree)
    for task in [*overview.overdue, *overview.at_risk]:
        task.overdue_days = task.item.days_overdue(clock.today())
    page = Paginator(overview.completion.by_enterprise, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.name_enterprises(page.object_list)
    context = {
        "form": form,
        "filters": filters,
        "overview": overview,
        "completion": overview.completion,
        "page": page,
        "chart": presenters.chart(overview),
        "rule": progress_rule_text(),
        "risk_rule": at_risk_rule_text(),
        "can_assign": bool(permissions.managed_supervisor_ids(request.user)),
        "today": clock.today(),
    }
    return render(request, "reform/completion.html", context)


@scoped(Scope.PORTFOLIO)
def ledger_export(request):
    _form, filters, tree = _filters(request)
    enterprise_id = None
    if request.GET.get("enterprise", "").isdigit() and len(request.GET["enterprise"]) < 18:
        enterprise_id = get_visible_enterprise(request.user, int(request.GET["enterprise"])).id
    stream = io.BytesIO()
    workbooks.export_ledger(
        selectors.ledger_export_rows(request.user, filters, tree, enterprise_id),
        stream,
        watermark(request.user),
    )
    response = HttpResponse(stream.getvalue(), content_type=CONTENT_TYPE)
    name = f"reform-tasks-{clock.today().isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- an enterprise's ledger ------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def ledger(request, enterprise_id: int):
    enterprise = get_visible_enterprise(request.user, enterprise_id)
    programme = request.GET.get("programme", "")
    tasks = list(selectors.enterprise_ledger(request.user, enterprise.id, programme))
    today = clock.today()
    names = selectors.area_names()
    programmes = selectors.programme_names()
    sections: dict[tuple[str, str], list] = {}
    for task in tasks:
        task.overdue_days = task.item.days_overdue(today)
        task.target = services.target_text(task.target_value, task.target_unit)
        sections.setdefault((task.programme, task.area), []).append(task)
    context = {
        "enterprise": enterprise,
        "programme": programme,
        "programmes": programmes,
        "sections": [
            {
                "programme": programmes.get(key[0], key[0]),
                "area": names.get(key, key[1]),
                "tasks": rows,
            }
            for key, rows in sections.items()
        ],
        "count": len(tasks),
        "rule": progress_rule_text(),
        "can_assign": enterprise.supervisor_id in permissions.managed_supervisor_ids(request.user),
    }
    return render(request, "reform/ledger.html", context)


# --- overdue and at-risk lists ---------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def overdue_list(request):
    form, filters, tree = _filters(request)
    page = Paginator(selectors.overdue(request.user, filters, tree), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = selectors.tasks_in_order(list(page.object_list))
    return _task_list(request, form, page, _("Overdue reform tasks"), "")


@scoped(Scope.PORTFOLIO)
def at_risk_list(request):
    form, filters, tree = _filters(request)
    ids = selectors.risky(request.user, filters, tree)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.tasks_in_order(list(page.object_list))
    return _task_list(request, form, page, _("Reform tasks at risk"), at_risk_rule_text())


def _task_list(request, form, page, title: str, rule: str):
    today = clock.today()
    page.object_list = list(page.object_list)
    for task in page.object_list:
        task.overdue_days = task.item.days_overdue(today)
    context = {"form": form, "page": page, "title": title, "rule": rule, "today": today}
    return render(request, "reform/tasks.html", context)


# --- assigning -------------------------------------------------------------------------------


def _catalogue(request) -> Catalogue | None:
    code = request.GET.get("catalogue") or request.POST.get("catalogue") or ""
    catalogues = current_catalogues()
    if not code:
        return catalogues[-1] if catalogues else None
    return next((c for c in catalogues if c.code == code), None)


def _assignable_groups(user) -> list[tuple[int, str]]:
    tree = tree_at(clock.today())
    managed = permissions.managed_supervisor_ids(user)
    ids = [g for g, s in tree.supervisor_of_group.items() if s in managed]
    groups = visible_enterprises(user).filter(id__in=ids).values_list("id", "name_zh")
    return sorted(groups, key=lambda g: g[1])


@scoped(Scope.PORTFOLIO)
def assign(request):
    if not permissions.managed_supervisor_ids(request.user):
        return _forbidden(request, _("Only the supervisor's analysts and reviewers assign tasks."))
    catalogue = _catalogue(request)
    if catalogue is None:
        raise Http404
    form = AssignForm(
        request.user, catalogue, _assignable_groups(request.user), request.POST or None
    )
    context = {"form": form, "catalogue": catalogue, "catalogues": current_catalogues()}
    if request.method == "POST" and form.is_valid():
        try:
            result = services.assign_tasks(
                acting_user=request.user,
                catalogue=catalogue,
                tasks=form.chosen_tasks(),
                enterprises=form.enterprises(),
                weight=form.cleaned_data["weight"],
                deadline=form.cleaned_data["deadline"],
                responsible_name=form.cleaned_data["responsible_name"],
            )
        except DomainError as error:
            apply_domain_error(form, error)
            status = 403 if isinstance(error, Forbidden) else 400
            return render(request, "reform/assign.html", context, status=status)
        messages.success(
            request,
            _("%(created)s tasks assigned; %(skipped)s were already assigned and were skipped.")
            % {"created": len(result.created), "skipped": len(result.skipped)},
        )
        return redirect(f"{reverse('reform:completion')}?programme={catalogue.code}")
    status = 400 if request.method == "POST" else 200
    return render(request, "reform/assign.html", context, status=status)


@scoped(Scope.PORTFOLIO)
def task_create(request):
    if not permissions.managed_supervisor_ids(request.user):
        return _forbidden(request, _("Only the supervisor's analysts and reviewers open tasks."))
    catalogue = _catalogue(request)
    if catalogue is None:
        raise Http404
    form = OwnTaskForm(request.user, catalogue, request.POST or None)
    context = {"form": form, "catalogue": catalogue, "catalogues": current_catalogues()}
    if request.method == "POST" and form.is_valid():
        try:
            task = services.own_task_create(acting_user=request.user, **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
            status = 403 if isinstance(error, Forbidden) else 400
            return render(request, "reform/task_create.html", context, status=status)
        messages.success(request, _("The task was opened."))
        return redirect("ledgers:item", task.item_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "reform/task_create.html", context, status=status)


@scoped(Scope.PORTFOLIO)
def assignment_import(request):
    if not permissions.managed_supervisor_ids(request.user):
        return _forbidden(
            request, _("Only the supervisor's analysts and reviewers import assignments.")
        )
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {
        "form": form,
        "columns": [str(c.label) for c in workbooks.IMPORTED],
        "catalogues": current_catalogues(),
    }
    if request.method != "POST":
        return render(request, "reform/import.html", context)
    if not form.is_valid():
        return render(request, "reform/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD:
        form.add_error("file", _("The file is larger than %(n)s MB.") % {"n": MAX_UPLOAD >> 20})
        return render(request, "reform/import.html", context, status=400)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        outcome = workbooks.import_assignments(
            acting_user=request.user,
            path=path,
            file_name=upload.name,
            dry_run=form.cleaned_data["check_only"],
        )
    context["outcome"] = outcome
    return render(request, "reform/import.html", context, status=200 if outcome.ok else 400)


# --- catalogues ------------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def catalogue_list(request):
    catalogues = Catalogue.objects.order_by("starts_on", "code", "version")
    return render(request, "reform/catalogues.html", {"catalogues": catalogues})


@scoped(Scope.PORTFOLIO)
def catalogue_detail(request, catalogue_id: int):
    catalogue = get_object_or_404(Catalogue, id=catalogue_id)
    tasks = catalogue.tasks.select_related("area").order_by("position")
    for task in tasks:
        task.target = services.target_text(task.target_value, task.target_unit)
    context = {
        "catalogue": catalogue,
        "areas": catalogue.areas.all(),
        "tasks": tasks,
        "milestones": catalogue.milestones.all(),
    }
    return render(request, "reform/catalogue.html", context)


# --- the item page's panel -------------------------------------------------------------------


def _error_text(error: DomainError) -> str:
    details = [m for ms in error.fields.values() for m in (ms if isinstance(ms, list) else [ms])]
    return " ".join([str(error), *details[:5]])


@require_POST
@scoped(Scope.PORTFOLIO)
def measure_propose(request, item_id: int):
    task = selectors.get_visible_task(request.user, item_id)
    form = ProposalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name the measure (at most 200 characters)."))
        return redirect("ledgers:item", task.item_id)
    try:
        services.measure_propose(
            acting_user=request.user,
            task=task,
            title=form.cleaned_data["title"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("The measure was proposed to the supervisor."))
    except DomainError as error:
        messages.error(request, _error_text(error))
    return redirect("ledgers:item", task.item_id)


@require_POST
@scoped(Scope.PORTFOLIO)
def measure_decide(request, proposal_id: int):
    proposal = selectors.get_visible_proposal(request.user, proposal_id)
    accept = request.POST.get("action") == "accept"
    try:
        services.measure_decide(
            acting_user=request.user,
            proposal=proposal,
            accept=accept,
            reason=request.POST.get("reason", ""),
        )
        messages.success(
            request, _("The measure was accepted.") if accept else _("The measure was declined.")
        )
    except DomainError as error:
        messages.error(request, _error_text(error))
    return redirect("ledgers:item", proposal.task_id)


@require_POST
@scoped(Scope.PORTFOLIO)
def reweight(request, item_id: int):
    task = selectors.get_visible_task(request.user, item_id)
    try:
        services.task_reweight(
            acting_user=request.user,
            task=task,
            weight=request.POST.get("weight", ""),
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("Saved."))
    except DomainError as error:
        messages.error(request, _error_text(error))
    return redirect("ledgers:item", task.item_id)
