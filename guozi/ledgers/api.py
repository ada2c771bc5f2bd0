"""The REST API of the ledgers, under /api/v1/ledgers/.

Tracked items (rectifications now; other registers later), their updates with evidence files,
the review of updates, verification by the supervisor, cancellation, and counts for a
dashboard. Thin, like the pages: each operation finds what the caller may see (an item outside
their view is 404, the same answer as an unknown id) and calls one ledger service or selector,
which decide who may act and which write the item's history and the audit log.
"""

import tempfile
from datetime import date, datetime
from pathlib import Path

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from guozi.accounts.access import Scope
from guozi.accounts.models import User
from guozi.api.auth import api_scope
from guozi.api.convert import enterprise_ref, path_id, supervisor_ref, user_of
from guozi.api.errors import FieldErrors
from guozi.api.imports import PROBLEMS_SHOWN, problem_fields
from guozi.api.schemas import EnterpriseRef, Error, ImportSummary, SupervisorRef
from guozi.lib import clock
from guozi.lib.errors import DomainError
from guozi.registry.selectors import find_by_identifier, visible_enterprises

from . import evidence as files
from . import imports, permissions, selectors, services
from .models import Evidence, ItemUpdate, ProgressRule, Register, TrackedItem
from .models import Status as ItemStatus
from .registers import REGISTERS
from .selectors import ItemFilters

router = Router(tags=["ledgers"])
ERRORS = {400: Error, 403: Error, 404: Error, 422: Error}


# -- bodies ------------------------------------------------------------------------------------


class MilestoneOut(Schema):
    id: int
    position: int
    title: str
    done_on: date | None


class EvidenceOut(Schema):
    id: int
    name: str = Field(description="the file's sanitised name")
    type: str = Field(description="pdf, ofd, docx, xlsx, pptx, doc, xls, png or jpeg")
    size: int = Field(description="bytes")
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    download: str = Field(description="the API path to download it")


class UpdateOut(Schema):
    id: int
    text: str
    progress: int | None = Field(
        description="stated (manual rule) or reached if approved (milestones rule)"
    )
    milestones_done: list[int] = Field(description="the milestones this update completes")
    author: str
    written_at: datetime
    state: str = Field(description="draft, submitted, approved or returned")
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    return_reason: str
    evidence: list[EvidenceOut]


class EventOut(Schema):
    action: str
    at: datetime
    actor: str | None
    update_id: int | None
    before: dict
    after: dict
    reason: str


class Allowed(Schema):
    report: bool = Field(description="you may write updates and add evidence")
    review: bool = Field(
        description="you may approve or return updates and hand the item in for verification"
    )
    manage: bool = Field(description="you may edit, cancel and verify the item")


class ItemSummary(Schema):
    id: int
    # Named through an alias: pydantic models have a `register` attribute of their own.
    register_kind: str = Field(alias="register", description="rectification")
    title: str
    owner: EnterpriseRef
    supervisor: SupervisorRef
    responsible_name: str
    opened_on: date
    due_date: date
    status: str = Field(
        description="open, in_progress, awaiting_verification, verified or cancelled"
    )
    progress: int = Field(description="percent, by the item's progress rule")
    progress_rule: str = Field(description="manual, milestones or verified_only")
    overdue_days: int = Field(description="days past due while still worked on; else 0")
    last_activity_at: datetime
    source_kind: str
    source_ref: str


class ItemPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[ItemSummary]


class ItemDetail(ItemSummary):
    description: str
    source: str
    attributes: dict = Field(description="the register's own fields")
    responsible_user: str | None
    closed_on: date | None
    milestones: list[MilestoneOut]
    updates: list[UpdateOut] = Field(description="oldest first")
    events: list[EventOut] = Field(description="the item's history, oldest first")
    allowed: Allowed


class ItemIn(Schema):
    register_kind: str = Field(
        Register.RECTIFICATION, alias="register", description="rectification"
    )
    owner: str = Field(description="the owner enterprise: USCC, internal id or CC:number")
    title: str
    description: str = ""
    due_date: date | None = Field(None, description="default: the register's usual term")
    responsible_name: str = ""
    responsible_user: str = Field("", description="user name of someone at the owner")
    progress_rule: str = Field("", description="manual, milestones or verified_only")
    milestones: list[str] = Field(default_factory=list, description="for the milestones rule")
    source: str = ""
    source_kind: str = Field("", description="e.g. alert or inspection")
    source_ref: str = Field("", description="e.g. the alert's id")
    attributes: dict = Field(default_factory=dict, description="the register's own fields")


