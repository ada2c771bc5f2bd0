"""Writes of the reporting app: cells, the submit → approve / return workflow, waivers, reopening.

Every channel (web form, workbook, CSV, API) writes cells through `cells_write`, so checks, value
history and audit are the same whichever way a figure arrives.
"""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from guozi.accounts.models import Role
from guozi.accounts.services import notify
from guozi.audit.services import audit_record
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden
from guozi.lib.periods import Period
from guozi.registry.models import Enterprise
from guozi.registry.tree import tree_at

from . import permissions
from .definitions import FormDefinition
from .expected import Deadlines
from .frameworks import definition_of, version_in_force
from .models import (
    Action,
    Cause,
    Decision,
    Explanation,
    Form,
    PeriodLock,
    ReportScope,
    RuleResult,
    State,
    Submission,
    SubmissionEvent,
    ValueVersion,
)
from .signals import reports_changed
from .validation import validate_period
from .values import (
    CellError,
    floating_keys,
    floating_totals,
    row_key_problem,
    split_cell,
    to_stored,
)

EDITABLE = (State.DRAFT, State.RETURNED)


def _period_locked(form: Form, period: str) -> bool:
    return PeriodLock.objects.filter(form=form, period=period).exists()


def submission_open(
    *, acting_user, enterprise: Enterprise, form: Form, period: Period, scope: str
) -> Submission:
    """The enterprise's submission for the period, created as a draft on first use."""
    found = Submission.objects.filter(
        enterprise=enterprise, form=form, period=str(period), scope=scope
    ).first()
    if found:
        return found
    tree = tree_at(period.end)
    if scope == ReportScope.STANDALONE and not tree.has_children(enterprise.id):
        raise DomainError(
            _("%(name)s has no subsidiaries: its one report counts as both scopes.")
            % {"name": enterprise.name},
            code="no_standalone",
        )
    version = version_in_force(form, period)
    probe = Submission(enterprise=enterprise, form=form, version=version, period=str(period))
    if acting_user is not None and not permissions.can_fill(acting_user, probe, tree):
        raise Forbidden(_("You may not fill in this enterprise's reports."))
    deadlines = Deadlines(form.id, definition_of(version), period)
    level = tree.level(enterprise.id)
    submission = Submission.objects.create(
        enterprise=enterprise,
        form=form,
        version=version,
        period=str(period),
        period_end=period.end,
        scope=scope,
        due_date=deadlines.due(tree.supervisor(enterprise.id), level),
    )
    audit_record(
        actor=acting_user,
        action="create",
        instance=submission,
        after={"period": str(period), "scope": scope},
        enterprise_id=enterprise.id,
    )
    return submission


def parse_cells(definition: FormDefinition, raw: dict[str, object]) -> tuple[dict, dict]:
    """Entered values by cell → (stored values, errors by cell); unknown cells are errors.

    Rows of a floating section come as "code#row name.column"; their totals are computed.
    """
    stored, errors = {}, {}
    targets = _cell_targets(definition)
    for cell, value in raw.items():
        field = targets.get(cell)
        if field is None:
            field, problem = _cell_target(definition, cell)
            if problem:
                errors[cell] = problem
                continue
        try:
            stored[cell] = to_stored(field, value)
        except CellError as error:
            errors[cell] = str(error)
    return stored, errors


_TARGETS: dict[tuple[str, str], dict] = {}


def _cell_targets(definition: FormDefinition) -> dict:
    """The fixed cells of a form version and their fields, built once (an import of thousands
    of reports names the same cells on every row)."""
    key = (definition.form, definition.version)
    if key not in _TARGETS:
        _TARGETS[key] = {
            f"{f.code}.{column}": f
            for f in definition.fields
            if not f.floating
            for column in f.columns
        }
    return _TARGETS[key]


def _cell_target(definition: FormDefinition, cell: str):
    """(field, None) for a floating row's cell, or (None, why the cell is not on the form)."""
    code, key, column = split_cell(cell)
    field = definition.fields_by_code.get(code)
    if field is None or column not in field.columns or (key is not None) != field.floating:
        if field is not None and field.floating and key is None:
            return None, _("This line totals its rows; fill in the rows.")
        return None, _("This form has no cell “%(cell)s”.") % {"cell": cell}
    return field, row_key_problem(key)


