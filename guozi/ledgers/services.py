"""Writes of the ledgers: every change to a tracked item goes through here.

Each service checks who may make the change (`permissions`; `acting_user=None` is the system,
e.g. another app opening a rectification for an alert), refuses with a translated message
otherwise, writes one history event on the item (`ItemEvent`) and one audit event, and tells
the people who act next through their inbox.

The lifecycle, the same for every register:

    open ─(first approved update)─► in_progress ─(handed in)─► awaiting_verification ─► verified
                                         ▲                              │ (accepted)
                                         └────────(rejected, reason)────┘
    open · in_progress · awaiting_verification ─(cancelled, reason)─► cancelled

An update is written by a reporter as a draft, submitted, then approved or returned (with a
reason) by a reviewer; a returned update is edited and submitted again. Only an approved update
moves the item's progress, by the item's progress rule (`rules`).
"""

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guozi.accounts.models import Role, User
from guozi.audit.services import audit_record
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.models import Enterprise, EnterpriseStatus, Portfolio
from guozi.registry.tree import tree_at

from . import evidence as files
from . import permissions, rules
from .models import (
    ACTIVE,
    WORKING,
    EventAction,
    Evidence,
    ItemEvent,
    ItemUpdate,
    Milestone,
    ProgressRule,
    Register,
    Status,
    TrackedItem,
    UpdateState,
)
from .notices import (
    APPROVED,
    CANCELLED,
    NEW_ITEM,
    REJECTED,
    RETURNED,
    TO_REVIEW,
    TO_VERIFY,
    VERIFIED,
    about,
    enterprise_members,
    reporters_of,
    reviewers_of,
    supervisor_staff,
    tell,
)
from .registers import clean_attributes, spec_of

TITLE_LENGTH = 300
TEXT_LENGTH = 10000
MAX_MILESTONES = 20
SOURCE_KIND = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
EDITABLE_BY_MANAGER = (
    "title",
    "description",
    "source",
    "due_date",
    "responsible_name",
    "responsible_user",
    "attributes",
)
EDITABLE_BY_OWNER = ("responsible_name", "responsible_user")


# --- helpers ---------------------------------------------------------------------------------


def _person(user):
    return user if user is not None and user.is_authenticated else None


def _locked(item: TrackedItem) -> TrackedItem:
    locked = TrackedItem.objects.select_for_update(of=("self",))
    return locked.select_related("owner").get(id=item.id)


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, User):
        return value.get_username()
    return value


def _event(
    item: TrackedItem,
    action: str,
    actor,
    *,
    update: ItemUpdate | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    audited=None,
) -> ItemEvent:
    """One line of the item's history, and the same in the audit log."""
    before = {key: _jsonable(value) for key, value in (before or {}).items()}
    after = {key: _jsonable(value) for key, value in (after or {}).items()}
    event = ItemEvent.objects.create(
        item=item,
        action=action,
        actor=_person(actor),
        at=clock.now(),
        update=update,
        before=before,
        after=after,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action="create" if action == EventAction.CREATED else "update",
        instance=audited or item,
        before=before or None,
        after={"event": action, **after, **({"reason": reason} if reason else {})},
        enterprise_id=item.owner_id,
    )
    return event


def _touch(item: TrackedItem, *fields: str) -> None:
    """Save the item's changed fields and count the change as activity on it."""
    item.last_activity_at = clock.now()
    item.save(update_fields=[*fields, "last_activity_at", "updated_at"])


def _required_reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(message, code="reason", fields={"reason": [_("A reason is required.")]})
    return reason


def _state_error(item: TrackedItem, doing: str) -> DomainError:
    return DomainError(
        _("This item is %(status)s: %(doing)s is not possible now.")
        % {"status": item.get_status_display().lower(), "doing": doing},
        code="state",
    )


# --- items -----------------------------------------------------------------------------------


