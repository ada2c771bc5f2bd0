"""Registry pages: the directory, an enterprise, the portfolio tree, and the edit forms."""

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from guozi.accounts.access import Scope, scoped
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden

from . import directory, forms, selectors, services
from .models import EnterpriseStatus, OwnershipLevel, Portfolio

FILTERS = (
    "q",
    "city",
    "section",
    "function_class",
    "ownership_level",
    "status",
    "portfolio",
    "supervisor",
)


def _as_of(request) -> tuple[date, bool]:
    """The `as_of` date of the query string (else today), and whether one was given."""
    raw = request.GET.get("as_of", "").strip()
    if raw:
        try:
            return date.fromisoformat(raw), True
        except ValueError:
            messages.warning(
                request,
                _("%(value)s is not a date (YYYY-MM-DD): showing today.") % {"value": raw[:20]},
            )
    return clock.today(), False


def _day_context(day: date, given: bool) -> dict:
    today = clock.today()
    return {
        "day": day,
        "today": today,
        "as_of_query": f"?as_of={day.isoformat()}" if given and day != today else "",
    }


@scoped(Scope.PORTFOLIO)
def directory_page(request):
    params = {name: request.GET.get(name, "").replace("\x00", "").strip() for name in FILTERS}
    enterprises = directory.directory_search(request.user, **params)
    page = directory.directory_page(
        enterprises, request.GET.get("page"), searched=bool(params["q"])
    )
    options = directory.filter_options(request.user)
    return render(
        request,
        "registry/directory.html",
        {
            "page": page,
            "params": params,
            "filtered": any(params.values()),
            "options": options,
            "levels": OwnershipLevel.choices,
            "statuses": EnterpriseStatus.choices,
            "portfolios": Portfolio.choices,
            "can_create": bool(selectors.editable_supervisor_ids(request.user)),
        },
    )


@scoped(Scope.PORTFOLIO)
def enterprise_page(request, enterprise_id: int):
    day, given = _as_of(request)
    enterprise = selectors.get_visible_enterprise(request.user, enterprise_id, day)
    chain = selectors.chain_up(enterprise, day)
    holders = list(selectors.holders_at(enterprise, day))
    holdings = list(directory.holdings_at(enterprise, day))
    links = list(directory.management_history(enterprise))
    linked = directory.visible_ids(
        request.user,
        day,
        [
            *(e.id for e in chain.enterprises),
            *(link.holder_enterprise_id for link in holders),
            *(link.held_id for link in holdings),
            *(link.parent_id for link in links),
            enterprise.merged_into_id,
        ],
    )
    return render(
        request,
        "registry/enterprise.html",
        {
            **_day_context(day, given),
            "enterprise": enterprise,
            "chain": chain,
            "ancestors": list(reversed(chain.enterprises[1:])),
            "supervisors_down": list(reversed(chain.supervisors)),
            "holders": holders,
            "holders_total": sum(link.pct for link in holders),
            "holdings": holdings,
            "links": links,
            "linked": linked,
            "children": directory.tree_children(request.user, enterprise, day, chain.level),
            "history": directory.change_history(enterprise),
            "can_edit": enterprise.supervisor_id in selectors.editable_supervisor_ids(request.user),
        },
    )


@scoped(Scope.PORTFOLIO)
def tree_page(request):
    day, given = _as_of(request)
    supervisor = request.GET.get("supervisor", "").strip()
    as_supervisor = directory.reads_as_supervisor(request.user, day)
    return render(
        request,
        "registry/tree.html",
        {
            **_day_context(day, given),
            "branches": (
                directory.supervisor_branches(request.user, day, supervisor)
                if as_supervisor
                else []
            ),
            "roots": [] if as_supervisor else directory.enterprise_roots(request.user, day),
            "supervisors": selectors.readable_supervisors(request.user) if as_supervisor else [],
            "supervisor": supervisor,
        },
    )


@scoped(Scope.PORTFOLIO)
def tree_node(request, enterprise_id: int):
    """The children of one node, as a fragment the tree loads when a node is opened."""
    day, given = _as_of(request)
    parent = selectors.get_visible_enterprise(request.user, enterprise_id, day)
    return render(
        request,
        "registry/_tree_children.html",
        {**_day_context(day, given), "nodes": directory.tree_children(request.user, parent, day)},
    )


# --- edits ------------------------------------------------------------------------------------


def _forbidden(request, message: str):
    return render(request, "registry/forbidden.html", {"message": message}, status=403)


def _editable(request, enterprise_id: int):
    """The enterprise and whether the user may change it (the caller answers 403 if not).
    An enterprise the user cannot even read is a 404, as everywhere."""
    enterprise = selectors.get_visible_enterprise(request.user, enterprise_id)
    allowed = enterprise.supervisor_id in selectors.editable_supervisor_ids(request.user)
    return enterprise, allowed


def _refused(request, form, error: DomainError, template: str, context: dict):
    forms.apply_domain_error(form, error)
    status = 403 if isinstance(error, Forbidden) else 400
    return render(request, template, {**context, "form": form}, status=status)


def _edit_page(request, template: str, context: dict, form):
    """The form, blank or with its errors (400 after a refused submission)."""
    status = 400 if request.method == "POST" else 200
    return render(request, template, {**context, "form": form}, status=status)