def merge_cells(definition: FormDefinition, cells: dict, stored: dict) -> tuple[dict, dict]:
    """The cells after writing `stored`, with floating totals kept; and the changes made."""
    merged = dict(cells)
    changes = {}
    for cell, value in stored.items():
        old = cells.get(cell)
        if old != value:
            changes[cell] = [old, value]
        if value is None:
            merged.pop(cell, None)
        else:
            merged[cell] = value
    if any(f.floating for f in definition.fields):
        for cell, total in floating_totals(definition, merged).items():
            old = cells.get(cell)
            if old != total:
                changes[cell] = [old, total]
            if total is None:
                merged.pop(cell, None)
            else:
                merged[cell] = total
    return merged, changes


def too_many_rows(definition: FormDefinition, cells: dict) -> list[str]:
    problems = []
    for section in definition.sections:
        if not section.floating:
            continue
        rows = floating_keys(definition.fields_in(section.code), cells)
        if len(rows) > section.max_rows:
            problems.append(
                _("%(section)s has %(n)s rows; at most %(max)s are allowed.")
                % {"section": section.name_zh, "n": len(rows), "max": section.max_rows}
            )
    return problems


def _ensure_writable(acting_user, submission: Submission) -> None:
    if submission.state not in EDITABLE:
        raise DomainError(
            _("This report is %(state)s and cannot be changed.")
            % {"state": submission.get_state_display()},
            code="locked",
        )
    if _period_locked(submission.form, submission.period):
        raise DomainError(
            _("The period %(period)s is closed.") % {"period": submission.period},
            code="period_locked",
        )
    if acting_user is not None and not permissions.can_fill(acting_user, submission):
        raise Forbidden(_("You may not fill in this enterprise's reports."))


@transaction.atomic
def cells_write(
    *,
    acting_user,
    submission: Submission,
    raw: dict[str, object],
    channel: str,
    validate: bool = True,
) -> ValueVersion | None:
    """Write entered values; all or nothing. Returns the version row, None when nothing changed."""
    submission = Submission.objects.select_for_update().get(id=submission.id)
    _ensure_writable(acting_user, submission)
    definition = definition_of(submission.version)
    stored, errors = parse_cells(definition, raw)
    if errors:
        raise DomainError(
            _("Some values could not be read; nothing was saved."), code="cells", fields=errors
        )
    cells, changes = merge_cells(definition, submission.cells, stored)
    too_many = too_many_rows(definition, cells)
    if too_many:
        raise DomainError(too_many[0], code="rows")
    if not changes:
        return None
    submission.cells = cells
    submission.save(update_fields=["cells", "updated_at"])
    version = ValueVersion.objects.create(
        submission=submission,
        at=clock.now(),
        user=acting_user if acting_user and acting_user.is_authenticated else None,
        channel=channel,
        changes=changes,
        after_approval=submission.revisions_after_approval > 0,
    )
    if validate:
        validate_period(submission.form, Period.parse(submission.period), [submission.id])
    return version


def cell_history(submission: Submission, cell: str) -> list[dict]:
    """Every version of one cell, oldest first: the first is "as first reported"."""
    return [
        {
            "at": v.at,
            "user": v.user,
            "channel": v.channel,
            "old": v.changes[cell][0],
            "new": v.changes[cell][1],
            "after_approval": v.after_approval,
        }
        for v in submission.versions.select_related("user").order_by("id")
        if cell in v.changes
    ]


def values_at(submission: Submission, version_id: int | None) -> dict:
    """The cells as they stood right after a given version (None: before any)."""
    cells: dict = {}
    if version_id is None:
        return cells
    for version in submission.versions.filter(id__lte=version_id).order_by("id"):
        for cell, (_old, new) in version.changes.items():
            if new is None:
                cells.pop(cell, None)
            else:
                cells[cell] = new
    return cells


def resubmission_diff(submission: Submission) -> dict[str, tuple]:
    """Cells changed since the report was last returned: cell → (then, now)."""
    returned = submission.events.filter(action=Action.RETURN).order_by("-id").first()
    if returned is None:
        return {}
    then = values_at(submission, returned.version_id_at)
    now = submission.cells
    return {
        cell: (then.get(cell), now.get(cell))
        for cell in sorted(set(then) | set(now))
        if then.get(cell) != now.get(cell)
    }


def revisions_since_first_submission(submission: Submission) -> dict[str, tuple]:
    """Cells that differ from what was first submitted: cell → (as first reported, now)."""
    first = submission.events.filter(action=Action.SUBMIT).order_by("id").first()
    if first is None:
        return {}
    then = values_at(submission, first.version_id_at)
    now = submission.cells
    return {
        cell: (then.get(cell), now.get(cell))
        for cell in sorted(set(then) | set(now))
        if then.get(cell) != now.get(cell)
    }


def _last_version_id(submission: Submission) -> int | None:
    last = submission.versions.order_by("-id").values_list("id", flat=True).first()
    return last