def _clean_title(title: str, errors: dict) -> str:
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Required.")]
    elif len(title) > TITLE_LENGTH:
        errors["title"] = [_("At most %(n)s characters.") % {"n": TITLE_LENGTH}]
    return title


def _clean_responsible(user: User | None, owner: Enterprise, errors: dict) -> None:
    """A responsible user must work at the owner or an enterprise above it."""
    if user is None:
        return
    above = permissions.chain(tree_at(clock.today()), owner.id)
    staff = enterprise_members(Role.ENTERPRISE_REPORTER, above) + enterprise_members(
        Role.ENTERPRISE_REVIEWER, above
    )
    if user.id not in {member.id for member in staff}:
        errors["responsible_user"] = [
            _("%(user)s holds no role at %(owner)s or an enterprise above it.")
            % {"user": user.get_username(), "owner": owner.name}
        ]


def _clean_milestones(rule: str, milestones, errors: dict) -> list[str]:
    titles = [str(m).strip() for m in milestones or () if str(m).strip()]
    if rule == ProgressRule.MILESTONES and not titles:
        errors["milestones"] = [_("Name at least one milestone.")]
    elif rule != ProgressRule.MILESTONES and titles:
        errors["milestones"] = [_("Milestones count only under the milestones rule.")]
    elif len(titles) > MAX_MILESTONES:
        errors["milestones"] = [_("At most %(n)s milestones.") % {"n": MAX_MILESTONES}]
    elif any(len(t) > 200 for t in titles):
        errors["milestones"] = [_("A milestone has at most 200 characters.")]
    return titles


@transaction.atomic
def item_create(
    *,
    acting_user,
    register: str,
    owner: Enterprise,
    title: str,
    due_date: date | None = None,
    description: str = "",
    source: str = "",
    source_kind: str = "",
    source_ref: str = "",
    responsible_name: str = "",
    responsible_user: User | None = None,
    progress_rule: str = "",
    milestones=(),
    attributes: dict | None = None,
) -> TrackedItem:
    """Open an item of a register for an enterprise of the acting user's own supervisor."""
    spec = spec_of(register)
    if acting_user is not None and not permissions.can_create(acting_user, owner.supervisor_id):
        raise Forbidden(
            _("Only the analysts and reviewers of %(supervisor)s open items for its enterprises.")
            % {"supervisor": owner.supervisor.name}
        )
    errors: dict[str, list[str]] = {}
    title = _clean_title(title, errors)
    today = clock.today()
    due_date = due_date or today + timedelta(days=spec.default_days)
    if due_date < today:
        errors["due_date"] = [_("The due date cannot be in the past.")]
    rule = progress_rule or spec.default_rule
    if rule not in ProgressRule.values:
        errors["progress_rule"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(ProgressRule.values)}
        ]
    titles = _clean_milestones(rule, milestones, errors)
    if owner.status != EnterpriseStatus.ACTIVE or owner.portfolio != Portfolio.OWN:
        errors["owner"] = [
            _("%(name)s is not an active enterprise of the portfolio.") % {"name": owner.name}
        ]
    source_kind, source_ref = (source_kind or "").strip(), str(source_ref or "").strip()
    if source_kind and not SOURCE_KIND.match(source_kind):
        errors["source_kind"] = [_("Lower-case letters, digits and _ only, e.g. alert.")]
    if len(source_ref) > 100:
        errors["source_ref"] = [_("At most %(n)s characters.") % {"n": 100}]
    if len((responsible_name or "").strip()) > 100:
        errors["responsible_name"] = [_("At most %(n)s characters.") % {"n": 100}]
    _clean_responsible(responsible_user, owner, errors)
    try:
        cleaned = clean_attributes(register, attributes)
    except DomainError as error:
        errors.update(error.fields)
        cleaned = {}
    if errors:
        raise DomainError(
            _("The item was not opened: some fields are not valid."), code="invalid", fields=errors
        )
    now = clock.now()
    item = TrackedItem.objects.create(
        register=register,
        supervisor_id=owner.supervisor_id,
        owner=owner,
        title=title,
        description=(description or "").strip(),
        source=(source or "").strip()[:300],
        source_kind=source_kind,
        source_ref=source_ref,
        attributes=cleaned,
        responsible_name=(responsible_name or "").strip(),
        responsible_user=responsible_user,
        opened_on=today,
        due_date=due_date,
        progress_rule=rule,
        last_activity_at=now,
        created_by=_person(acting_user),
    )
    Milestone.objects.bulk_create(
        Milestone(item=item, position=number, title=text)
        for number, text in enumerate(titles, start=1)
    )
    _event(
        item,
        EventAction.CREATED,
        acting_user,
        after={
            "register": register,
            "owner": owner.id,
            "title": title,
            "due_date": due_date,
            "progress_rule": rule,
            "milestones": titles,
            "source": item.source,
            "source_kind": source_kind,
            "source_ref": source_ref,
            "responsible_name": item.responsible_name,
            "attributes": cleaned,
        },
    )
    tell(reporters_of(item), NEW_ITEM, about(item), item=item, body=item.description)
    return item


