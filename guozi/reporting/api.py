"""The REST API of reporting, under /api/v1/reporting/.

Forms and their versions, submissions with their values (in the field's unit and as stored),
value history, validation results, explanations and waivers, the submit → approve / return
workflow, reopening, pushes of one report or a whole batch from an enterprise's own system, and
completeness.

Thin, like the pages: each operation reads its input, finds what the caller may see (a report of
an enterprise outside their view is 404, the same answer as an unknown id) and calls the
reporting services and selectors, which decide who may fill in, review or reopen, and which
write the value history and the audit log.
"""

import io
import re
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.http import Http404, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from guozi.accounts.access import Scope
from guozi.api.auth import api_scope
from guozi.api.convert import enterprise_ref, path_id, user_of
from guozi.api.errors import FieldErrors
from guozi.api.schemas import EnterpriseRef, Error
from guozi.lib.errors import DomainError
from guozi.lib.models import pick_language
from guozi.lib.periods import Period
from guozi.registry.models import Enterprise
from guozi.registry.selectors import find_by_identifier, visible_enterprises
from guozi.registry.tree import tree_at

from . import permissions, selectors, services, workbooks
from .batch import BatchItem, batch_write
from .definitions import FieldDef, FormDefinition
from .frameworks import definition_of, version_in_force
from .imports import enterprises_by_identifier
from .models import Channel, Explanation, Form, FormVersion, ReportScope, State, Submission
from .values import display, from_stored

router = Router(tags=["reporting"])
ERRORS = {400: Error, 403: Error, 404: Error, 422: Error}
MAX_BATCH_REPORTS = 5000
CHUNK = 2000  # ids per IN (...) list, well under every database's parameter limit
CELLS_HINT = (
    '"field.column" → value, e.g. {"total_assets.current": "1,250.3"}: numbers in the field\'s '
    "unit, as text (exact) or JSON numbers; thousands separators, full-width digits and "
    "(12.5) for a negative are read; null clears a cell"
)

CellValue = str | int | float | bool | None


# -- bodies ------------------------------------------------------------------------------------


class FormVersionOut(Schema):
    version: str
    valid_from: str = Field(description="the first period the version applies to")


class FormOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    basis: str = Field(description="fast, final or budget")
    period_type: str = Field(description="month, quarter, half or year")
    versions: list[FormVersionOut]


class SectionOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str


class FieldOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    section: str
    kind: str = Field(description="flow, balance, average, count, boolean, date, choice or text")
    unit: str = Field(description="元, 万元, 亿元, 人, % or none")
    columns: list[str] = Field(description="current, prior_year, opening")
    cells: list[str] = Field(description='the cells to report: "field.column"')
    required: bool
    min: float | None
    max: float | None
    decimals: int = Field(description="decimals kept in storage")
    choices: list[str]
    help: str


class RuleOut(Schema):
    code: str
    severity: str = Field(description="error (blocks submission unless waived) or warning")
    name: str
    name_zh: str
    name_en: str
    kind: str = Field(description="formula or history_outlier")
    check: str = Field(description="the formula that must hold")
    tolerance: float
    scope: str | None = Field(description="consolidated, standalone, or null for both")
    missing: str = Field(description="what a missing input does: skip, zero or fail")
    field: str | None = Field(description="the field a history_outlier rule watches")
    window: int | None
    threshold: float | None
    help: str


class DeadlineOut(Schema):
    working_days: int = Field(description="working days after the period end")
    by_level: dict[str, int] = Field(description="level (1 = group) → working days")
    default_level_days: int | None


class DefinitionOut(Schema):
    version: str
    valid_from: str
    unit: str
    scopes: list[str]
    children_first: bool = Field(description="subsidiaries are approved before their parent")
    deadline: DeadlineOut
    sections: list[SectionOut]
    fields: list[FieldOut]
    rules: list[RuleOut]


class FormDetail(FormOut):
    period: str | None = Field(description="the period asked for, if any")
    definition: DefinitionOut = Field(
        description="the version in force for the period (without one: the latest version)"
    )


class CellOut(Schema):
    value: float | bool | str | None = Field(
        description="in the field's unit (万元 for a 万元 field); text for text, date and choice"
    )
    stored: int | str = Field(
        description="exactly as stored: money in fen, other numbers × 10^decimals"
    )
    unit: str
    text: str = Field(description="as shown on the form, e.g. 1,250.30")


class SubmissionSummary(Schema):
    id: int
    enterprise: EnterpriseRef
    form: str
    version: str
    period: str
    scope: str = Field(description="consolidated or standalone")
    state: str = Field(description="draft, submitted, approved or returned")
    errors: int = Field(description="failed error rules")
    warnings: int = Field(description="failed warning rules")
    due: date | None = Field(description="the deadline, extended or not")
    submitted_at: datetime | None
    approved_at: datetime | None
    updated_at: datetime


