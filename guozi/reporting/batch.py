"""Writing many reports of one period at once: workbook and CSV imports, API pushes, the demo.

The same rules as `services.cells_write` (who may fill in, locked reports and periods, value
history, validation), applied to a whole batch with one tree snapshot, bulk writes and one
validation pass. All or nothing: a batch with any refused item writes nothing.
"""

import functools
from dataclasses import dataclass, field

import orjson
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.lib import clock
from guozi.lib.bulk import bulk_insert
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period
from guozi.registry.tree import tree_at

from . import permissions
from .expected import Deadlines
from .frameworks import definition_of, version_in_force
from .models import Form, PeriodLock, ReportScope, State, Submission, ValueVersion
from .services import merge_cells, too_many_rows
from .validation import validate_period

CHUNK = 2000


@dataclass(frozen=True)
class BatchItem:
    enterprise_id: int
    scope: str
    stored: dict  # cell → stored value (None clears the cell)
    label: str = ""  # where it came from, for messages: "Sheet1 row 7"


@dataclass
class BatchResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    submission_ids: list[int] = field(default_factory=list)


def allowed_enterprises(acting_user, tree) -> set[int] | None:
    """Enterprises the user may fill in for on the tree's day; None: no limit (system)."""
    if acting_user is None:
        return None
    roots = permissions.fillable_roots(acting_user)
    allowed = set()
    for root in roots:
        allowed.add(root)
        allowed.update(tree.descendants(root))
    return allowed


def batch_problems(acting_user, form: Form, period: Period, items: list[BatchItem]) -> list[str]:
    """Why a batch cannot be written; empty when it can."""
    return _checked(acting_user, form, period, items)[0]


def _checked(acting_user, form: Form, period: Period, items: list[BatchItem]):
    """The problems of a batch, with what finding them read: the tree and the stored reports."""
    tree = tree_at(period.end)
    existing = _existing(form, period, {i.enterprise_id for i in items})
    if PeriodLock.objects.filter(form=form, period=str(period)).exists():
        return [_("The period %(period)s is closed.") % {"period": period}], existing, tree
    problems = []
    allowed = allowed_enterprises(acting_user, tree)
    seen = set()
    for item in items:
        key = (item.enterprise_id, item.scope)
        where = f"{item.label}: " if item.label else ""
        if key in seen:
            problems.append(where + _("the same enterprise and scope appear twice"))
        seen.add(key)
        if allowed is not None and item.enterprise_id not in allowed:
            problems.append(where + _("you may not fill in this enterprise's reports"))
        if item.scope == ReportScope.STANDALONE and not tree.has_children(item.enterprise_id):
            problems.append(where + _("a leaf enterprise files one report, not a standalone one"))
        found = existing.get(key)
        if found is not None and found.state not in (State.DRAFT, State.RETURNED):
            problems.append(
                where
                + _("the report is %(state)s and cannot be changed")
                % {"state": found.get_state_display()}
            )
    return problems, existing, tree


def _existing(form: Form, period: Period, enterprise_ids: set[int]) -> dict:
    found = {}
    ids = sorted(enterprise_ids)
    for start in range(0, len(ids), CHUNK):
        for submission in Submission.objects.filter(
            form=form, period=str(period), enterprise_id__in=ids[start : start + CHUNK]
        ).only("id", "enterprise_id", "scope", "state", "cells", "revisions_after_approval"):
            found[(submission.enterprise_id, submission.scope)] = submission
    return found