def rectification_from(
    *,
    source_kind: str,
    source_ref,
    enterprise: Enterprise,
    title: str,
    acting_user=None,
    due_date: date | None = None,
    description: str = "",
    source: str = "",
    responsible_name: str = "",
    attributes: dict | None = None,
) -> TrackedItem:
    """The rectification that works off a finding or an alert, e.g. `source_kind="alert",
    source_ref=123`: the item already opened for that source (unless it was cancelled), or a
    new one. Other apps call this; `acting_user=None` opens it as the system."""
    source_ref = str(source_ref or "").strip()
    if not (source_kind or "").strip() or not source_ref:
        raise DomainError(
            _("A rectification from a source needs the source's kind and reference."),
            code="source",
        )
    existing = (
        TrackedItem.objects.filter(
            register=Register.RECTIFICATION, source_kind=source_kind.strip(), source_ref=source_ref
        )
        .exclude(status=Status.CANCELLED)
        .order_by("-id")
        .first()
    )
    if existing is not None:
        return existing
    return item_create(
        acting_user=acting_user,
        register=Register.RECTIFICATION,
        owner=enterprise,
        title=title,
        due_date=due_date,
        description=description,
        source=source,
        source_kind=source_kind,
        source_ref=source_ref,
        responsible_name=responsible_name,
        attributes=attributes,
    )


@transaction.atomic
def item_edit(*, acting_user, item: TrackedItem, changes: dict, reason: str = "") -> TrackedItem:
    """Change an open item. The supervisor changes any of EDITABLE_BY_MANAGER; the owner's
    reporters and reviewers name the responsible person. A new due date needs a reason."""
    item = _locked(item)
    if acting_user is None or permissions.can_manage(acting_user, item):
        allowed = EDITABLE_BY_MANAGER
    elif permissions.can_report(acting_user, item) or permissions.can_review(acting_user, item):
        allowed = EDITABLE_BY_OWNER
    else:
        raise Forbidden(_("You may not change this item."))
    refused = sorted(set(changes) - set(allowed))
    if refused:
        raise Forbidden(
            _("You may not change: %(fields)s.") % {"fields": ", ".join(refused)},
        )
    if item.status not in ACTIVE:
        raise _state_error(item, _("a change"))
    errors: dict[str, list[str]] = {}
    wanted = dict(changes)
    if "title" in wanted:
        wanted["title"] = _clean_title(wanted["title"], errors)
    for name in ("description", "source", "responsible_name"):
        if name in wanted:
            wanted[name] = (wanted[name] or "").strip()
    if "source" in wanted and len(wanted["source"]) > 300:
        errors["source"] = [_("At most %(n)s characters.") % {"n": 300}]
    if "responsible_name" in wanted and len(wanted["responsible_name"]) > 100:
        errors["responsible_name"] = [_("At most %(n)s characters.") % {"n": 100}]
    if "responsible_user" in wanted:
        _clean_responsible(wanted["responsible_user"], item.owner, errors)
    if "attributes" in wanted:
        try:
            wanted["attributes"] = clean_attributes(item.register, wanted["attributes"])
        except DomainError as error:
            errors.update(error.fields)
    new_due = wanted.get("due_date")
    if "due_date" in wanted:
        if not isinstance(new_due, date):
            errors["due_date"] = [_("Enter a date as YYYY-MM-DD.")]
        elif new_due != item.due_date and new_due < clock.today():
            errors["due_date"] = [_("The due date cannot be in the past.")]
    reason = (reason or "").strip()
    if isinstance(new_due, date) and new_due != item.due_date and not reason:
        errors["reason"] = [_("Say why the due date changes.")]
    if errors:
        raise DomainError(
            _("Nothing was changed: some fields are not valid."), code="invalid", fields=errors
        )
    before, after = {}, {}
    for name, value in wanted.items():
        old = getattr(item, name)
        if old != value:
            before[name], after[name] = old, value
            setattr(item, name, value)
    if not after:
        return item
    _touch(item, *after)
    _event(item, EventAction.EDITED, acting_user, before=before, after=after, reason=reason)
    return item