def _event(submission, action, user, reason="", named=None) -> SubmissionEvent:
    event = SubmissionEvent.objects.create(
        submission=submission,
        action=action,
        at=clock.now(),
        user=user if user and user.is_authenticated else None,
        reason=reason,
        named=named or [],
        version_id_at=_last_version_id(submission),
    )
    audit_record(
        actor=user,
        action="update",
        instance=submission,
        after={"event": action, "state": submission.state, "reason": reason, "named": named or []},
        enterprise_id=submission.enterprise_id,
    )
    reports_changed.send(sender=Submission, form_id=submission.form_id, period=submission.period)
    return event


def blocking_problems(submission: Submission) -> list[str]:
    """Why the report cannot be submitted yet; empty when it can."""
    problems = []
    explanations = {e.rule: e for e in submission.explanations.all()}
    for result in submission.results.all():
        explained = explanations.get(result.rule)
        if result.severity == "error":
            if not (
                explained
                and explained.kind == Explanation.Kind.WAIVER
                and explained.decision == Decision.ACCEPTED
            ):
                problems.append(result.message)
        elif explained is None:
            problems.append(_("Explain the warning: %(message)s") % {"message": result.message})
    return problems


def unapproved_children(submission: Submission) -> list[Enterprise]:
    period = Period.parse(submission.period)
    tree = tree_at(period.end)
    children = tree.children.get(submission.enterprise_id, [])
    if not children:
        return []
    approved = set(
        Submission.objects.filter(
            form=submission.form,
            period=submission.period,
            scope=ReportScope.CONSOLIDATED,
            enterprise_id__in=children,
            state=State.APPROVED,
        ).values_list("enterprise_id", flat=True)
    )
    from .expected import expected_reports

    expected = {
        e.enterprise_id
        for e in expected_reports(definition_of(submission.version), period, tree)
        if e.enterprise_id in set(children)
    }
    return list(Enterprise.objects.filter(id__in=expected - approved).order_by("name_zh"))


def _reporters_and_reviewers(submission: Submission, role: str):
    from guozi.accounts.models import Membership

    tree = tree_at(Period.parse(submission.period).end)
    chain = [submission.enterprise_id]
    current = submission.enterprise_id
    while current in tree.parent:
        current = tree.parent[current]
        chain.append(current)
    day = clock.today()
    query = Membership.objects.filter(role=role, valid_from__lte=day).exclude(valid_to__lte=day)
    if role == Role.SUPERVISOR_REVIEWER:
        query = query.filter(supervisor_id=tree.supervisor(submission.enterprise_id))
    elif role == Role.ENTERPRISE_REVIEWER:
        query = query.filter(enterprise_id__in=chain[1:])
    else:
        query = query.filter(enterprise_id__in=chain)
    return [m.user for m in query.select_related("user")]


def _tell(users, subject_zh, subject_en, body_zh="", body_en="", link="") -> None:
    for user in {u.id: u for u in users}.values():
        notify(
            user=user,
            subject_zh=subject_zh,
            subject_en=subject_en,
            body_zh=body_zh,
            body_en=body_en,
            link=link,
        )


def _label(submission: Submission) -> tuple[str, str]:
    period = Period.parse(submission.period)
    name = submission.enterprise.name_zh
    scope_zh = "合并" if submission.scope == ReportScope.CONSOLIDATED else "本部"
    scope_en = submission.scope
    zh = f"{name} {period.label('zh')} {submission.form.name_zh}（{scope_zh}）"
    name_en = submission.enterprise.name_en or name
    en = f"{name_en} {period.label('en')} {submission.form.name_en} ({scope_en})"
    return zh, en


def _link(submission: Submission) -> str:
    from django.urls import reverse

    return reverse("reporting:submission", args=[submission.id])


@transaction.atomic
def submit(*, acting_user, submission: Submission) -> Submission:
    submission = Submission.objects.select_for_update().get(id=submission.id)
    _ensure_writable(acting_user, submission)
    validate_period(submission.form, Period.parse(submission.period), [submission.id])
    problems = blocking_problems(submission)
    if problems:
        raise DomainError(
            _("The report cannot be submitted yet."), code="blocked", fields={"__all__": problems}
        )
    deadlines = Deadlines(
        submission.form_id, definition_of(submission.version), Period.parse(submission.period)
    )
    tree = tree_at(submission.period_end)
    if deadlines.children_first(tree.supervisor(submission.enterprise_id)):
        waiting = unapproved_children(submission)
        if waiting:
            names = "、".join(e.name_zh for e in waiting[:10])
            raise DomainError(
                _("The subsidiaries' reports must be approved first: %(names)s")
                % {"names": names + ("…" if len(waiting) > 10 else "")},
                code="children_first",
            )
    now = clock.now()
    submission.state = State.SUBMITTED
    submission.submitted_at = now
    submission.first_submitted_at = submission.first_submitted_at or now
    submission.save(update_fields=["state", "submitted_at", "first_submitted_at", "updated_at"])
    _event(submission, Action.SUBMIT, acting_user)
    return submission


