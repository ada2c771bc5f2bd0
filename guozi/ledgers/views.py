"""Ledger pages: a register's list with filters, counts and export; an item with its updates,
evidence, actions and history; the forms to open and to edit an item.

Thin, like every page here: each view reads its input, finds what the user may see (an item
outside their view is a 404), calls one service or selector, and renders. Buttons are shown
only to those the services would let act; the services check again.
"""

import io
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guozi.accounts.access import Scope, scoped
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.exports import watermark
from guozi.registry.forms import apply_domain_error
from guozi.registry.selectors import visible_enterprises

from . import evidence, exports, imports, permissions, selectors, services
from .forms import ItemCreateForm, ItemEditForm, ItemFilterForm, ItemImportForm, UpdateForm
from .models import ACTIVE, EventAction, ProgressRule, Register, Status, TrackedItem, UpdateState
from .registers import REGISTERS, attribute_display

PAGE_SIZE = 50
SHOWN_CHANGES = ("status", "progress", "due_date", "title", "responsible_name", "source")


def _forbidden(request, message: str):
    return render(request, "ledgers/forbidden.html", {"message": message}, status=403)


def _error_text(error: DomainError) -> str:
    details = [m for ms in error.fields.values() for m in (ms if isinstance(ms, list) else [ms])]
    return " ".join([str(error), *details[:5]])


# --- the list --------------------------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def item_list(request):
    form = ItemFilterForm(request.GET or None)
    filters = form.filters()
    items = selectors.item_list(request.user, filters)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
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
        "register_name": Register(filters.register).label if filters.register else None,
        "counts": selectors.counts(request.user, filters.register),
        "can_create": bool(permissions.managed_supervisor_ids(request.user)),
        "today": today,
    }
    template = "ledgers/_items.html" if request.htmx else "ledgers/list.html"
    return render(request, template, context)


@scoped(Scope.PORTFOLIO)
def item_board(request):
    """The same items as the list, as a board by status."""
    form = ItemFilterForm(request.GET or None)
    filters = form.filters()
    columns = selectors.board(request.user, filters)
    today = clock.today()
    for column in columns:
        for item in column["cards"]:
            item.overdue_days = item.days_overdue(today)
    context = {
        "form": form,
        "filters": filters,
        "columns": columns,
        "register_name": Register(filters.register).label if filters.register else None,
        "shown": selectors.BOARD_CARDS,
    }
    return render(request, "ledgers/board.html", context)


@scoped(Scope.PORTFOLIO)
def item_export(request):
    fmt = request.GET.get("format", "xlsx")
    if fmt not in exports.FORMATS:
        raise Http404
    filters = ItemFilterForm(request.GET or None).filters()
    stream = io.BytesIO()
    items = selectors.item_list(request.user, filters)
    exports.export_items(items, stream, fmt=fmt, stamp=watermark(request.user))
    response = HttpResponse(stream.getvalue(), content_type=exports.CONTENT_TYPES[fmt])
    name = f"{filters.register or 'ledgers'}-{clock.today().isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _import_register(request) -> str:
    register = request.GET.get("register") or Register.RECTIFICATION
    if not imports.attribute_only(register):
        raise Http404
    return register


@scoped(Scope.PORTFOLIO)
def item_import(request):
    """Open the items of an attribute-only register (rectifications) from a workbook."""
    register = _import_register(request)
    if not permissions.managed_supervisor_ids(request.user):
        return _forbidden(
            request, _("Only the supervisor's analysts and reviewers open ledger items.")
        )
    form = ItemImportForm(request.POST or None, request.FILES or None)
    context = {
        "form": form,
        "register": register,
        "register_name": Register(register).label,
        "columns": [str(column.label) for column in imports.columns_for(register)],
    }
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload.xlsx"
            with path.open("wb") as stream:
                for chunk in upload.chunks():
                    stream.write(chunk)
            result = imports.import_items(
                acting_user=request.user,
                path=path,
                name=Path(upload.name).name[:200],
                register=register,
                dry_run=form.cleaned_data["dry_run"],
            )
        context["result"] = result
        return render(request, "ledgers/import.html", context, status=400 if result.errors else 200)
    return render(request, "ledgers/import.html", context, status=400 if form.errors else 200)