@transaction.atomic
def item_cancel(*, acting_user, item: TrackedItem, reason: str) -> TrackedItem:
    item = _locked(item)
    if acting_user is not None and not permissions.can_manage(acting_user, item):
        raise Forbidden(_("Only the supervisor's analysts and reviewers cancel an item."))
    if item.status not in ACTIVE:
        raise _state_error(item, _("cancelling"))
    reason = _required_reason(reason, _("Say why the item is cancelled."))
    before = {"status": item.status}
    item.status = Status.CANCELLED
    item.closed_on = clock.today()
    _touch(item, "status", "closed_on")
    _event(
        item,
        EventAction.CANCELLED,
        acting_user,
        before=before,
        after={"status": item.status},
        reason=reason,
    )
    tell(
        reporters_of(item) + reviewers_of(item),
        CANCELLED,
        about(item),
        item=item,
        body=reason,
        skip=acting_user,
    )
    return item


# --- updates ---------------------------------------------------------------------------------


def _clean_update(item: TrackedItem, text: str, progress, milestone_ids) -> tuple:
    """(text, stated or reachable progress, milestone ids) of an update, checked."""
    errors: dict[str, list[str]] = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = [_("Write what was done.")]
    elif len(text) > TEXT_LENGTH:
        errors["text"] = [_("At most %(n)s characters.") % {"n": TEXT_LENGTH}]
    ids = []
    for value in milestone_ids or ():
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            errors["milestones"] = [_("No such milestone: %(value)s.") % {"value": value}]
    ids = sorted(set(ids))
    if item.progress_rule == ProgressRule.MANUAL:
        try:
            progress = None if progress in (None, "") else int(progress)
        except (TypeError, ValueError):
            progress = -1
        if progress is None:
            errors["progress"] = [_("State the progress in percent (0–100).")]
        elif not 0 <= progress <= 100:
            errors["progress"] = [_("The progress is a whole percentage from 0 to 100.")]
        if ids:
            errors["milestones"] = [_("Milestones count only under the milestones rule.")]
    elif progress not in (None, ""):
        errors["progress"] = [
            _("This item's progress is counted by its rule (%(rule)s); do not state it.")
            % {"rule": item.get_progress_rule_display()}
        ]
    if item.progress_rule == ProgressRule.MILESTONES:
        milestones = {m.id: m for m in item.milestones.all()}
        unknown = [i for i in ids if i not in milestones]
        done = [i for i in ids if i in milestones and milestones[i].done_on]
        if unknown:
            errors["milestones"] = [
                _("No such milestone: %(value)s.") % {"value": ", ".join(map(str, unknown))}
            ]
        elif done:
            errors["milestones"] = [
                _("Already done: %(names)s.")
                % {"names": ", ".join(milestones[i].title for i in done)}
            ]
        reached = sum(1 for m in milestones.values() if m.done_on) + len(ids)
        progress = rules.milestone_progress(reached, len(milestones))
    elif item.progress_rule == ProgressRule.VERIFIED_ONLY:
        progress = None
        if ids:
            errors["milestones"] = [_("Milestones count only under the milestones rule.")]
    if errors:
        raise DomainError(
            _("The update was not saved: some fields are not valid."),
            code="invalid",
            fields=errors,
        )
    return text, progress, ids