def _ensure_reviewer(acting_user, submission: Submission) -> None:
    if acting_user is not None and not permissions.can_review(acting_user, submission):
        raise Forbidden(_("You do not review this enterprise's reports."))


@transaction.atomic
def approve(*, acting_user, submission: Submission) -> Submission:
    submission = Submission.objects.select_for_update().get(id=submission.id)
    _ensure_reviewer(acting_user, submission)
    if submission.state != State.SUBMITTED:
        raise DomainError(_("Only a submitted report can be approved."), code="state")
    pending = submission.explanations.filter(decision=Decision.PENDING).count()
    if pending:
        raise DomainError(
            _("Decide the %(n)s pending explanations first.") % {"n": pending}, code="pending"
        )
    submission.state = State.APPROVED
    submission.approved_at = clock.now()
    submission.approved_by = acting_user
    submission.save(update_fields=["state", "approved_at", "approved_by", "updated_at"])
    _event(submission, Action.APPROVE, acting_user)
    zh, en = _label(submission)
    _tell(
        _reporters_and_reviewers(submission, Role.ENTERPRISE_REPORTER),
        f"已通过：{zh}",
        f"Approved: {en}",
        link=_link(submission),
    )
    return submission


@transaction.atomic
def return_(*, acting_user, submission: Submission, reason: str, named=()) -> Submission:
    """Send a submitted report back to its filer, with a reason and the cells or rules at issue."""
    submission = Submission.objects.select_for_update().get(id=submission.id)
    _ensure_reviewer(acting_user, submission)
    if submission.state != State.SUBMITTED:
        raise DomainError(_("Only a submitted report can be returned."), code="state")
    if not (reason or "").strip():
        raise DomainError(
            _("Say why the report is returned."),
            code="reason",
            fields={"reason": [_("A reason is required.")]},
        )
    definition = definition_of(submission.version)
    known = set(definition.cells()) | set(definition.fields_by_code) | set(definition.rules_by_code)
    unknown = [n for n in named if n not in known]
    if unknown:
        raise DomainError(
            _("No such cell or rule: %(names)s") % {"names": ", ".join(unknown)}, code="named"
        )
    submission.state = State.RETURNED
    submission.times_returned += 1
    submission.save(update_fields=["state", "times_returned", "updated_at"])
    _event(submission, Action.RETURN, acting_user, reason.strip(), list(named))
    zh, en = _label(submission)
    _tell(
        _reporters_and_reviewers(submission, Role.ENTERPRISE_REPORTER),
        f"已退回：{zh}",
        f"Returned: {en}",
        reason,
        reason,
        _link(submission),
    )
    return submission


@transaction.atomic
def reopen_request(*, acting_user, submission: Submission, reason: str) -> Submission:
    submission = Submission.objects.select_for_update().get(id=submission.id)
    if submission.state != State.APPROVED:
        raise DomainError(_("Only an approved report is reopened."), code="state")
    if not (
        permissions.can_fill(acting_user, submission)
        or permissions.can_review(acting_user, submission)
    ):
        raise Forbidden()
    if not (reason or "").strip():
        raise DomainError(
            _("Say why the report should be reopened."),
            code="reason",
            fields={"reason": [_("A reason is required.")]},
        )
    submission.reopen_reason = reason.strip()
    submission.reopen_requested_by = acting_user
    submission.save(update_fields=["reopen_reason", "reopen_requested_by", "updated_at"])
    _event(submission, Action.REOPEN_REQUEST, acting_user, reason.strip())
    zh, en = _label(submission)
    _tell(
        _reporters_and_reviewers(submission, Role.SUPERVISOR_REVIEWER),
        f"申请重新打开：{zh}",
        f"Reopening requested: {en}",
        reason,
        reason,
        _link(submission),
    )
    return submission