@scoped(Scope.PORTFOLIO)
def item_import_template(request):
    register = _import_register(request)
    stream = io.BytesIO()
    imports.write_template(stream, register)
    response = HttpResponse(stream.getvalue(), content_type=exports.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{register}-template.xlsx"'
    return response


# --- opening and editing an item -------------------------------------------------------------


@scoped(Scope.PORTFOLIO)
def item_create(request):
    register = request.GET.get("register") or Register.RECTIFICATION
    if register not in REGISTERS:
        raise Http404
    if REGISTERS[register].create_url:
        return redirect(REGISTERS[register].create_url)
    if not permissions.managed_supervisor_ids(request.user):
        return _forbidden(
            request, _("Only the supervisor's analysts and reviewers open ledger items.")
        )
    initial = {}
    owner_id = request.GET.get("owner", "")
    if owner_id.isdigit() and len(owner_id) < 18:
        owner = visible_enterprises(request.user).filter(id=int(owner_id)).first()
        initial["owner"] = (owner.uscc or str(owner.id)) if owner else ""
    form = ItemCreateForm(request.user, register, request.POST or None, initial=initial)
    context = {"form": form, "register_name": Register(register).label}
    if request.method == "POST" and form.is_valid():
        try:
            item = services.item_create(acting_user=request.user, **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
            status = 403 if isinstance(error, Forbidden) else 400
            return render(request, "ledgers/create.html", context, status=status)
        messages.success(request, _("The item was opened."))
        return redirect("ledgers:item", item.id)
    status = 400 if request.method == "POST" else 200
    return render(request, "ledgers/create.html", context, status=status)


@scoped(Scope.PORTFOLIO)
def item_edit(request, item_id: int):
    item = selectors.get_visible_item(request.user, item_id)
    allowed = permissions.Allowed.of(request.user, item)
    if not (allowed.manage or allowed.report or allowed.review):
        return _forbidden(request, _("You may not change this item."))
    if item.status not in ACTIVE:
        return _forbidden(request, _("A closed item is not changed."))
    form = ItemEditForm(item, request.POST or None, manager=allowed.manage)
    context = {"form": form, "item": item}
    if request.method == "POST" and form.is_valid():
        try:
            services.item_edit(
                acting_user=request.user,
                item=item,
                changes=form.changes(),
                reason=form.cleaned_data.get("reason", ""),
            )
        except DomainError as error:
            apply_domain_error(form, error)
            status = 403 if isinstance(error, Forbidden) else 400
            return render(request, "ledgers/edit.html", context, status=status)
        messages.success(request, _("Saved."))
        return redirect("ledgers:item", item.id)
    status = 400 if request.method == "POST" else 200
    return render(request, "ledgers/edit.html", context, status=status)


# --- one item --------------------------------------------------------------------------------


def _shown(name: str, value):
    if value is None:
        return None
    if name == "status":
        return Status(value).label
    return value


def _changes(event) -> list[tuple[str, object, object]]:
    """(label, before, after) of the item's fields an event changed, as a person reads them."""
    if event.action == EventAction.CREATED:
        return []
    before, after = event.before or {}, event.after or {}
    return [
        (
            TrackedItem._meta.get_field(name).verbose_name,
            _shown(name, before.get(name)),
            _shown(name, after.get(name)),
        )
        for name in SHOWN_CHANGES
        if name in before or name in after
    ]


def _panel(item) -> dict | None:
    """The register's own tables for the item page, when its register has any."""
    spec = REGISTERS.get(item.register)
    shown = spec.panel(item) if spec is not None and spec.panel is not None else None
    if shown is None:
        return None
    template, context = shown
    return {"template": template, "context": context}


def _item_page(request, item, *, new_form=None, edited=None, status: int = 200):
    """The item page; `new_form` or `edited` (update id, form) carry a refused form back."""
    allowed = permissions.Allowed.of(request.user, item)
    updates = list(
        item.updates.select_related("author", "reviewed_by")
        .prefetch_related("evidence")
        .order_by("-id")
    )
    milestones = {m.id: m for m in item.milestones.all()}
    for update in updates:
        update.milestone_titles = [
            milestones[i].title for i in update.milestones_done if i in milestones
        ]
        if allowed.report and update.editable and item.working:
            if edited and edited[0] == update.id:
                update.edit_form = edited[1]
            else:
                update.edit_form = UpdateForm(
                    item,
                    initial={
                        "text": update.text,
                        "progress": update.progress,
                        "milestones": [str(i) for i in update.milestones_done],
                    },
                    prefix=f"u{update.id}",
                )
    events = list(item.events.select_related("actor").order_by("-id"))
    for event in events:
        event.changes = _changes(event)
        event.files = event.after.get("files", []) if event.after else []
    today = clock.today()
    hand_in = allowed.review and item.status == Status.IN_PROGRESS
    blocker = services.verification_blocker(item) if hand_in else None
    context = {
        "item": item,
        "allowed": allowed,
        "today": today,
        "overdue_days": item.days_overdue(today),
        "attributes": attribute_display(item.register, item.attributes),
        "panel": _panel(item),
        "milestones": list(milestones.values()),
        "updates": updates,
        "events": events,
        "reminders": item.reminders.order_by("-day", "-id")[:20],
        "new_form": new_form
        if new_form is not None
        else (UpdateForm(item) if allowed.report and item.working else None),
        "can_edit": item.status in ACTIVE and (allowed.manage or allowed.report or allowed.review),
        "can_request_verification": hand_in and blocker is None,
        "verification_blocker": blocker,
        "can_verify": allowed.manage and item.status == Status.AWAITING_VERIFICATION,
        "can_cancel": allowed.manage and item.status in ACTIVE,
        "accepted_types": evidence.accepted_extensions(),
        "accept": ",".join(evidence.EXTENSIONS),
        "max_size": evidence.max_bytes(),
        "submitted": UpdateState.SUBMITTED,
        "verified_only": item.progress_rule == ProgressRule.VERIFIED_ONLY,
        "rejected": EventAction.VERIFICATION_REJECTED,
    }
    return render(request, "ledgers/item.html", context, status=status)


@scoped(Scope.PORTFOLIO)
def item_page(request, item_id: int):
    return _item_page(request, selectors.get_visible_item(request.user, item_id))


@require_POST
@scoped(Scope.PORTFOLIO)
def item_action(request, item_id: int):
    item = selectors.get_visible_item(request.user, item_id)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    user = request.user
    try:
        if action == "request_verification":
            services.verification_request(acting_user=user, item=item, note=reason)
            messages.success(request, _("Handed in for verification."))
        elif action in ("accept", "reject"):
            services.verify(acting_user=user, item=item, accept=action == "accept", reason=reason)
            messages.success(
                request, _("Verified and closed.") if action == "accept" else _("Rejected.")
            )
        elif action == "cancel":
            services.item_cancel(acting_user=user, item=item, reason=reason)
            messages.success(request, _("The item was cancelled."))
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as error:
        messages.error(request, _error_text(error))
    return redirect("ledgers:item", item.id)


@require_POST
@scoped(Scope.PORTFOLIO)
def update_create(request, item_id: int):
    item = selectors.get_visible_item(request.user, item_id)
    form = UpdateForm(item, request.POST)
    if form.is_valid():
        try:
            services.item_update_add(
                acting_user=request.user,
                item=item,
                submit=request.POST.get("action") == "submit",
                uploads=request.FILES.getlist("files"),
                **form.service_arguments(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
            status = 403 if isinstance(error, Forbidden) else 400
            return _item_page(request, item, new_form=form, status=status)
        messages.success(request, _("The update was saved."))
        return redirect("ledgers:item", item.id)
    return _item_page(request, item, new_form=form, status=400)


@require_POST
@scoped(Scope.PORTFOLIO)
def update_action(request, item_id: int, update_id: int):
    update = selectors.get_visible_update(request.user, item_id, update_id)
    item = update.item
    action = request.POST.get("action", "")
    user = request.user
    try:
        if action == "edit":
            form = UpdateForm(item, request.POST, prefix=f"u{update.id}")
            if not form.is_valid():
                return _item_page(request, item, edited=(update.id, form), status=400)
            try:
                services.item_update_edit(
                    acting_user=user, update=update, **form.service_arguments()
                )
            except DomainError as error:
                apply_domain_error(form, error)
                status = 403 if isinstance(error, Forbidden) else 400
                return _item_page(request, item, edited=(update.id, form), status=status)
            messages.success(request, _("The update was saved."))
        elif action == "submit":
            services.item_update_submit(acting_user=user, update=update)
            messages.success(request, _("Submitted for review."))
        elif action == "approve":
            services.item_update_approve(acting_user=user, update=update)
            messages.success(request, _("Approved."))
        elif action == "return":
            services.item_update_return(
                acting_user=user, update=update, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Returned to the reporter."))
        elif action == "evidence":
            services.evidence_add(
                acting_user=user, update=update, uploads=request.FILES.getlist("files")
            )
            messages.success(request, _("The evidence was added."))
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as error:
        messages.error(request, _error_text(error))
    return redirect("ledgers:item", item.id)


@scoped(Scope.PORTFOLIO)
def evidence_download(request, evidence_id: int):
    found = selectors.get_visible_evidence(request.user, evidence_id)
    try:
        path = services.evidence_download(acting_user=request.user, evidence=found)
    except DomainError as error:
        raise Http404(str(error)) from error
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=found.original_name,
        content_type=evidence.CONTENT_TYPES.get(found.declared_type, "application/octet-stream"),
    )