def _ensure_reporter(acting_user, item: TrackedItem) -> None:
    """Updates and evidence are written by a person: a reporter of the owner's chain."""
    if _person(acting_user) is None or not permissions.can_report(acting_user, item):
        raise Forbidden(
            _("Only the reporters of the owner enterprise, or of one above it, write updates.")
        )


def _ensure_reviewer(acting_user, item: TrackedItem) -> None:
    if acting_user is not None and not permissions.can_review(acting_user, item):
        raise Forbidden(
            _("Only the reviewers of the owner enterprise, or of one above it, do this.")
        )


def _ensure_working(item: TrackedItem, doing: str) -> None:
    if item.status not in WORKING:
        raise _state_error(item, doing)


def _store_evidence(acting_user, update: ItemUpdate, uploads) -> list[Evidence]:
    """Check every upload, then keep them all, or nothing (no row and no file) on any error."""
    uploads = list(uploads)
    if not uploads:
        return []
    if update.evidence.count() + len(uploads) > files.MAX_FILES_PER_UPDATE:
        raise DomainError(
            _("An update has at most %(n)s evidence files.") % {"n": files.MAX_FILES_PER_UPDATE},
            code="evidence_count",
            fields={"file": [_("Too many files.")]},
        )
    staged: list[files.Staged] = []
    placed: list[Path] = []
    try:
        for upload in uploads:
            staged.append(files.stage(upload, update.item_id))
        now = clock.now()
        rows = []
        for item in staged:
            rows.append(
                Evidence.objects.create(
                    update=update,
                    stored_path=item.relative,
                    original_name=item.original_name,
                    declared_type=item.declared_type,
                    size=item.size,
                    sha256=item.sha256,
                    uploaded_by=acting_user,
                    uploaded_at=now,
                )
            )
            placed.append(files.place(item))
    except BaseException:
        files.discard(staged, placed)
        raise
    return rows


def _evidence_out(rows: list[Evidence]) -> list[dict]:
    return [
        {"id": e.id, "name": e.original_name, "type": e.declared_type, "size": e.size} for e in rows
    ]


@transaction.atomic
def item_update_add(
    *,
    acting_user,
    item: TrackedItem,
    text: str,
    progress: int | None = None,
    milestones=(),
    submit: bool = False,
    uploads=(),
) -> ItemUpdate:
    """Write an update, as a draft or submitted for review, with its evidence files: all of it
    or, on any problem (a field, a file's type, size or content), nothing."""
    item = _locked(item)
    _ensure_reporter(acting_user, item)
    _ensure_working(item, _("a new update"))
    text, progress, ids = _clean_update(item, text, progress, milestones)
    now = clock.now()
    update = ItemUpdate.objects.create(
        item=item,
        text=text,
        progress=progress,
        milestones_done=ids,
        author=acting_user,
        written_at=now,
    )
    stored = _store_evidence(acting_user, update, uploads)
    _touch(item)
    _event(
        item,
        EventAction.UPDATE_ADDED,
        acting_user,
        update=update,
        after={"update": update.id, "progress": progress, "milestones": ids},
        audited=update,
    )
    if stored:
        _event(
            item,
            EventAction.EVIDENCE_ADDED,
            acting_user,
            update=update,
            after={"update": update.id, "files": _evidence_out(stored)},
            audited=update,
        )
    if submit:
        _submit(acting_user, item, update)
    return update


