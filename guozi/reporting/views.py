"""Reporting pages: the period overview, the report form with live checks, the review queue."""

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guozi.accounts.access import Scope, scoped
from guozi.lib import clock
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period, last_closed
from guozi.registry.selectors import get_visible_enterprise

from . import permissions, selectors, services
from .frameworks import definition_of
from .models import Cause, Decision, Form, ReportScope, State
from .validation import check_draft
from .values import display, floating_keys, input_text, row_cell


def _form(request) -> Form:
    code = request.GET.get("form") or request.POST.get("form") or "fast_report"
    form = Form.objects.filter(code=code).first()
    if form is None:
        raise Http404
    return form


def _period(request, form: Form) -> Period:
    raw = request.GET.get("period") or request.POST.get("period") or ""
    try:
        period = Period.parse(raw)
        if period.type == form.period_type:
            return period
    except ValueError:
        pass
    if raw:
        messages.warning(
            request, _("%(value)s is not a period of this form.") % {"value": raw[:20]}
        )
    return last_closed(clock.today(), form.period_type)


@scoped(Scope.PORTFOLIO)
def period_page(request):
    form = _form(request)
    period = _period(request, form)
    report = selectors.completeness(request.user, form, period)
    fillable = permissions.fillable_roots(request.user)
    return render(
        request,
        "reporting/period.html",
        {
            "form": form,
            "period": period,
            "report": report,
            "counts": report.counts(),
            "late": report.late_rows()[:200],
            "rows": report.rows[:1000],
            "can_fill": bool(fillable),
            "previous": period.previous(),
            "next": period.next(),
            "today": clock.today(),
            "forms": Form.objects.all(),
        },
    )


@require_POST
@scoped(Scope.PORTFOLIO)
def open_submission(request):
    form = _form(request)
    period = _period(request, form)
    try:
        enterprise = get_visible_enterprise(request.user, int(request.POST.get("enterprise", 0)))
        submission = services.submission_open(
            acting_user=request.user,
            enterprise=enterprise,
            form=form,
            period=period,
            scope=request.POST.get("scope") or ReportScope.CONSOLIDATED,
        )
    except (DomainError, ValueError) as error:
        messages.error(request, str(error))
        return redirect(f"{request.META.get('HTTP_REFERER') or '/reporting/'}")
    return redirect("reporting:submission", submission.id)


BLANK_ROWS = 3


def _sections(definition, cells: dict, entered: dict, flagged: set[str]):
    sections = []
    for section in definition.sections:
        fields = definition.fields_in(section.code)
        if section.floating:
            sections.append(_floating(section, fields, cells, entered, flagged))
            continue
        rows = []
        for field in fields:
            columns = []
            for column in ("current", "prior_year", "opening"):
                if column not in field.columns:
                    columns.append(None)
                    continue
                cell = f"{field.code}.{column}"
                value = entered.get(cell, input_text(field, cells.get(cell)))
                columns.append({"cell": cell, "value": value, "flagged": cell in flagged})
            rows.append({"field": field, "columns": columns})
        sections.append({"section": section, "rows": rows})
    return sections


def _floating(section, fields, cells: dict, entered: dict, flagged: set[str]) -> dict:
    """A floating section: its rows by name, blank rows to add more, and the totals."""
    heads = [(f, column) for f in fields for column in f.columns]
    keys = floating_keys(fields, {**cells, **entered})
    rows = []
    for number, key in enumerate([*keys, *[""] * BLANK_ROWS]):
        inputs = []
        for field, column in heads:
            cell = row_cell(field.code, key, column) if key else ""
            name = f"cell:{cell}" if key else f"row:{section.code}:{number}:{field.code}.{column}"
            value = entered.get(cell, input_text(field, cells.get(cell))) if key else ""
            inputs.append({"name": name, "cell": cell, "value": value, "flagged": cell in flagged})
        rows.append({"key": key, "key_name": f"row:{section.code}:{number}:key", "inputs": inputs})
    totals = [display(field, cells.get(f"{field.code}.{column}")) for field, column in heads]
    return {"section": section, "heads": heads, "floating_rows": rows, "totals": totals}


def _page_context(request, submission, entered=None, cell_errors=None, violations=None):
    definition = definition_of(submission.version)
    if violations is None:
        violations = list(submission.results.all())
    flagged = {cell for v in violations for cell in v.cells} | set(cell_errors or {})
    explanations = {e.rule: e for e in submission.explanations.select_related("requested_by")}
    can_fill = permissions.can_fill(request.user, submission)
    can_review = permissions.can_review(request.user, submission)
    return {
        "submission": submission,
        "definition": definition,
        "period": Period.parse(submission.period),
        "sections": _sections(definition, submission.cells, entered or {}, flagged),
        "violations": violations,
        "cell_errors": cell_errors or {},
        "explanations": explanations,
        "editable": can_fill and submission.state in services.EDITABLE,
        "can_fill": can_fill,
        "can_review": can_review,
        "can_consent": permissions.can_consent_reopen(request.user, submission),
        "events": submission.events.select_related("user").order_by("-id")[:20],
        "diff": _diff_rows(definition, services.resubmission_diff(submission))
        if can_review and submission.state == State.SUBMITTED
        else [],
        "revised": _diff_rows(definition, services.revisions_since_first_submission(submission)),
        "causes": Cause.choices,
        "pending": Decision.PENDING,
        "blocking": services.blocking_problems(submission) if can_fill else [],
        "can_extend": submission.state in services.EDITABLE
        and permissions.can_manage_deadlines(request.user, submission.enterprise.supervisor_id),
        "quality": selectors.quality_record(submission.enterprise, submission.form),
    }