@scoped(Scope.REGISTRY_EDIT)
def enterprise_create(request):
    initial = {}
    parent_id = request.GET.get("parent", "")
    if parent_id.isdigit() and len(parent_id) < 18:
        initial["parent"] = parent_id
    form = forms.EnterpriseCreateForm(request.user, request.POST or None, initial=initial)
    context = {"title": _("New enterprise"), "submit": _("Create")}
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_create(
                acting_user=request.user, **form.service_arguments()
            )
        except DomainError as error:
            return _refused(request, form, error, "registry/edit_form.html", context)
        for warning in form.warnings:
            messages.warning(request, warning)
        messages.success(request, _("%(name)s was registered.") % {"name": enterprise})
        return redirect("registry:enterprise", enterprise_id=enterprise.id)
    return _edit_page(request, "registry/edit_form.html", context, form)


@scoped(Scope.REGISTRY_EDIT)
def enterprise_edit(request, enterprise_id: int):
    enterprise, allowed = _editable(request, enterprise_id)
    if not allowed:
        return _forbidden(request, _("You may not change the registry of this supervisor."))
    form = forms.EnterpriseEditForm(request.user, enterprise, request.POST or None)
    context = {
        "title": _("Edit %(name)s") % {"name": enterprise},
        "enterprise": enterprise,
        "submit": _("Save"),
    }
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return redirect("registry:enterprise", enterprise_id=enterprise.id)
        try:
            services.enterprise_update(
                acting_user=request.user, enterprise=enterprise, changes=changes
            )
        except DomainError as error:
            return _refused(request, form, error, "registry/edit_form.html", context)
        for warning in form.warnings:
            messages.warning(request, warning)
        messages.success(request, _("The changes to %(name)s were saved.") % {"name": enterprise})
        return redirect("registry:enterprise", enterprise_id=enterprise.id)
    return _edit_page(request, "registry/edit_form.html", context, form)


@scoped(Scope.REGISTRY_EDIT)
def holder_add(request, enterprise_id: int):
    enterprise, allowed = _editable(request, enterprise_id)
    if not allowed:
        return _forbidden(request, _("You may not change the registry of this supervisor."))
    form = forms.EquityHolderForm(request.user, request.POST or None)
    context = {"title": _("Add an equity holder"), "enterprise": enterprise, "submit": _("Save")}
    if request.method == "POST" and form.is_valid():
        try:
            services.equity_link_add(
                acting_user=request.user, held=enterprise, **form.service_arguments()
            )
        except DomainError as error:
            return _refused(request, form, error, "registry/edit_form.html", context)
        messages.success(request, _("The equity holder was added."))
        return redirect("registry:enterprise", enterprise_id=enterprise.id)
    return _edit_page(request, "registry/edit_form.html", context, form)


@scoped(Scope.REGISTRY_EDIT)
def enterprise_transfer(request, enterprise_id: int):
    enterprise, allowed = _editable(request, enterprise_id)
    if not allowed:
        return _forbidden(request, _("You may not change the registry of this supervisor."))
    form = forms.TransferForm(request.user, request.POST or None)
    context = {
        "title": _("Transfer %(name)s to another parent") % {"name": enterprise},
        "intro": _(
            "From the date given, the new parent manages this enterprise and its subsidiaries; "
            "the old parent's stake moves with it. Earlier periods keep the old tree."
        ),
        "enterprise": enterprise,
        "submit": _("Transfer"),
    }
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_transfer(
                acting_user=request.user,
                enterprise=enterprise,
                new_parent=form.cleaned_data["new_parent"],
                on=form.cleaned_data["on"],
            )
        except DomainError as error:
            return _refused(request, form, error, "registry/edit_form.html", context)
        messages.success(
            request,
            _("%(name)s moves to %(parent)s on %(day)s.")
            % {
                "name": enterprise,
                "parent": form.cleaned_data["new_parent"],
                "day": form.cleaned_data["on"].isoformat(),
            },
        )
        return redirect("registry:enterprise", enterprise_id=enterprise.id)
    return _edit_page(request, "registry/edit_form.html", context, form)


@scoped(Scope.REGISTRY_EDIT)
def enterprise_merge(request, enterprise_id: int):
    enterprise, allowed = _editable(request, enterprise_id)
    if not allowed:
        return _forbidden(request, _("You may not change the registry of this supervisor."))
    form = forms.MergeForm(request.user, request.POST or None)
    context = {
        "title": _("Mark %(name)s as merged") % {"name": enterprise},
        "intro": _(
            "From the date given, the absorbing enterprise takes over this one's subsidiaries "
            "and stakes, and this enterprise is marked merged. History stays."
        ),
        "enterprise": enterprise,
        "submit": _("Merge"),
        "danger": True,
    }
    if request.method == "POST" and form.is_valid():
        into = form.cleaned_data["into"]
        try:
            services.enterprise_merge(
                acting_user=request.user, absorbed=enterprise, into=into, on=form.cleaned_data["on"]
            )
        except DomainError as error:
            return _refused(request, form, error, "registry/edit_form.html", context)
        messages.success(
            request,
            _("%(name)s is merged into %(into)s.") % {"name": enterprise, "into": into},
        )
        return redirect("registry:enterprise", enterprise_id=enterprise.id)
    return _edit_page(request, "registry/edit_form.html", context, form)