@transaction.atomic
def item_update_edit(
    *, acting_user, update: ItemUpdate, text: str, progress: int | None = None, milestones=()
) -> ItemUpdate:
    """Change a draft or returned update's text, progress or milestones; its evidence stays."""
    item = _locked(update.item)
    update = ItemUpdate.objects.select_for_update().get(id=update.id)
    _ensure_reporter(acting_user, item)
    if not update.editable:
        raise DomainError(
            _("This update is %(state)s and cannot be changed.")
            % {"state": update.get_state_display().lower()},
            code="state",
        )
    _ensure_working(item, _("a change to an update"))
    text, progress, ids = _clean_update(item, text, progress, milestones)
    before, after = {}, {}
    for name, value in (("text", text), ("progress", progress), ("milestones_done", ids)):
        if getattr(update, name) != value:
            before[name], after[name] = getattr(update, name), value
            setattr(update, name, value)
    if not after:
        return update
    update.save(update_fields=[*after, "updated_at"])
    _touch(item)
    _event(
        item,
        EventAction.UPDATE_EDITED,
        acting_user,
        update=update,
        before=before,
        after={"update": update.id, **after},
        audited=update,
    )
    return update


def _submit(acting_user, item: TrackedItem, update: ItemUpdate) -> None:
    if item.progress_rule == ProgressRule.MILESTONES:
        # Another update may have completed some of these milestones since this one was written.
        _clean_update(item, update.text, None, update.milestones_done)
    update.state = UpdateState.SUBMITTED
    update.submitted_at = clock.now()
    update.save(update_fields=["state", "submitted_at", "updated_at"])
    _touch(item)
    _event(
        item,
        EventAction.UPDATE_SUBMITTED,
        acting_user,
        update=update,
        after={"update": update.id, "state": update.state},
        audited=update,
    )
    tell(reviewers_of(item), TO_REVIEW, about(item), item=item, body=update.text[:500])


@transaction.atomic
def item_update_submit(*, acting_user, update: ItemUpdate) -> ItemUpdate:
    item = _locked(update.item)
    update = ItemUpdate.objects.select_for_update().get(id=update.id)
    _ensure_reporter(acting_user, item)
    if not update.editable:
        raise DomainError(_("Only a draft or returned update is submitted."), code="state")
    _ensure_working(item, _("submitting an update"))
    _submit(acting_user, item, update)
    return update


@transaction.atomic
def item_update_approve(*, acting_user, update: ItemUpdate) -> ItemUpdate:
    """Approve a submitted update: the item's progress follows its rule, and an open item is
    now in progress."""
    item = _locked(update.item)
    update = ItemUpdate.objects.select_for_update().get(id=update.id)
    _ensure_reviewer(acting_user, item)
    if update.state != UpdateState.SUBMITTED:
        raise DomainError(_("Only a submitted update is approved."), code="state")
    _ensure_working(item, _("approving an update"))
    if acting_user is not None and acting_user.id == update.author_id:
        raise Forbidden(_("You wrote this update; another reviewer approves it."))
    today = clock.today()
    if item.progress_rule == ProgressRule.MILESTONES and update.milestones_done:
        Milestone.objects.filter(
            item=item, id__in=update.milestones_done, done_on__isnull=True
        ).update(done_on=today, done_by_update=update)
    milestones = list(item.milestones.all())
    before = {"status": item.status, "progress": item.progress}
    item.progress = rules.progress_after_approval(
        item.progress_rule,
        current=item.progress,
        stated=update.progress,
        done=sum(1 for m in milestones if m.done_on),
        total=len(milestones),
    )
    if item.status == Status.OPEN:
        item.status = Status.IN_PROGRESS
    update.state = UpdateState.APPROVED
    update.reviewed_by = _person(acting_user)
    update.reviewed_at = clock.now()
    update.return_reason = ""
    update.save(
        update_fields=["state", "reviewed_by", "reviewed_at", "return_reason", "updated_at"]
    )
    _touch(item, "status", "progress")
    _event(
        item,
        EventAction.UPDATE_APPROVED,
        acting_user,
        update=update,
        before=before,
        after={"update": update.id, "status": item.status, "progress": item.progress},
    )
    tell([update.author], APPROVED, about(item), item=item, skip=acting_user)
    return update