@transaction.atomic
def batch_write(
    *,
    acting_user,
    form: Form,
    period: Period,
    items: list[BatchItem],
    channel: str,
    validate: bool = True,
) -> BatchResult:
    problems, existing, tree = _checked(acting_user, form, period, items)
    if problems:
        raise DomainError(
            _("Nothing was written: %(n)s problems.") % {"n": len(problems)},
            code="batch",
            fields={"__all__": problems[:200]},
        )
    version = version_in_force(form, period)
    definition = definition_of(version)
    result = BatchResult()
    now = clock.now()
    user = acting_user if acting_user is not None and acting_user.is_authenticated else None
    fresh, updates, versions, overflow = [], [], [], []
    for item in items:
        submission = existing.get((item.enterprise_id, item.scope))
        cells, changes = merge_cells(
            definition, submission.cells if submission else {}, item.stored
        )
        overflow.extend(f"{item.label}: {problem}" for problem in too_many_rows(definition, cells))
        if submission is None:
            fresh.append((item, cells, changes))
        elif not changes:
            result.unchanged += 1
        else:
            updates.append((orjson.dumps(cells).decode(), now, submission.id))
            versions.append(
                _version(
                    submission.id,
                    now,
                    user,
                    channel,
                    changes,
                    submission.revisions_after_approval > 0,
                )
            )
    if overflow:
        raise DomainError(
            _("Nothing was written: %(n)s problems.") % {"n": len(overflow)},
            code="batch",
            fields={"__all__": overflow[:200]},
        )
    created = _create(form, version, definition, period, tree, fresh)
    versions.extend(
        _version(submission.id, now, user, channel, changes, False)
        for submission, (_item, _cells, changes) in zip(created, fresh, strict=True)
        if changes
    )
    _update_cells(updates)
    bulk_insert(ValueVersion, VERSION_COLUMNS, versions)
    result.created = len(created)
    result.changed = len(versions)
    ids = {(s.enterprise_id, s.scope): s.id for s in [*existing.values(), *created]}
    result.submission_ids = [ids[(i.enterprise_id, i.scope)] for i in items]
    audit_record(
        actor=acting_user,
        action="update",
        instance=form,
        after={
            "event": "batch_write",
            "period": str(period),
            "channel": channel,
            "created": result.created,
            "changed": result.changed,
            "unchanged": result.unchanged,
        },
    )
    if validate and result.submission_ids:
        validate_period(form, period, result.submission_ids)
    return result


def _version(submission_id, now, user, channel, changes, after_approval) -> tuple:
    return (
        submission_id,
        now,
        user.id if user else None,
        channel,
        orjson.dumps(changes).decode(),
        after_approval,
    )


def _create(form, version, definition, period: Period, tree, fresh) -> list:
    """New drafts, with their cells, in bulk (plain inserts: the model layer's per-field
    preparation would cost more than the database's work)."""
    if not fresh:
        return []
    deadlines = Deadlines(form.id, definition, period)
    due = functools.cache(deadlines.due)
    now = timezone.now()
    rows = [
        (
            item.enterprise_id,
            form.id,
            version.id,
            str(period),
            period.end,
            item.scope,
            State.DRAFT,
            orjson.dumps(cells).decode(),
            0,
            0,
            due(tree.supervisor(item.enterprise_id), tree.level(item.enterprise_id)),
            "",
            0,
            0,
            "",
            now,
            now,
        )
        for item, cells, _changes in fresh
    ]
    bulk_insert(Submission, SUBMISSION_COLUMNS, rows)
    ids = sorted({item.enterprise_id for item, _c, _ch in fresh})
    found = {}
    for start in range(0, len(ids), CHUNK):
        found.update(
            ((enterprise_id, scope), _Created(pk, enterprise_id, scope))
            for pk, enterprise_id, scope in Submission.objects.filter(
                form=form, period=str(period), enterprise_id__in=ids[start : start + CHUNK]
            ).values_list("id", "enterprise_id", "scope")
        )
    return [found[(item.enterprise_id, item.scope)] for item, _c, _ch in fresh]


@dataclass(frozen=True)
class _Created:
    id: int
    enterprise_id: int
    scope: str


SUBMISSION_COLUMNS = [
    "enterprise_id",
    "form_id",
    "version_id",
    "period",
    "period_end",
    "scope",
    "state",
    "cells",
    "errors",
    "warnings",
    "due_date",
    "extension_reason",
    "times_returned",
    "revisions_after_approval",
    "reopen_reason",
    "created_at",
    "updated_at",
]
VERSION_COLUMNS = ["submission_id", "at", "user_id", "channel", "changes", "after_approval"]


def _update_cells(rows: list[tuple[str, object, int]]) -> None:
    table = Submission._meta.db_table
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = f"UPDATE {table} SET cells = {cast}, updated_at = %s WHERE id = %s"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start : start + CHUNK])