@transaction.atomic
def reopen_decide(*, acting_user, submission: Submission, consent: bool, note: str = ""):
    submission = Submission.objects.select_for_update().get(id=submission.id)
    if not submission.reopen_reason:
        raise DomainError(_("Nobody asked to reopen this report."), code="state")
    if not permissions.can_consent_reopen(acting_user, submission):
        raise Forbidden(_("Only the supervisor's reviewer consents to reopening a report."))
    requester = submission.reopen_requested_by
    if consent:
        submission.state = State.RETURNED
        submission.revisions_after_approval += 1
        action = Action.REOPEN
    else:
        action = Action.REOPEN_REFUSE
    submission.reopen_reason = ""
    submission.reopen_requested_by = None
    submission.save()
    _event(submission, action, acting_user, note)
    if requester:
        zh, en = _label(submission)
        verb_zh, verb_en = (
            ("同意重新打开", "Reopened") if consent else ("不同意重新打开", "Not reopened")
        )
        _tell([requester], f"{verb_zh}：{zh}", f"{verb_en}: {en}", note, note, _link(submission))
    return submission


@transaction.atomic
def explanation_request(
    *, acting_user, submission: Submission, rule: str, cause: str, text: str
) -> Explanation:
    """Explain a warning, or ask for a waiver of an error (校验申请)."""
    _ensure_writable(acting_user, submission)
    result = RuleResult.objects.filter(submission=submission, rule=rule).first()
    if result is None:
        raise DomainError(
            _("The report does not fail rule %(rule)s.") % {"rule": rule}, code="rule"
        )
    if cause not in Cause.values:
        raise DomainError(
            _("Choose a cause."), code="cause", fields={"cause": [_("Unknown cause.")]}
        )
    if not (text or "").strip():
        raise DomainError(
            _("Write the explanation."),
            code="text",
            fields={"text": [_("An explanation is required.")]},
        )
    kind = Explanation.Kind.WAIVER if result.severity == "error" else Explanation.Kind.EXPLANATION
    explanation, _created = Explanation.objects.update_or_create(
        submission=submission,
        rule=rule,
        defaults={
            "kind": kind,
            "cause": cause,
            "text": text.strip(),
            "requested_by": acting_user,
            "requested_at": clock.now(),
            "decision": Decision.PENDING,
            "decided_by": None,
            "decided_at": None,
            "decision_note": "",
        },
    )
    audit_record(
        actor=acting_user,
        action="create",
        instance=explanation,
        after={"event": f"{kind}_request", "rule": rule, "cause": cause, "text": text.strip()},
        enterprise_id=submission.enterprise_id,
    )
    if kind == Explanation.Kind.WAIVER:
        zh, en = _label(submission)
        reviewers = _reporters_and_reviewers(submission, Role.ENTERPRISE_REVIEWER) or (
            _reporters_and_reviewers(submission, Role.SUPERVISOR_REVIEWER)
        )
        _tell(
            reviewers, f"校验申请：{zh}", f"Waiver requested: {en}", text, text, _link(submission)
        )
    return explanation


@transaction.atomic
def explanation_decide(*, acting_user, explanation: Explanation, accept: bool, note: str = ""):
    submission = explanation.submission
    _ensure_reviewer(acting_user, submission)
    if not accept and not (note or "").strip():
        raise DomainError(_("Say why the explanation is refused."), code="reason")
    explanation.decision = Decision.ACCEPTED if accept else Decision.REFUSED
    explanation.decided_by = acting_user
    explanation.decided_at = clock.now()
    explanation.decision_note = (note or "").strip()
    explanation.save()
    audit_record(
        actor=acting_user,
        action="update",
        instance=explanation,
        after={
            "event": "decision",
            "decision": explanation.decision,
            "note": explanation.decision_note,
        },
        enterprise_id=submission.enterprise_id,
    )
    zh, en = _label(submission)
    word_zh, word_en = ("已同意", "accepted") if accept else ("未同意", "refused")
    _tell(
        [explanation.requested_by],
        f"{word_zh}（{explanation.rule}）：{zh}",
        f"Explanation {word_en} ({explanation.rule}): {en}",
        note,
        note,
        _link(submission),
    )
    return explanation


@transaction.atomic
def deadline_extend(*, acting_user, submission: Submission, to: date, reason: str) -> Submission:
    tree = tree_at(submission.period_end)
    if not permissions.can_manage_deadlines(acting_user, tree.supervisor(submission.enterprise_id)):
        raise Forbidden(_("Only the supervisor extends a deadline."))
    if not (reason or "").strip():
        raise DomainError(_("Say why the deadline is extended."), code="reason")
    if submission.due_date and to <= submission.due_date:
        raise DomainError(_("An extension must be later than the deadline."), code="date")
    submission.extended_to = to
    submission.extension_reason = reason.strip()
    submission.save(update_fields=["extended_to", "extension_reason", "updated_at"])
    _event(submission, Action.EXTEND, acting_user, f"{to.isoformat()}: {reason.strip()}")
    return submission