@transaction.atomic
def item_update_return(*, acting_user, update: ItemUpdate, reason: str) -> ItemUpdate:
    item = _locked(update.item)
    update = ItemUpdate.objects.select_for_update().get(id=update.id)
    _ensure_reviewer(acting_user, item)
    if update.state != UpdateState.SUBMITTED:
        raise DomainError(_("Only a submitted update is returned."), code="state")
    reason = _required_reason(reason, _("Say why the update is returned."))
    update.state = UpdateState.RETURNED
    update.reviewed_by = _person(acting_user)
    update.reviewed_at = clock.now()
    update.return_reason = reason
    update.save(
        update_fields=["state", "reviewed_by", "reviewed_at", "return_reason", "updated_at"]
    )
    _touch(item)
    _event(
        item,
        EventAction.UPDATE_RETURNED,
        acting_user,
        update=update,
        after={"update": update.id, "state": update.state},
        reason=reason,
        audited=update,
    )
    tell([update.author], RETURNED, about(item), item=item, body=reason, skip=acting_user)
    return update


# --- evidence --------------------------------------------------------------------------------


@transaction.atomic
def evidence_add(*, acting_user, update: ItemUpdate, uploads) -> list[Evidence]:
    """Add evidence files to a draft or returned update: all of them, or none."""
    item = _locked(update.item)
    update = ItemUpdate.objects.select_for_update().get(id=update.id)
    _ensure_reporter(acting_user, item)
    if not update.editable:
        raise DomainError(_("Evidence is added to a draft or returned update only."), code="state")
    _ensure_working(item, _("adding evidence"))
    stored = _store_evidence(acting_user, update, uploads)
    if not stored:
        raise DomainError(
            _("Choose a file."), code="evidence_missing", fields={"file": [_("Required.")]}
        )
    _touch(item)
    _event(
        item,
        EventAction.EVIDENCE_ADDED,
        acting_user,
        update=update,
        after={"update": update.id, "files": _evidence_out(stored)},
        audited=update,
    )
    return stored


def evidence_download(*, acting_user, evidence: Evidence) -> Path:
    """The stored file of an evidence row the caller may read (checked by the selector that
    found it); the download is written to the audit log."""
    path = files.stored_file(evidence.stored_path)
    if path is None:
        raise DomainError(
            _("The file %(name)s is missing from the evidence store; tell the administrator.")
            % {"name": evidence.original_name},
            code="evidence_missing",
            status=404,
        )
    audit_record(
        actor=acting_user,
        action="download",
        instance=evidence,
        after={
            "event": "evidence_download",
            "item": evidence.update.item_id,
            "name": evidence.original_name,
            "sha256": evidence.sha256,
        },
        enterprise_id=evidence.update.item.owner_id,
    )
    return path


def evidence_sweep(*, now: datetime | None = None, min_age: timedelta = timedelta(days=1)) -> dict:
    """Delete files in the evidence store that no evidence row names and that are older than
    `min_age`: what an upload interrupted between writing its file and committing its row
    leaves behind. Younger files may belong to an upload still in progress. Ages are in real
    time, as the file times are."""
    store = files.root()
    if not store.is_dir():
        return {"deleted": 0}
    cutoff = ((now or timezone.now()) - min_age).timestamp()
    deleted = 0
    for folder in sorted(p for p in store.iterdir() if p.is_dir()):
        known = set(
            Evidence.objects.filter(stored_path__startswith=f"{folder.name}/").values_list(
                "stored_path", flat=True
            )
        )
        for path in folder.iterdir():
            if (
                path.is_file()
                and path.stat().st_mtime < cutoff
                and f"{folder.name}/{path.name}" not in known
            ):
                path.unlink()
                deleted += 1
        if not any(folder.iterdir()) and folder.stat().st_mtime < cutoff:
            folder.rmdir()
    return {"deleted": deleted}


