"""Writing many reports of one period at once: workbook and CSV imports, API pushes, the demo.

The same rules as `services.cells_write` (who may fill in, locked reports and periods, value
history, validation), applied to a whole batch with one tree snapshot, bulk writes and one
validation pass. All or nothing: a batch with any refused item writes nothing.
"""

import json
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.lib import clock
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
    problems = []
    if PeriodLock.objects.filter(form=form, period=str(period)).exists():
        return [_("The period %(period)s is closed.") % {"period": period}]
    tree = tree_at(period.end)
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
    locked = _existing(form, period, {i.enterprise_id for i in items})
    for item in items:
        found = locked.get((item.enterprise_id, item.scope))
        if found is not None and found.state not in (State.DRAFT, State.RETURNED):
            where = f"{item.label}: " if item.label else ""
            problems.append(
                where
                + _("the report is %(state)s and cannot be changed")
                % {"state": found.get_state_display()}
            )
    return problems


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
    *, acting_user, form: Form, period: Period, items: list[BatchItem], channel: str,
    validate: bool = True,
) -> BatchResult:  # fmt: skip
    problems = batch_problems(acting_user, form, period, items)
    if problems:
        raise DomainError(
            _("Nothing was written: %(n)s problems.") % {"n": len(problems)},
            code="batch",
            fields={"__all__": problems[:200]},
        )
    version = version_in_force(form, period)
    definition = definition_of(version)
    existing = _existing(form, period, {i.enterprise_id for i in items})
    result = BatchResult()
    missing = [i for i in items if (i.enterprise_id, i.scope) not in existing]
    if missing:
        tree = tree_at(period.end)
        deadlines = Deadlines(form.id, definition, period)
        created = Submission.objects.bulk_create(
            (
                Submission(
                    enterprise_id=i.enterprise_id,
                    form=form,
                    version=version,
                    period=str(period),
                    period_end=period.end,
                    scope=i.scope,
                    due_date=deadlines.due(
                        tree.supervisor(i.enterprise_id), tree.level(i.enterprise_id)
                    ),
                )
                for i in missing
            ),
            batch_size=CHUNK,
        )
        if any(s.id is None for s in created):  # databases without RETURNING
            existing = _existing(form, period, {i.enterprise_id for i in items})
        else:
            existing.update({(s.enterprise_id, s.scope): s for s in created})
        result.created = len(missing)
    now = clock.now()
    user = acting_user if acting_user is not None and acting_user.is_authenticated else None
    updates, versions, overflow = [], [], []
    for item in items:
        submission = existing[(item.enterprise_id, item.scope)]
        cells, changes = merge_cells(definition, submission.cells, item.stored)
        overflow.extend(f"{item.label}: {problem}" for problem in too_many_rows(definition, cells))
        result.submission_ids.append(submission.id)
        if not changes:
            result.unchanged += 1
            continue
        updates.append((json.dumps(cells, ensure_ascii=False), now, submission.id))
        versions.append(
            ValueVersion(
                submission_id=submission.id,
                at=now,
                user=user,
                channel=channel,
                changes=changes,
                after_approval=submission.revisions_after_approval > 0,
            )
        )
    if overflow:  # the transaction rolls back the drafts created above
        raise DomainError(
            _("Nothing was written: %(n)s problems.") % {"n": len(overflow)},
            code="batch",
            fields={"__all__": overflow[:200]},
        )
    _update_cells(updates)
    ValueVersion.objects.bulk_create(versions, batch_size=CHUNK)
    result.changed = len(updates)
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


def _update_cells(rows: list[tuple[str, object, int]]) -> None:
    table = Submission._meta.db_table
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = f"UPDATE {table} SET cells = {cast}, updated_at = %s WHERE id = %s"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start : start + CHUNK])