def _diff_rows(definition, diff: dict) -> list[dict]:
    fields = definition.fields_by_code
    rows = []
    for cell, (then, now) in diff.items():
        field = fields.get(cell.partition(".")[0])
        if field:
            rows.append(
                {
                    "cell": cell,
                    "field": field,
                    "then": display(field, then),
                    "now": display(field, now),
                }
            )
    return rows


@scoped(Scope.PORTFOLIO)
def submission_page(request, submission_id: int):
    submission = _get(request, submission_id)
    if request.method == "POST":
        raw = _posted_cells(request)
        try:
            services.cells_write(
                acting_user=request.user, submission=submission, raw=raw, channel="web"
            )
        except DomainError as error:
            messages.error(request, str(error))
            context = _page_context(request, submission, entered=raw, cell_errors=error.fields)
            return render(request, "reporting/submission.html", context, status=400)
        messages.success(request, _("Saved as a draft."))
        return redirect("reporting:submission", submission.id)
    return render(request, "reporting/submission.html", _page_context(request, submission))


def _get(request, submission_id: int):
    return selectors.get_visible_submission(request.user, submission_id)


def _posted_cells(request) -> dict:
    """The cells of a posted form; a new floating row's cells get the row's name."""
    posted = {key[5:]: value for key, value in request.POST.items() if key.startswith("cell:")}
    new_rows: dict[tuple[str, str], dict] = {}
    for key, value in request.POST.items():
        if key.startswith("row:"):
            _row, section, number, name = key.split(":", 3)
            new_rows.setdefault((section, number), {})[name] = value
    for values in new_rows.values():
        row_name = (values.pop("key", "") or "").strip()
        filled = {cell: value for cell, value in values.items() if str(value).strip()}
        if filled:
            for cell, value in filled.items():
                code, _dot, column = cell.rpartition(".")
                posted[row_cell(code, row_name, column)] = value
    return posted


@require_POST
@scoped(Scope.PORTFOLIO)
def check_cells(request, submission_id: int):
    """Live checks as the user types: the rules over the entered values, nothing stored."""
    submission = _get(request, submission_id)
    definition = definition_of(submission.version)
    raw = _posted_cells(request)
    stored, errors = services.parse_cells(definition, raw)
    cells = {**submission.cells, **{k: v for k, v in stored.items() if v is not None}}
    for cell, value in stored.items():
        if value is None:
            cells.pop(cell, None)
    violations = check_draft(submission, cells)
    return render(
        request,
        "reporting/_checks.html",
        {
            "violations": violations,
            "cell_errors": errors,
            "live": True,
            "explanations": {},
            "submission": submission,
        },
    )


@require_POST
@scoped(Scope.PORTFOLIO)
def submission_action(request, submission_id: int):
    submission = _get(request, submission_id)
    action = request.POST.get("action", "")
    user = request.user
    post = request.POST
    try:
        if action == "submit":
            services.submit(acting_user=user, submission=submission)
            messages.success(request, _("Submitted for review."))
        elif action == "approve":
            services.approve(acting_user=user, submission=submission)
            messages.success(request, _("Approved."))
        elif action == "return":
            named = [
                n.strip() for n in post.get("named", "").replace("，", ",").split(",") if n.strip()
            ]
            services.return_(
                acting_user=user, submission=submission, reason=post.get("reason", ""), named=named
            )
            messages.success(request, _("Returned to the reporter."))
        elif action == "explain":
            services.explanation_request(
                acting_user=user,
                submission=submission,
                rule=post.get("rule", ""),
                cause=post.get("cause", ""),
                text=post.get("text", ""),
            )
            messages.success(request, _("Explanation saved."))
        elif action in ("accept", "refuse"):
            explanation = submission.explanations.get(rule=post.get("rule", ""))
            services.explanation_decide(
                acting_user=user,
                explanation=explanation,
                accept=action == "accept",
                note=post.get("note", ""),
            )
            messages.success(request, _("Decision recorded."))
        elif action == "reopen_request":
            services.reopen_request(
                acting_user=user, submission=submission, reason=post.get("reason", "")
            )
            messages.success(request, _("Reopening requested."))
        elif action in ("reopen", "reopen_refuse"):
            services.reopen_decide(
                acting_user=user,
                submission=submission,
                consent=action == "reopen",
                note=post.get("note", ""),
            )
            messages.success(request, _("Decision recorded."))
        elif action == "extend":
            services.deadline_extend(
                acting_user=user,
                submission=submission,
                to=date.fromisoformat(post.get("to", "")),
                reason=post.get("reason", ""),
            )
            messages.success(request, _("Deadline extended."))
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as error:
        details = [
            m for ms in error.fields.values() for m in (ms if isinstance(ms, list) else [ms])
        ]
        messages.error(request, " ".join([str(error), *details[:5]]))
    except ValueError:
        messages.error(request, _("Enter a date as YYYY-MM-DD."))
    return redirect("reporting:submission", submission.id)


@scoped(Scope.PORTFOLIO)
def cell_history_page(request, submission_id: int, cell: str):
    submission = _get(request, submission_id)
    definition = definition_of(submission.version)
    field = definition.fields_by_code.get(cell.partition(".")[0])
    if field is None:
        raise Http404
    history = [
        {**h, "old": display(field, h["old"]), "new": display(field, h["new"])}
        for h in services.cell_history(submission, cell)
    ]
    return render(
        request,
        "reporting/_history.html",
        {
            "field": field,
            "cell": cell,
            "history": history,
            "submission": submission,
        },
    )


@scoped(Scope.PORTFOLIO)
def review_page(request):
    queue = selectors.review_queue(request.user)
    return render(request, "reporting/reviews.html", {"queue": queue})