class SubmissionPage(Schema):
    total: int
    limit: int
    offset: int
    items: list[SubmissionSummary]


class ResultOut(Schema):
    rule: str
    severity: str
    message: str
    message_zh: str
    message_en: str
    cells: list[str] = Field(description="the cells the rule reads")


class ExplanationOut(Schema):
    rule: str
    kind: str = Field(description="explanation (of a warning) or waiver (of an error)")
    cause: str
    text: str
    requested_by: str
    requested_at: datetime
    decision: str = Field(description="pending, accepted or refused")
    decided_by: str | None
    decided_at: datetime | None
    note: str


class EventOut(Schema):
    action: str
    at: datetime
    user: str | None
    reason: str
    named: list[str] = Field(description="cells or rules a return names")


class ReopenRequestOut(Schema):
    reason: str
    requested_by: str | None


class Allowed(Schema):
    fill: bool = Field(description="you may change its values and submit it")
    review: bool = Field(description="you may approve or return it, and decide explanations")
    consent_reopen: bool = Field(description="you may consent to reopening it")


class SubmissionDetail(SubmissionSummary):
    period_end: date
    due_date: date | None
    extended_to: date | None
    extension_reason: str
    first_submitted_at: datetime | None
    approved_by: str | None
    times_returned: int
    revisions_after_approval: int
    reopen_request: ReopenRequestOut | None
    validated_at: datetime | None
    cells: dict[str, CellOut] = Field(description="the filled cells, in the form's order")
    results: list[ResultOut] = Field(description="the rules the current values fail")
    explanations: list[ExplanationOut]
    events: list[EventOut] = Field(description="the workflow history, oldest first")
    blocking: list[str] = Field(description="why it cannot be submitted yet (while editable)")
    allowed: Allowed


class CellVersionOut(Schema):
    at: datetime
    user: str | None
    channel: str = Field(description="web, excel, csv, api or demo")
    old: float | bool | str | None
    new: float | bool | str | None
    old_stored: int | str | None
    new_stored: int | str | None
    after_approval: bool


class CellHistory(Schema):
    cell: str
    field: str
    column: str
    unit: str
    versions: list[CellVersionOut] = Field(description="oldest first: the first is as reported")


class SubmissionPut(Schema):
    form: str = Field(description="code of the form, e.g. fast_report")
    period: str = Field(description="e.g. 2026-07, 2026Q2, 2026H1 or 2026")
    enterprise: str = Field(description="any identifier: USCC, internal id or CC:number")
    scope: str = Field("consolidated", description="consolidated or standalone")
    cells: dict[str, CellValue] = Field(default_factory=dict, description=CELLS_HINT)


class BatchReportIn(Schema):
    enterprise: str = Field(description="any identifier: USCC, internal id or CC:number")
    scope: str = Field("consolidated", description="consolidated or standalone")
    cells: dict[str, CellValue] = Field(default_factory=dict, description=CELLS_HINT)


class BatchIn(Schema):
    form: str
    period: str
    reports: list[BatchReportIn]


class BatchReportOut(Schema):
    index: int = Field(description="the report's position in the request, from 0")
    enterprise: EnterpriseRef
    scope: str
    action: str = Field(description="created, changed or unchanged")
    changed_cells: list[str]
    submission_id: int | None = Field(description="null for a report a dry run would create")
    state: str
    errors: int
    warnings: int
    results: list[ResultOut]


class BatchOut(Schema):
    form: str
    period: str
    dry_run: bool
    written: bool
    counts: dict[str, int] = Field(description="created, changed, unchanged")
    reports: list[BatchReportOut]


class ReturnIn(Schema):
    reason: str = ""
    named: list[str] = Field(default_factory=list, description="cells or rules at issue")


class ReasonIn(Schema):
    reason: str = ""


class ReopenDecisionIn(Schema):
    consent: bool
    note: str = ""


class ExplanationIn(Schema):
    rule: str
    cause: str = Field(
        description="rounding, consolidation, restatement, business, one_off or other"
    )
    text: str


class DecisionIn(Schema):
    accept: bool
    note: str = Field("", description="required when refusing")


class ExtendIn(Schema):
    to: str = Field(description="YYYY-MM-DD, later than the deadline")
    reason: str = ""


class Counts(Schema):
    expected: int
    received: int = Field(description="submitted or approved")
    on_time: int
    late: int = Field(description="received after the deadline, or missing past it")
    missing: int = Field(description="not received yet")
    approved: int
    returned: int
    draft: int