class ItemPatch(Schema):
    title: str | None = None
    description: str | None = None
    source: str | None = None
    due_date: date | None = None
    responsible_name: str | None = None
    responsible_user: str | None = Field(None, description="a user name; empty to clear")
    attributes: dict | None = None
    reason: str = Field("", description="required when the due date changes")


class UpdateIn(Schema):
    text: str
    progress: int | None = Field(None, description="percent; under the manual rule only")
    milestones: list[int] = Field(
        default_factory=list, description="ids of milestones done; milestones rule only"
    )
    submit: bool = Field(False, description="submit for review at once")


class UpdatePatch(Schema):
    text: str | None = None
    progress: int | None = None
    milestones: list[int] | None = None


class ReasonIn(Schema):
    reason: str = ""


class VerdictIn(Schema):
    accept: bool
    reason: str = Field("", description="required when rejecting")


class Counts(Schema):
    open: int
    in_progress: int
    awaiting_verification: int
    verified: int
    cancelled: int
    total: int
    active: int = Field(description="not closed")
    overdue: int
    due_soon: int = Field(description="still worked on and due within a week")


# -- reading requests --------------------------------------------------------------------------


def visible_item_in_path(user, *, id, **_params) -> TrackedItem:
    return selectors.get_visible_item(user, path_id(id))


def _update_in_path(user, id, update_id) -> ItemUpdate:
    return selectors.get_visible_update(user, path_id(id), path_id(update_id))


def _visible_owner(user, identifier: str):
    found = find_by_identifier(identifier or "")
    if found is None or not visible_enterprises(user).filter(id=found.id).exists():
        raise FieldErrors({"owner": [_no_enterprise(identifier)]})
    return found


def _no_enterprise(identifier: str) -> str:
    return _("No enterprise you can see has the identifier %(value)s.") % {"value": identifier}


def _user_named(name: str, field: str) -> User | None:
    if not name:
        return None
    found = User.objects.filter(username=name.strip(), is_active=True).first()
    if found is None:
        raise FieldErrors({field: [_("No such user.")]})
    return found


# -- writing answers ---------------------------------------------------------------------------


def _name(user) -> str | None:
    return user.get_username() if user is not None else None


def evidence_out(row: Evidence) -> dict:
    return {
        "id": row.id,
        "name": row.original_name,
        "type": row.declared_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_by": row.uploaded_by.get_username(),
        "uploaded_at": row.uploaded_at,
        "download": reverse("api:ledger_evidence", kwargs={"id": row.id}),
    }


def update_out(update: ItemUpdate) -> dict:
    return {
        "id": update.id,
        "text": update.text,
        "progress": update.progress,
        "milestones_done": update.milestones_done,
        "author": update.author.get_username(),
        "written_at": update.written_at,
        "state": update.state,
        "submitted_at": update.submitted_at,
        "reviewed_by": _name(update.reviewed_by),
        "reviewed_at": update.reviewed_at,
        "return_reason": update.return_reason,
        "evidence": [evidence_out(e) for e in update.evidence.select_related("uploaded_by")],
    }


def item_summary(item: TrackedItem) -> dict:
    return {
        "id": item.id,
        "register": item.register,  # the alias of register_kind
        "title": item.title,
        "owner": enterprise_ref(item.owner),
        "supervisor": supervisor_ref(item.supervisor),
        "responsible_name": item.responsible_name,
        "opened_on": item.opened_on,
        "due_date": item.due_date,
        "status": item.status,
        "progress": item.progress,
        "progress_rule": item.progress_rule,
        "overdue_days": item.days_overdue(clock.today()),
        "last_activity_at": item.last_activity_at,
        "source_kind": item.source_kind,
        "source_ref": item.source_ref,
    }