# --- verification ----------------------------------------------------------------------------


def _approved_since_last_rejection(item: TrackedItem) -> bool:
    events = ItemEvent.objects.filter(item=item)
    rejected = (
        events.filter(action=EventAction.VERIFICATION_REJECTED)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    approved = events.filter(action=EventAction.UPDATE_APPROVED)
    if rejected is not None:
        approved = approved.filter(id__gt=rejected)
    return approved.exists()


def verification_blocker(item: TrackedItem) -> DomainError | None:
    """Why the item cannot be handed in for verification now; None when it can."""
    if item.status != Status.IN_PROGRESS:
        return _state_error(item, _("a request for verification"))
    if item.updates.filter(state=UpdateState.SUBMITTED).exists():
        return DomainError(
            _("Approve or return the updates waiting for review first."), code="pending"
        )
    if not _approved_since_last_rejection(item):
        return DomainError(
            _("Approve an update on the work done since the last verification was rejected."),
            code="not_ready",
        )
    milestones = list(item.milestones.all())
    why = rules.not_ready_for_verification(
        item.progress_rule,
        progress=item.progress,
        done=sum(1 for m in milestones if m.done_on),
        total=len(milestones),
    )
    if why == "progress":
        return DomainError(
            _("The item is at %(n)s%%; it is handed in for verification at 100%%.")
            % {"n": item.progress},
            code="not_ready",
        )
    if why == "milestones":
        return DomainError(_("Not every milestone is done yet."), code="not_ready")
    return None


@transaction.atomic
def verification_request(*, acting_user, item: TrackedItem, note: str = "") -> TrackedItem:
    """Hand the item in to the supervisor: the owner's reviewer says the work is done."""
    item = _locked(item)
    _ensure_reviewer(acting_user, item)
    blocker = verification_blocker(item)
    if blocker is not None:
        raise blocker
    before = {"status": item.status}
    item.status = Status.AWAITING_VERIFICATION
    _touch(item, "status")
    note = (note or "").strip()
    _event(
        item,
        EventAction.VERIFICATION_REQUESTED,
        acting_user,
        before=before,
        after={"status": item.status},
        reason=note,
    )
    tell(supervisor_staff(item), TO_VERIFY, about(item), item=item, body=note)
    return item


@transaction.atomic
def verify(*, acting_user, item: TrackedItem, accept: bool, reason: str = "") -> TrackedItem:
    """The supervisor's verdict: accepted closes the item at 100%; rejected (with the reason)
    sends it back to the owner, in progress."""
    item = _locked(item)
    if acting_user is not None and not permissions.can_manage(acting_user, item):
        raise Forbidden(_("Only the supervisor's analysts and reviewers verify an item."))
    if item.status != Status.AWAITING_VERIFICATION:
        raise _state_error(item, _("verification"))
    before = {"status": item.status, "progress": item.progress}
    if accept:
        reason = (reason or "").strip()
        item.status = Status.VERIFIED
        item.progress = 100
        item.closed_on = clock.today()
        _touch(item, "status", "progress", "closed_on")
        action, subject = EventAction.VERIFIED, VERIFIED
    else:
        reason = _required_reason(reason, _("Say why the verification is rejected."))
        item.status = Status.IN_PROGRESS
        _touch(item, "status")
        action, subject = EventAction.VERIFICATION_REJECTED, REJECTED
    _event(
        item,
        action,
        acting_user,
        before=before,
        after={"status": item.status, "progress": item.progress},
        reason=reason,
    )
    tell(
        reporters_of(item) + reviewers_of(item),
        subject,
        about(item),
        item=item,
        body=reason,
        skip=acting_user,
    )
    return item