class LateReport(Schema):
    enterprise: EnterpriseRef
    scope: str
    level: int
    due: date | None
    status: str = Field(description="missing, draft or returned")
    submission_id: int | None


class GroupCounts(Schema):
    name: str
    counts: Counts


class CompletenessOut(Schema):
    form: str
    period: str
    today: date
    counts: Counts
    late: list[LateReport] = Field(description="not received and past the deadline")
    by: dict[str, list[GroupCounts]] = Field(
        description="the same counts by group, city, industry, …"
    )


# -- reading requests --------------------------------------------------------------------------


@contextmanager
def listed_fields():
    """Services name a field with one message or with several; the API always sends a list."""
    try:
        yield
    except DomainError as error:
        error.fields = {
            name: [messages] if isinstance(messages, str) else list(messages)
            for name, messages in error.fields.items()
        }
        raise


class RequestErrors:
    """Collects every bad field of a request, so one answer names them all (422)."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        if self.fields:
            raise FieldErrors(self.fields)


def find_form(code: str, errors: RequestErrors, name: str = "form") -> Form | None:
    found = Form.objects.filter(code=(code or "").strip()).first()
    if found is None:
        errors.add(name, _("No form has the code %(value)s.") % {"value": code})
    return found


def read_period(text: str, form: Form | None, errors: RequestErrors, name="period"):
    try:
        period = Period.parse(text or "")
    except ValueError as error:
        errors.add(name, str(error))
        return None
    if form is not None and period.type != form.period_type:
        errors.add(
            name,
            _("%(period)s is not a period of this form, which is filed per %(type)s.")
            % {"period": period, "type": form.period_type},
        )
        return None
    return period


def read_scope(value: str, errors: RequestErrors, name: str = "scope") -> str:
    if value not in ReportScope.values:
        errors.add(
            name,
            _("%(value)s is not a scope; the scopes are: %(scopes)s.")
            % {"value": value, "scopes": ", ".join(ReportScope.values)},
        )
    return value


def find_enterprise(user, identifier: str, day: date, errors: RequestErrors, name: str):
    """An enterprise by any identifier, only if the user may read it for that day."""
    found = find_by_identifier(identifier or "")
    if found is not None and visible_enterprises(user, day).filter(id=found.id).exists():
        return found
    errors.add(
        name,
        _("No enterprise you can see has the identifier %(value)s.") % {"value": identifier},
    )
    return None


def parse_cells(definition: FormDefinition, raw: dict, prefix: str) -> tuple[dict, dict]:
    """Stored values, and the cells that cannot be read under `prefix` + cell."""
    stored, problems = services.parse_cells(definition, raw)
    return stored, {f"{prefix}{cell}": [message] for cell, message in problems.items()}


def visible_submission_in_path(user, *, id, **_params) -> Submission:
    """The submission in the path if the user may read its enterprise; 404 otherwise."""
    return selectors.get_visible_submission(user, path_id(id))


# -- writing answers ---------------------------------------------------------------------------


def _name(zh: str, en: str) -> str:
    return pick_language(zh, en, get_language())


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def cell_value(field: FieldDef | None, stored):
    """The value in the field's own unit: a number, yes / no, or text."""
    if field is None or stored is None:
        return stored
    value = from_stored(field, stored)
    return float(value) if isinstance(value, Decimal) else value


def _unit(field: FieldDef | None) -> str:
    return "" if field is None or field.unit == "none" else field.unit


def cells_out(definition: FormDefinition, cells: dict) -> dict:
    fields = definition.fields_by_code
    order = {cell: i for i, cell in enumerate(definition.cells())}
    out = {}
    for cell in sorted(cells, key=lambda c: (order.get(c, len(order)), c)):
        field = fields.get(cell.partition(".")[0])
        stored = cells[cell]
        out[cell] = {
            "value": cell_value(field, stored),
            "stored": stored,
            "unit": _unit(field),
            "text": display(field, stored) if field else str(stored),
        }
    return out


def definition_out(definition: FormDefinition) -> dict:
    return {
        "version": definition.version,
        "valid_from": str(definition.valid_from),
        "unit": definition.unit,
        "scopes": list(definition.scopes),
        "children_first": definition.children_first,
        "deadline": {
            "working_days": definition.deadline.working_days,
            "by_level": {str(k): v for k, v in definition.deadline.by_level.items()},
            "default_level_days": definition.deadline.default_level_days,
        },
        "sections": [
            {
                "code": s.code,
                "name": _name(s.name_zh, s.name_en),
                "name_zh": s.name_zh,
                "name_en": s.name_en,
            }
            for s in definition.sections
        ],
        "fields": [field_out(f) for f in definition.fields],
        "rules": [rule_out(r) for r in definition.rules],
    }


