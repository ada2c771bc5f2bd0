"""Supply-chain pages: the register's list with filters, an enterprise's inputs, the portfolio,
the forms to open an input and to change it with its suppliers, and the workbook export and
import.

Thin, like every page here: each view reads its input, finds what the user may see (an item or
enterprise outside their view is a 404), calls one service or selector, and renders. The item
itself (updates, verification, history) is the ledgers' page, which shows this register's panel.
"""

import io
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from guozi.accounts.access import Scope, scoped
from guozi.ledgers import permissions
from guozi.ledgers.models import ACTIVE
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.exports import watermark
from guozi.registry.forms import apply_domain_error
from guozi.registry.selectors import get_visible_enterprise, visible_enterprises

from . import imports, selectors, services, sheets
from .countries import country_name
from .forms import (
    CreateForm,
    InputFilterForm,
    InputForm,
    show_source_errors,
    source_formset,
    sources_from,
)
from .models import FLAG_LABELS

PAGE_SIZE = 50
ITEM_FIELDS = {"attributes.plan": "plan"}


def _forbidden(request, message: str):
    return render(request, "ledgers/forbidden.html", {"message": message}, status=403)


def _status(error: DomainError) -> int:
    return 403 if isinstance(error, Forbidden) else 400


def _show_refusal(form, formset, error: DomainError, rows_used: list[int]) -> None:
    """A service's refusal on the page: the suppliers' problems on their rows, the others on
    the form's fields (the ledgers' `attributes.plan` is the form's `plan`)."""
    own = {
        ITEM_FIELDS.get(name, name): list(messages)
        for name, messages in error.fields.items()
        if not name.startswith("sources")
    }
    apply_domain_error(form, DomainError(error.message, error.code, own, error.status))
    show_source_errors(formset, error, rows_used)


# --- the list ----------------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def input_list(request):
    form = InputFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(selectors.input_list(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = selectors.with_sources(page.object_list)
    owner = None
    if filters.owner is not None:
        owner = visible_enterprises(request.user).filter(id=filters.owner).first()
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "owner": owner,
        "flag_labels": FLAG_LABELS,
        "can_create": bool(permissions.managed_supervisor_ids(request.user)),
    }
    template = "supply/_inputs.html" if request.htmx else "supply/list.html"
    return render(request, template, context)


@scoped(Scope.PORTFOLIO)
def input_export(request):
    filters = InputFilterForm(request.GET or None).filters()
    stream = io.BytesIO()
    sheets.export_inputs(
        selectors.input_list(request.user, filters), stream, stamp=watermark(request.user)
    )
    response = HttpResponse(stream.getvalue(), content_type=sheets.CONTENT_TYPE)
    name = f"supply-{clock.today().isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the portfolio and one enterprise ----------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def portfolio(request):
    result = selectors.portfolio(request.user)
    for supplier in result.shared_suppliers:
        supplier.country_names = [country_name(code) for code in supplier.countries]
    context = {
        "result": result,
        "chart": selectors.chart_data(result),
        "flag_labels": FLAG_LABELS,
    }
    return render(request, "supply/portfolio.html", context)


@scoped(Scope.PORTFOLIO)
def enterprise(request, enterprise_id: int):
    found = get_visible_enterprise(request.user, enterprise_id)
    with_subsidiaries = request.GET.get("subtree") == "on"
    result = selectors.enterprise_supply(
        request.user, found.id, with_subsidiaries=with_subsidiaries
    )
    for supply_input in result.inputs:
        for source in supply_input.source_list:
            source.country_name = country_name(source.country)
    context = {
        "enterprise": found,
        "result": result,
        "with_subsidiaries": with_subsidiaries,
        "flag_labels": FLAG_LABELS,
        "can_create": permissions.can_create(request.user, found.supervisor_id),
    }
    return render(request, "supply/enterprise.html", context)


# --- opening and changing an input -------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def input_create(request):
    if not permissions.managed_supervisor_ids(request.user):
        return _forbidden(request, _("Only the supervisor's analysts and reviewers open items."))
    initial = {}
    owner_id = request.GET.get("owner", "")
    if owner_id.isdigit() and len(owner_id) < 18:
        owner = visible_enterprises(request.user).filter(id=int(owner_id)).first()
        initial["owner"] = (owner.uscc or str(owner.id)) if owner else ""
    posted = request.method == "POST"
    form = CreateForm(request.user, request.POST if posted else None, initial=initial)
    formset = source_formset(request.POST if posted else None)
    context = {"form": form, "formset": formset}
    if not posted:
        return render(request, "supply/create.html", context)
    if not (form.is_valid() and formset.is_valid()):
        return render(request, "supply/create.html", context, status=400)
    sources, used = sources_from(formset)
    try:
        created = services.input_create(
            acting_user=request.user, fields=form.values(), sources=sources, **form.item_values()
        )
    except DomainError as error:
        _show_refusal(form, formset, error, used)
        return render(request, "supply/create.html", context, status=_status(error))
    messages.success(request, _("The input was opened."))
    return redirect("ledgers:item", created.item_id)


@scoped(Scope.PORTFOLIO)
def input_edit(request, item_id: int):
    """The input's fields and its suppliers, changed together; an item opened without its
    input gets one here."""
    item = selectors.get_visible_supply_item(request.user, item_id)
    if not services.can_change(request.user, item):
        return _forbidden(request, _("Only the owner's reporters and the supervisor change it."))
    if item.status not in ACTIVE:
        return _forbidden(request, _("A closed item is not changed."))
    supply_input = selectors.input_of(item)
    posted = request.method == "POST"
    initial = InputForm.initial_of(supply_input) if supply_input else {}
    form = InputForm(request.POST if posted else None, initial=initial)
    formset = source_formset(request.POST if posted else None, supply_input)
    context = {"form": form, "formset": formset, "item": item, "input": supply_input}
    if not posted:
        return render(request, "supply/edit.html", context)
    if not (form.is_valid() and formset.is_valid()):
        return render(request, "supply/edit.html", context, status=400)
    sources, used = sources_from(formset)
    try:
        if supply_input is None:
            services.input_attach(
                acting_user=request.user, item=item, fields=form.values(), sources=sources
            )
        else:
            services.input_update(
                acting_user=request.user,
                supply_input=supply_input,
                fields=form.values(),
                sources=sources,
                reason=request.POST.get("reason", ""),
            )
    except DomainError as error:
        _show_refusal(form, formset, error, used)
        return render(request, "supply/edit.html", context, status=_status(error))
    messages.success(request, _("Saved."))
    return redirect("ledgers:item", item.id)


# --- the workbook import -----------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def input_import(request):
    context = {"columns": sheets.column_names(), "result": None}
    if request.method != "POST":
        return render(request, "supply/import.html", context)
    upload = request.FILES.get("file")
    if upload is None:
        context["missing_file"] = True
        return render(request, "supply/import.html", context, status=400)
    path = imports.store_upload(upload)
    try:
        result = imports.import_inputs(
            acting_user=request.user,
            path=path,
            file_name=Path(upload.name).name,
            dry_run=request.POST.get("dry_run") == "on",
        )
    finally:
        path.unlink(missing_ok=True)
    context["result"] = result
    return render(request, "supply/import.html", context, status=400 if result.errors else 200)