def item_detail(user, item_id: int) -> dict:
    item = selectors.get_visible_item(user, item_id)
    allowed = permissions.Allowed.of(user, item)
    updates = item.updates.select_related("author", "reviewed_by").order_by("id")
    return {
        **item_summary(item),
        "description": item.description,
        "source": item.source,
        "attributes": item.attributes,
        "responsible_user": _name(item.responsible_user),
        "closed_on": item.closed_on,
        "milestones": [
            {"id": m.id, "position": m.position, "title": m.title, "done_on": m.done_on}
            for m in item.milestones.all()
        ],
        "updates": [update_out(u) for u in updates],
        "events": [
            {
                "action": e.action,
                "at": e.at,
                "actor": _name(e.actor),
                "update_id": e.update_id,
                "before": e.before,
                "after": e.after,
                "reason": e.reason,
            }
            for e in item.events.select_related("actor").order_by("id")
        ],
        "allowed": {"report": allowed.report, "review": allowed.review, "manage": allowed.manage},
    }


def _listed(error: DomainError) -> DomainError:
    """Services name a field with one message or several; the API always sends a list."""
    error.fields = {
        name: [messages] if isinstance(messages, str) else list(messages)
        for name, messages in error.fields.items()
    }
    return error


def _run(change):
    try:
        return change()
    except DomainError as error:
        raise _listed(error) from None


# -- items -------------------------------------------------------------------------------------