def field_out(field: FieldDef) -> dict:
    return {
        "code": field.code,
        "name": _name(field.name_zh, field.name_en),
        "name_zh": field.name_zh,
        "name_en": field.name_en,
        "section": field.section,
        "kind": field.kind,
        "unit": field.unit,
        "columns": list(field.columns),
        "cells": field.cells(),
        "required": field.required,
        "min": _number(field.min),
        "max": _number(field.max),
        "decimals": field.decimals,
        "choices": list(field.choices),
        "help": _name(field.help_zh, field.help_en),
    }


def rule_out(rule) -> dict:
    watches = rule.kind == "history_outlier"
    return {
        "code": rule.code,
        "severity": rule.severity,
        "name": _name(rule.name_zh, rule.name_en),
        "name_zh": rule.name_zh,
        "name_en": rule.name_en,
        "kind": rule.kind,
        "check": rule.check,
        "tolerance": float(rule.tolerance),
        "scope": rule.scope,
        "missing": rule.missing,
        "field": rule.field if watches else None,
        "window": rule.window if watches else None,
        "threshold": float(rule.threshold) if watches else None,
        "help": _name(rule.help_zh, rule.help_en),
    }


def form_out(form: Form, versions: list[FormVersion]) -> dict:
    return {
        "code": form.code,
        "name": form.name,
        "name_zh": form.name_zh,
        "name_en": form.name_en,
        "basis": form.basis,
        "period_type": form.period_type,
        "versions": [{"version": v.version, "valid_from": v.valid_from} for v in versions],
    }


def submission_summary(submission: Submission) -> dict:
    return {
        "id": submission.id,
        "enterprise": enterprise_ref(submission.enterprise),
        "form": submission.form.code,
        "version": submission.version.version,
        "period": submission.period,
        "scope": submission.scope,
        "state": submission.state,
        "errors": submission.errors,
        "warnings": submission.warnings,
        "due": submission.effective_due,
        "submitted_at": submission.submitted_at,
        "approved_at": submission.approved_at,
        "updated_at": submission.updated_at,
    }


def result_out(result) -> dict:
    return {
        "rule": result.rule,
        "severity": result.severity,
        "message": result.message,
        "message_zh": result.message_zh,
        "message_en": result.message_en,
        "cells": result.cells,
    }


def explanation_out(explanation: Explanation) -> dict:
    return {
        "rule": explanation.rule,
        "kind": explanation.kind,
        "cause": explanation.cause,
        "text": explanation.text,
        "requested_by": _username(explanation.requested_by),
        "requested_at": explanation.requested_at,
        "decision": explanation.decision,
        "decided_by": _username(explanation.decided_by),
        "decided_at": explanation.decided_at,
        "note": explanation.decision_note,
    }


def submission_detail(user, submission: Submission) -> dict:
    definition = definition_of(submission.version)
    tree = tree_at(submission.period_end)
    can_fill = permissions.can_fill(user, submission, tree)
    editable = submission.state in services.EDITABLE
    reopen = None
    if submission.reopen_reason:
        reopen = {
            "reason": submission.reopen_reason,
            "requested_by": _username(submission.reopen_requested_by),
        }
    explanations = submission.explanations.select_related("requested_by", "decided_by")
    return {
        **submission_summary(submission),
        "period_end": submission.period_end,
        "due_date": submission.due_date,
        "extended_to": submission.extended_to,
        "extension_reason": submission.extension_reason,
        "first_submitted_at": submission.first_submitted_at,
        "approved_by": _username(submission.approved_by),
        "times_returned": submission.times_returned,
        "revisions_after_approval": submission.revisions_after_approval,
        "reopen_request": reopen,
        "validated_at": submission.validated_at,
        "cells": cells_out(definition, submission.cells),
        "results": [result_out(r) for r in submission.results.all()],
        "explanations": [explanation_out(e) for e in explanations.order_by("id")],
        "events": [
            {
                "action": event.action,
                "at": event.at,
                "user": _username(event.user),
                "reason": event.reason,
                "named": event.named,
            }
            for event in submission.events.select_related("user").order_by("id")
        ],
        "blocking": services.blocking_problems(submission) if editable else [],
        "allowed": {
            "fill": can_fill,
            "review": permissions.can_review(user, submission, tree),
            "consent_reopen": permissions.can_consent_reopen(user, submission, tree),
        },
    }


def _reloaded_detail(user, submission_id: int) -> dict:
    submission = Submission.objects.select_related(
        "enterprise", "form", "version", "approved_by", "reopen_requested_by"
    ).get(id=submission_id)
    return submission_detail(user, submission)


# -- forms -------------------------------------------------------------------------------------


@router.get("/forms", response={200: list[FormOut], **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_forms(request):
    """Every report form, with its versions and the first period each applies to."""
    forms = Form.objects.prefetch_related("versions").order_by("code")
    return [form_out(form, list(form.versions.all())) for form in forms]


@router.get("/forms/{code}", response={200: FormDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def get_form(request, code: str, period: str = ""):
    """One form: its versions, and the definition in force for `period` (fields with their
    kinds, units and columns; rules with their checks). Without `period`: the latest version."""
    form = Form.objects.filter(code=code).first()
    if form is None:
        raise Http404
    versions = list(form.versions.order_by("valid_from_date"))
    if not versions:
        raise Http404
    chosen = versions[-1]
    found_period = None
    if period:
        errors = RequestErrors()
        found_period = read_period(period, form, errors)
        errors.raise_any()
        chosen = version_in_force(form, found_period)
    return {
        **form_out(form, versions),
        "period": str(found_period) if found_period else None,
        "definition": definition_out(definition_of(chosen)),
    }


# -- submissions -------------------------------------------------------------------------------


@router.get("/submissions", response={200: SubmissionPage, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def list_submissions(
    request,
    form: str = "",
    period: str = "",
    enterprise: str = "",
    state: str = "",
    scope: str = "",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    """The reports you may read, newest period first, filtered by form (code), period,
    enterprise (any identifier), state and scope. With `period`, reports of enterprises you had
    in view then are included, as on the pages."""
    user = user_of(request)
    errors = RequestErrors()
    found_form = find_form(form, errors) if form else None
    found_period = read_period(period, found_form, errors) if period else None
    day = found_period.end if found_period else None
    found = find_enterprise(user, enterprise, day, errors, "enterprise") if enterprise else None
    if state and state not in State.values:
        errors.add(
            "state",
            _("%(value)s is not a state; the states are: %(states)s.")
            % {"value": state, "states": ", ".join(State.values)},
        )
    if scope:
        read_scope(scope, errors)
    errors.raise_any()
    if found_period is None:
        reports = selectors.visible_submissions(user)
    else:
        reports = Submission.objects.filter(
            enterprise__in=visible_enterprises(user, found_period.end), period=str(found_period)
        )
    filters = {"form": found_form, "enterprise": found, "state": state, "scope": scope}
    reports = reports.filter(**{key: value for key, value in filters.items() if value})
    page = reports.select_related("enterprise", "form", "version").order_by(
        "-period_end", "form_id", "enterprise_id", "scope"
    )[offset : offset + limit]
    return {
        "total": reports.count(),
        "limit": limit,
        "offset": offset,
        "items": [submission_summary(s) for s in page],
    }


@router.get("/submissions/{int:id}", response={200: SubmissionDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_submission_in_path)
def get_submission(request, id: int):
    """One report: its values (in the field's unit and as stored), state, deadline, the rules it
    fails, explanations and waivers, the workflow history, and what you may do with it."""
    user = user_of(request)
    return _reloaded_detail(user, visible_submission_in_path(user, id=id).id)


@router.get("/submissions/{int:id}/history/{cell}", response={200: CellHistory, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_submission_in_path)
def get_cell_history(request, id: int, cell: str):
    """Every version of one cell ("field.column"), oldest first: who, when, through which
    channel, old → new. The first version is the value as first reported."""
    submission = visible_submission_in_path(user_of(request), id=id)
    code, _dot, column = cell.partition(".")
    field = definition_of(submission.version).fields_by_code.get(code)
    if field is None or column not in field.columns:
        raise Http404
    return {
        "cell": cell,
        "field": code,
        "column": column,
        "unit": _unit(field),
        "versions": [
            {
                "at": version["at"],
                "user": _username(version["user"]),
                "channel": version["channel"],
                "old": cell_value(field, version["old"]),
                "new": cell_value(field, version["new"]),
                "old_stored": version["old"],
                "new_stored": version["new"],
                "after_approval": version["after_approval"],
            }
            for version in services.cell_history(submission, cell)
        ],
    }


@router.put("/submissions", response={200: SubmissionDetail, 201: SubmissionDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def put_submission(request, payload: SubmissionPut):
    """Write a report's values: the report of the enterprise (any identifier) for the period and
    scope is opened, or created as a draft (201), and the cells given are written through the
    same checks as the web form, so its rules run and the answer carries their results. Any
    value that cannot be read → 400 naming each such cell under `cells.<cell>`, and nothing is
    written."""
    user = user_of(request)
    errors = RequestErrors()
    form = find_form(payload.form, errors)
    period = read_period(payload.period, form, errors)
    day = period.end if period else None
    enterprise = find_enterprise(user, payload.enterprise, day, errors, "enterprise")
    scope = read_scope(payload.scope, errors)
    errors.raise_any()
    definition = definition_of(version_in_force(form, period))
    _stored, problems = parse_cells(definition, payload.cells, "cells.")
    if problems:
        raise DomainError(
            _("Some values could not be read; nothing was saved."), code="cells", fields=problems
        )
    existed = Submission.objects.filter(
        enterprise=enterprise, form=form, period=str(period), scope=scope
    ).exists()
    # One transaction: a refused write leaves no new draft behind.
    with listed_fields(), transaction.atomic():
        submission = services.submission_open(
            acting_user=user, enterprise=enterprise, form=form, period=period, scope=scope
        )
        services.cells_write(
            acting_user=user, submission=submission, raw=payload.cells, channel=Channel.API
        )
    return Status(200 if existed else 201, _reloaded_detail(user, submission.id))


# -- batch pushes ------------------------------------------------------------------------------


def visible_by_identifier(user, identifiers: set[str], day: date):
    """Identifier → enterprise for those the user may read for that day, in a few queries
    whatever their number; and the identifiers that name more than one enterprise."""
    ids, ambiguous = enterprises_by_identifier(identifiers)
    wanted = sorted(set(ids.values()))
    readable = visible_enterprises(user, day)
    found: dict[int, Enterprise] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update(readable.filter(id__in=wanted[start : start + CHUNK]).in_bulk())
    visible = {identifier: found[i] for identifier, i in ids.items() if i in found}
    return visible, ambiguous


def _read_batch(user, payload: BatchIn):
    """(form, period, items) of a batch, or the errors of its request and of each report."""
    errors = RequestErrors()
    form = find_form(payload.form, errors)
    period = read_period(payload.period, form, errors)
    if not payload.reports:
        errors.add("reports", _("Send at least one report."))
    elif len(payload.reports) > MAX_BATCH_REPORTS:
        errors.add("reports", _("Send at most %(n)s reports at a time.") % {"n": MAX_BATCH_REPORTS})
    errors.raise_any()
    definition = definition_of(version_in_force(form, period))
    identifiers = {report.enterprise.strip() for report in payload.reports}
    visible, ambiguous = visible_by_identifier(user, identifiers, period.end)
    problems: dict[str, list[str]] = {}
    items, enterprises = [], []
    for index, report in enumerate(payload.reports):
        where = f"reports.{index}"
        found_errors = RequestErrors()
        identifier = report.enterprise.strip()
        enterprise = visible.get(identifier)
        if identifier in ambiguous:
            found_errors.add(
                f"{where}.enterprise",
                _("%(value)s names more than one enterprise; use its USCC or internal id.")
                % {"value": identifier},
            )
        elif enterprise is None:
            found_errors.add(
                f"{where}.enterprise",
                _("No enterprise you can see has the identifier %(value)s.")
                % {"value": identifier},
            )
        read_scope(report.scope, found_errors, f"{where}.scope")
        stored, cell_problems = parse_cells(definition, report.cells, f"{where}.cells.")
        problems.update(found_errors.fields)
        problems.update(cell_problems)
        if enterprise is not None:
            items.append(BatchItem(enterprise.id, report.scope, stored, where))
            enterprises.append(enterprise)
    if problems:
        raise DomainError(
            _("Nothing was written: %(n)s values or reports are not valid.")
            % {"n": sum(len(messages) for messages in problems.values())},
            code="batch",
            fields=problems,
        )
    return form, period, items, enterprises


def _by_report(error: DomainError, labels: set[str]) -> DomainError:
    """The batch's problems ("reports.3: …") under the index of their report."""
    fields: dict[str, list[str]] = {}
    for problem in error.fields.get("__all__", []):
        label, separator, rest = problem.partition(": ")
        if separator and label in labels:
            fields.setdefault(label, []).append(rest)
        else:
            fields.setdefault("__all__", []).append(problem)
    return DomainError(error.message, code=error.code, fields=fields, status=error.status)


def _cells_before(form: Form, period: Period, items: list[BatchItem]) -> dict:
    ids = {item.enterprise_id for item in items}
    found = Submission.objects.filter(form=form, period=str(period), enterprise_id__in=ids)
    return {
        (s.enterprise_id, s.scope): s.cells for s in found.only("enterprise_id", "scope", "cells")
    }


def _batch_reports(items, enterprises, before: dict, submission_ids, dry_run: bool) -> list:
    written = Submission.objects.prefetch_related("results").in_bulk(submission_ids)
    results: dict[int, list] = {}
    for submission_id in submission_ids:
        results[submission_id] = [result_out(r) for r in written[submission_id].results.all()]
    reports = []
    for index, (item, enterprise, submission_id) in enumerate(
        zip(items, enterprises, submission_ids, strict=True)
    ):
        old = before.get((item.enterprise_id, item.scope))
        changed = sorted(
            cell for cell, value in item.stored.items() if (old or {}).get(cell) != value
        )
        action = "created" if old is None else "changed" if changed else "unchanged"
        submission = written[submission_id]
        reports.append(
            {
                "index": index,
                "enterprise": enterprise_ref(enterprise),
                "scope": item.scope,
                "action": action,
                "changed_cells": changed,
                "submission_id": None if dry_run and old is None else submission_id,
                "state": submission.state,
                "errors": submission.errors,
                "warnings": submission.warnings,
                "results": results[submission_id],
            }
        )
    return reports


@router.post("/reports/batch", response={200: BatchOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def push_batch(request, payload: BatchIn, dry_run: bool = False):
    """Write many reports of one form and period at once, e.g. pushed from an enterprise's ERP:
    all or nothing. Any problem (an enterprise you cannot see or fill in for, a value that
    cannot be read, a locked report, a closed period) → 400 with each problem under
    `reports.<index>` (or `reports.<index>.cells.<cell>`), and nothing is written. With
    `dry_run=true` everything is checked and validated the same way, the answer says what would
    happen, and nothing is kept."""
    user = user_of(request)
    form, period, items, enterprises = _read_batch(user, payload)
    before = _cells_before(form, period, items)
    with transaction.atomic():
        try:
            result = batch_write(
                acting_user=user, form=form, period=period, items=items, channel=Channel.API
            )
        except DomainError as error:
            raise _by_report(error, {item.label for item in items}) from None
        reports = _batch_reports(items, enterprises, before, result.submission_ids, dry_run)
        if dry_run:
            transaction.set_rollback(True)
    return {
        "form": form.code,
        "period": str(period),
        "dry_run": dry_run,
        "written": not dry_run,
        "counts": {
            action: sum(r["action"] == action for r in reports)
            for action in ("created", "changed", "unchanged")
        },
        "reports": reports,
    }


# -- workflow ----------------------------------------------------------------------------------


def _act(request, id: int, change) -> dict:
    """Run one workflow service on a visible submission; answer with the submission."""
    user = user_of(request)
    submission = visible_submission_in_path(user, id=id)
    with listed_fields():
        change(user, submission)
    return _reloaded_detail(user, submission.id)


@router.post("/submissions/{int:id}/submit", response={200: SubmissionDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_submission_in_path)
def submit(request, id: int):
    """Submit for review. Refused (400, each reason under `__all__`) while an error is not
    waived, a warning not explained, or (where the supervisor wants it) a subsidiary's report is
    not approved yet."""
    return _act(request, id, lambda user, s: services.submit(acting_user=user, submission=s))


@router.post("/submissions/{int:id}/approve", response={200: SubmissionDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_submission_in_path)
def approve(request, id: int):
    """Approve a submitted report (its reviewer only; explanations decided first)."""
    return _act(request, id, lambda user, s: services.approve(acting_user=user, submission=s))


@router.post("/submissions/{int:id}/return", response={200: SubmissionDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_submission_in_path)
def return_report(request, id: int, payload: ReturnIn):
    """Return a submitted report to its filer with a reason, naming the cells or rules at issue."""
    return _act(
        request,
        id,
        lambda user, s: services.return_(
            acting_user=user, submission=s, reason=payload.reason, named=payload.named
        ),
    )


@router.post("/submissions/{int:id}/reopen-request", response={200: SubmissionDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_submission_in_path)
def reopen_request(request, id: int, payload: ReasonIn):
    """Ask to reopen an approved report, with the reason; the supervisor's reviewer decides."""
    return _act(
        request,
        id,
        lambda user, s: services.reopen_request(
            acting_user=user, submission=s, reason=payload.reason
        ),
    )


@router.post("/submissions/{int:id}/reopen-decision", response={200: SubmissionDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_submission_in_path)
def reopen_decision(request, id: int, payload: ReopenDecisionIn):
    """Consent to reopening (the report goes back to its filer as returned) or refuse it."""
    return _act(
        request,
        id,
        lambda user, s: services.reopen_decide(
            acting_user=user, submission=s, consent=payload.consent, note=payload.note
        ),
    )


@router.post("/submissions/{int:id}/extend", response={200: SubmissionDetail, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_submission_in_path)
def extend_deadline(request, id: int, payload: ExtendIn):
    """Extend the report's deadline (the supervisor's analysts and reviewers), with a reason."""
    try:
        to = date.fromisoformat(payload.to.strip())
    except ValueError:
        raise FieldErrors({"to": [_("Enter a date as YYYY-MM-DD.")]}) from None
    return _act(
        request,
        id,
        lambda user, s: services.deadline_extend(
            acting_user=user, submission=s, to=to, reason=payload.reason
        ),
    )


@router.post("/submissions/{int:id}/explanations", response={201: ExplanationOut, **ERRORS})
@api_scope(Scope.PORTFOLIO, first=visible_submission_in_path)
def explain(request, id: int, payload: ExplanationIn):
    """Explain a warning, or ask for a waiver of an error (校验申请), for a rule the report
    fails; the reviewer then accepts or refuses it."""
    user = user_of(request)
    submission = visible_submission_in_path(user, id=id)
    with listed_fields():
        explanation = services.explanation_request(
            acting_user=user,
            submission=submission,
            rule=payload.rule,
            cause=payload.cause,
            text=payload.text,
        )
    return Status(201, explanation_out(explanation))


@router.post(
    "/submissions/{int:id}/explanations/{rule}/decision",
    response={200: ExplanationOut, **ERRORS},
)
@api_scope(Scope.PORTFOLIO, first=visible_submission_in_path)
def decide_explanation(request, id: int, rule: str, payload: DecisionIn):
    """Accept or refuse an explanation or waiver (the report's reviewer; a refusal needs a
    note)."""
    user = user_of(request)
    submission = visible_submission_in_path(user, id=id)
    explanation = (
        submission.explanations.select_related("submission", "requested_by")
        .filter(rule=rule)
        .first()
    )
    if explanation is None:
        raise Http404
    with listed_fields():
        decided = services.explanation_decide(
            acting_user=user, explanation=explanation, accept=payload.accept, note=payload.note
        )
    return explanation_out(decided)


# -- completeness ------------------------------------------------------------------------------


def _late_out(row) -> dict:
    return {
        "enterprise": enterprise_ref(row.enterprise),
        "scope": row.scope,
        "level": row.level,
        "due": row.due_effective,
        "status": row.status,
        "submission_id": row.submission.id if row.submission else None,
    }


@router.get("/completeness", response={200: CompletenessOut, **ERRORS})
@api_scope(Scope.PORTFOLIO)
def completeness(request, form: str, period: str):
    """Who has reported a form for a period, within your view: expected, received, on time,
    late, missing, approved, returned and draft; the late reports; the same counts by group,
    city and industry."""
    errors = RequestErrors()
    found_form = find_form(form, errors)
    found_period = read_period(period, found_form, errors)
    errors.raise_any()
    report = selectors.completeness(user_of(request), found_form, found_period)
    return {
        "form": found_form.code,
        "period": str(found_period),
        "today": report.today,
        "counts": report.counts(),
        "late": [_late_out(row) for row in report.late_rows()],
        "by": {
            key: [{"name": name, "counts": counts} for name, counts in groups]
            for key, groups in report.by.items()
        },
    }


# -- templates ---------------------------------------------------------------------------------

TEMPLATE_RESPONSE = {
    "responses": {
        200: {
            "description": "the template, an .xlsx workbook",
            "content": {
                workbooks.XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
}


@router.get("/templates", response=ERRORS, openapi_extra=TEMPLATE_RESPONSE)
@api_scope(Scope.PORTFOLIO)
def download_template(
    request,
    form: str,
    period: str,
    enterprise: str,
    subsidiaries: bool = False,
    layout: str = "rows",
):
    """The workbook to fill in for an enterprise (any identifier), with the values already
    entered; `subsidiaries=true` adds the enterprises it manages (those you may see).
    `layout`: rows (one row per report) or sheets (one sheet per report, like the paper form)."""
    user = user_of(request)
    errors = RequestErrors()
    found_form = find_form(form, errors)
    found_period = read_period(period, found_form, errors)
    day = found_period.end if found_period else None
    found = find_enterprise(user, enterprise, day, errors, "enterprise")
    errors.raise_any()
    wanted = workbooks.subtree_ids(found.id, found_period, subsidiaries=subsidiaries)
    visible = set(
        visible_enterprises(user, found_period.end)
        .filter(id__in=wanted)
        .values_list("id", flat=True)
    )
    reports = workbooks.template_reports(
        form=found_form, period=found_period, enterprise_ids=[i for i in wanted if i in visible]
    )
    stream = io.BytesIO()
    with listed_fields():
        workbooks.write_template(
            stream,
            form=found_form,
            version=version_in_force(found_form, found_period),
            period=found_period,
            reports=reports,
            layout=layout,
        )
    response = HttpResponse(stream.getvalue(), content_type=workbooks.XLSX_CONTENT_TYPE)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{found_form.code}-{found_period}-{found.identifier}")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