@router.get("/items", response={200: ItemPage, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO)
def list_items(
    request,
    register_kind: str = Query("", alias="register", description="rectification"),
    status: str = Query("", description="a status, or active for every item not closed"),
    owner: str = Query("", description="the owner: USCC, internal id or CC:number"),
    subtree: bool = Query(False, description="with owner: also the enterprises it manages"),
    overdue: bool = False,
    due_soon: bool = Query(False, description="still worked on and due within a week"),
    due_before: date | None = None,
    q: str = Query("", description="words in the title, owner or responsible person"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    """The items you may read: still-open ones first, by due date."""
    user = user_of(request)
    problems: dict[str, list[str]] = {}
    register = register_kind
    if register and register not in Register.values:
        problems["register"] = [_("Unknown register.")]
    if status and status != "active" and status not in ItemStatus.values:
        problems["status"] = [
            _("Choose one of: %(choices)s.")
            % {"choices": ", ".join(["active", *ItemStatus.values])}
        ]
    found = None
    if owner:
        found = find_by_identifier(owner)
        if found is None or not visible_enterprises(user).filter(id=found.id).exists():
            problems["owner"] = [_no_enterprise(owner)]
    if problems:
        raise FieldErrors(problems)
    filters = ItemFilters(
        register=register,
        status=status,
        owner=found.id if found else None,
        subtree=subtree,
        overdue=overdue,
        due_soon=due_soon,
        due_before=due_before,
        q=q.strip(),
    )
    items = selectors.item_list(user, filters)
    return {
        "total": items.count(),
        "limit": limit,
        "offset": offset,
        "items": [item_summary(item) for item in items[offset : offset + limit]],
    }


@router.post("/items", response={201: ItemDetail, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO)
def create_item(request, payload: ItemIn):
    """Open an item (the supervisor's analysts and reviewers, for an enterprise of their own
    supervisor). Every field error comes back at once under its name."""
    user = user_of(request)
    spec = REGISTERS.get(payload.register_kind)
    if spec is not None and spec.create_url:
        raise FieldErrors(
            {"register": [_("Items of this register are opened through its own endpoints.")]}
        )
    owner = _visible_owner(user, payload.owner)
    responsible = _user_named(payload.responsible_user, "responsible_user")
    item = _run(
        lambda: services.item_create(
            acting_user=user,
            register=payload.register_kind,
            owner=owner,
            title=payload.title,
            description=payload.description,
            due_date=payload.due_date,
            responsible_name=payload.responsible_name,
            responsible_user=responsible,
            progress_rule=payload.progress_rule,
            milestones=payload.milestones,
            source=payload.source,
            source_kind=payload.source_kind,
            source_ref=payload.source_ref,
            attributes=payload.attributes,
        )
    )
    return Status(201, item_detail(user, item.id))


@router.get("/items/{int:id}", response={200: ItemDetail, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO, first=visible_item_in_path)
def get_item(request, id: int):
    """One item with its milestones, updates and evidence, history, and what you may do."""
    return item_detail(user_of(request), path_id(id))


@router.patch("/items/{int:id}", response={200: ItemDetail, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO, first=visible_item_in_path)
def edit_item(request, id: int, payload: ItemPatch):
    """Change an item that is not closed: the supervisor any field, the owner's reporters and
    reviewers the responsible person. A new due date needs a `reason`."""
    user = user_of(request)
    item = visible_item_in_path(user, id=id)
    changes = payload.model_dump(exclude_unset=True)
    reason = changes.pop("reason", "")
    if "responsible_user" in changes:
        changes["responsible_user"] = _user_named(changes["responsible_user"], "responsible_user")
    _run(lambda: services.item_edit(acting_user=user, item=item, changes=changes, reason=reason))
    return item_detail(user, item.id)


@router.post("/items/{int:id}/cancel", response={200: ItemDetail, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO, first=visible_item_in_path)
def cancel_item(request, id: int, payload: ReasonIn):
    """Cancel an item that is not closed (the supervisor, with a reason)."""
    user = user_of(request)
    item = visible_item_in_path(user, id=id)
    _run(lambda: services.item_cancel(acting_user=user, item=item, reason=payload.reason))
    return item_detail(user, item.id)


@router.post(
    "/items/{int:id}/verification-request", response={200: ItemDetail, **ERRORS}, by_alias=True
)
@api_scope(Scope.PORTFOLIO, first=visible_item_in_path)
def request_verification(request, id: int, payload: ReasonIn):
    """Hand the item in to the supervisor (the owner's reviewer): it is in progress, no update
    waits for review, an update was approved since any rejection, and it is complete by its
    rule (100%, or every milestone done)."""
    user = user_of(request)
    item = visible_item_in_path(user, id=id)
    _run(lambda: services.verification_request(acting_user=user, item=item, note=payload.reason))
    return item_detail(user, item.id)


@router.post("/items/{int:id}/verification", response={200: ItemDetail, **ERRORS}, by_alias=True)
@api_scope(Scope.PORTFOLIO, first=visible_item_in_path)
def verify_item(request, id: int, payload: VerdictIn):
    """The supervisor's verdict on an item handed in: accept closes it at 100%; reject (with
    the reason) sends it back in progress."""
    user = user_of(request)
    item = visible_item_in_path(user, id=id)
    _run(
        lambda: services.verify(
            acting_user=user, item=item, accept=payload.accept, reason=payload.reason
        )
    )
    return item_detail(user, item.id)


# -- updates -----------------------------------------------------------------------------------


@router.post("/items/{int:id}/updates", response={201: UpdateOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_item_in_path)
def add_update(request, id: int, payload: UpdateIn):
    """Write an update (a reporter of the owner or above), as a draft or, with `submit`, for
    review. Evidence files are added with .../updates/{update_id}/evidence."""
    user = user_of(request)
    item = visible_item_in_path(user, id=id)
    update = _run(
        lambda: services.item_update_add(
            acting_user=user,
            item=item,
            text=payload.text,
            progress=payload.progress,
            milestones=payload.milestones,
            submit=payload.submit,
        )
    )
    return Status(201, update_out(update))


@router.patch("/items/{int:id}/updates/{int:update_id}", response={200: UpdateOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_item_in_path)
def edit_update(request, id: int, update_id: int, payload: UpdatePatch):
    """Change a draft or returned update; its evidence files stay."""
    user = user_of(request)
    update = _update_in_path(user, id, update_id)
    given = payload.model_dump(exclude_unset=True)
    # Only a manual item's progress is stated; the others' is computed, never sent back.
    stated = update.progress if update.item.progress_rule == ProgressRule.MANUAL else None
    edited = _run(
        lambda: services.item_update_edit(
            acting_user=user,
            update=update,
            text=given.get("text", update.text),
            progress=given.get("progress", stated),
            milestones=given.get("milestones", update.milestones_done),
        )
    )
    return update_out(edited)


def _update_step(request, id, update_id, step) -> dict:
    user = user_of(request)
    update = _update_in_path(user, id, update_id)
    return update_out(_run(lambda: step(user, update)))


@router.post("/items/{int:id}/updates/{int:update_id}/submit", response={200: UpdateOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_item_in_path)
def submit_update(request, id: int, update_id: int):
    """Submit a draft or returned update for review."""
    return _update_step(
        request, id, update_id, lambda u, up: services.item_update_submit(acting_user=u, update=up)
    )


@router.post("/items/{int:id}/updates/{int:update_id}/approve", response={200: UpdateOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_item_in_path)
def approve_update(request, id: int, update_id: int):
    """Approve a submitted update (a reviewer of the owner or above, not its author): the
    item's progress follows its rule."""
    return _update_step(
        request, id, update_id, lambda u, up: services.item_update_approve(acting_user=u, update=up)
    )


@router.post("/items/{int:id}/updates/{int:update_id}/return", response={200: UpdateOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_item_in_path)
def return_update(request, id: int, update_id: int, payload: ReasonIn):
    """Return a submitted update to its author, with the reason."""
    return _update_step(
        request,
        id,
        update_id,
        lambda u, up: services.item_update_return(acting_user=u, update=up, reason=payload.reason),
    )


@router.post(
    "/items/{int:id}/updates/{int:update_id}/evidence",
    response={201: list[EvidenceOut], **ERRORS},
)
@api_scope(Scope.PORTFOLIO, first=visible_item_in_path)
def upload_evidence(request, id: int, update_id: int, file: File[UploadedFile]):
    """Add an evidence file to a draft or returned update (multipart, field `file`). Accepted:
    .pdf, .ofd, .docx, .xlsx, .pptx, .doc, .xls, .png, .jpg; the content must match the type,
    and the size the limit (20 MB by default). A refused file leaves nothing behind."""
    user = user_of(request)
    update = _update_in_path(user, id, update_id)
    rows = _run(lambda: services.evidence_add(acting_user=user, update=update, uploads=[file]))
    return Status(201, [evidence_out(row) for row in rows])


DOWNLOAD = {
    "responses": {
        200: {
            "description": "the file",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
}


def _visible_evidence(user, *, id, **_params) -> Evidence:
    return selectors.get_visible_evidence(user, path_id(id))


@router.get(
    "/evidence/{int:id}", response=ERRORS, openapi_extra=DOWNLOAD, url_name="ledger_evidence"
)
@api_scope(Scope.PORTFOLIO, first=_visible_evidence)
def download_evidence(request, id: int):
    """Download an evidence file of an item you may read; the download is audited."""
    user = user_of(request)
    found = _visible_evidence(user, id=id)
    path = _run(lambda: services.evidence_download(acting_user=user, evidence=found))
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=found.original_name,
        content_type=files.CONTENT_TYPES.get(found.declared_type, "application/octet-stream"),
    )


# -- counts ------------------------------------------------------------------------------------


@router.get("/counts", response={200: Counts, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def item_counts(request, register_kind: str = Query("", alias="register")):
    """How many items you may read are in each status, overdue, and due within a week."""
    return selectors.counts(user_of(request), register_kind)


@router.post("/items/import", response={200: ImportSummary, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def import_items(
    request,
    file: File[UploadedFile],
    register_kind: Form[str] = Register.RECTIFICATION.value,
    dry_run: Form[bool] = False,
):
    """Open items of an attribute-only register (rectifications by default) from an .xlsx
    file, one row each. The whole file is checked first: with any error nothing is written and
    the answer is 422 with each error under `rows.<row>.<column>`; with `dry_run=true` nothing
    is written either way."""
    user = user_of(request)
    name = Path(file.name or "").name[:200]
    if not imports.attribute_only(register_kind):
        raise FieldErrors({"register_kind": [_("Unknown register.")]})
    if not name.lower().endswith(".xlsx"):
        raise FieldErrors({"file": [_("Only .xlsx files can be imported.")]})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.xlsx"
        with path.open("wb") as stream:
            for chunk in file.chunks():
                stream.write(chunk)
        result = imports.import_items(
            acting_user=user, path=path, name=name, register=register_kind, dry_run=dry_run
        )
    if result.errors:
        raise FieldErrors(
            problem_fields(result),
            message=_("The file has %(n)d errors; nothing was written.")
            % {"n": len(result.errors)},
        )
    return {**result.summary(limit=PROBLEMS_SHOWN), "changes": []}
