"""Writes of the R&D register: every change to a project's own figures goes through here.

The project's lifecycle is the ledgers' (`guozi.ledgers.services`): a project is opened with
`item_create` and then worked, reviewed and verified like any tracked item. This module adds
the register's own rows and their rules:

- the supervisor's analysts and reviewers open a project (with its field, kind, years, total
  budget and, if planned, budgets by year) and change those details while it is not closed;
- the owner's reporters (of the owner or an enterprise above it) record each year's budget and
  spend while it is not closed, and its outcomes unless it was cancelled: a patent is often
  granted after the project was accepted;
- `acting_user=None` is the system (the demo, a trusted import).

Every change is one `ItemEvent` in the item's history ("edited", with what changed before and
after) and one audit event, and counts as activity on the item. Amounts are in 元 as
`Decimal` (or text a person wrote, "125万"), stored as whole fen.
"""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.ledgers import permissions
from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import (
    ACTIVE,
    EventAction,
    ItemEvent,
    ProgressRule,
    Register,
    Status,
    TrackedItem,
)
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden

from . import rules
from .models import (
    OutcomeKind,
    ProjectKind,
    RdOutcome,
    RdProject,
    RdYear,
    StandardLevel,
    TechField,
)

DETAILS = ("tech_field", "kind", "start_year", "end_year", "total_budget")
TITLE_LENGTH = 300
NUMBER_LENGTH = 60
NUMBERED = (OutcomeKind.PATENT, OutcomeKind.STANDARD)


# --- messages --------------------------------------------------------------------------------


def amount_message(code: str) -> str:
    return {
        "not_a_number": _("Enter an amount in yuan, e.g. 1250000, 125万 or 0.5亿."),
        "negative": _("An amount cannot be negative."),
        "too_precise": _("An amount has at most two decimals (fen)."),
        "too_large": _("This amount is too large."),
    }[code]


def year_message(code: str, start: int | None = None, end: int | None = None) -> str:
    return {
        "not_a_year": _("Enter a year as four digits, e.g. 2025."),
        "out_of_range": _("Enter a year from %(first)s to %(last)s.")
        % {"first": rules.FIRST_YEAR, "last": rules.LAST_YEAR},
        "outside_project": _("The project runs from %(start)s to %(end)s.")
        % {"start": start, "end": end},
        "end_before_start": _("The end year cannot be before the start year."),
    }[code]


def _choices(choices) -> str:
    return ", ".join(choices.values)


# --- cleaning --------------------------------------------------------------------------------


def clean_amount(value, name: str, errors: dict, *, required: bool = True) -> int | None:
    """The amount in fen, or None with the problem placed under `name`."""
    try:
        amount = rules.parse_amount(value)
    except rules.AmountError as error:
        errors[name] = [amount_message(error.code)]
        return None
    if amount is None and required:
        errors[name] = [_("Required.")]
    return rules.to_fen(amount)


def clean_year(value, name: str, errors: dict) -> int | None:
    try:
        year = rules.parse_year(value)
    except ValueError:
        errors[name] = [year_message("not_a_year")]
        return None
    if year is None:
        errors[name] = [_("Required.")]
        return None
    problem = rules.year_problem(year)
    if problem:
        errors[name] = [year_message(problem)]
        return None
    return year


def _clean_choice(value, choices, name: str, errors: dict) -> str:
    value = str(value or "").strip()
    if not value:
        errors[name] = [_("Required.")]
    elif value not in choices.values:
        errors[name] = [_("Choose one of: %(choices)s.") % {"choices": _choices(choices)}]
    return value


def _clean_details(values: dict, errors: dict, *, partial: bool = False) -> dict:
    """The project's own fields as stored (`total_budget` → `total_budget_fen`); with
    `partial`, only those given."""
    cleaned = {}
    if not partial or "tech_field" in values:
        cleaned["tech_field"] = _clean_choice(
            values.get("tech_field"), TechField, "tech_field", errors
        )
    if not partial or "kind" in values:
        cleaned["kind"] = _clean_choice(values.get("kind"), ProjectKind, "kind", errors)
    for name in ("start_year", "end_year"):
        if not partial or name in values:
            cleaned[name] = clean_year(values.get(name), name, errors)
    if not partial or "total_budget" in values:
        cleaned["total_budget_fen"] = clean_amount(
            values.get("total_budget"), "total_budget", errors
        )
    return cleaned


def _check_span(start, end, due: date | None, errors: dict, *, where: str = "due_date") -> None:
    """The end year not before the start; the planned completion (the item's due date) in
    one of the project's years, the problem placed under `where`."""
    if start is None or end is None:
        return
    if end < start:
        errors.setdefault("end_year", []).append(year_message("end_before_start"))
    elif due is not None and not start <= due.year <= end:
        errors.setdefault(where, []).append(
            _(
                "The planned completion falls in %(year)s, outside the project's years "
                "%(start)s–%(end)s."
            )
            % {"year": due.year, "start": start, "end": end}
        )


def _spend_problem(year: int, spend_fen: int | None) -> str:
    if spend_fen is not None and year > clock.today().year:
        return _("Spend cannot be recorded for a year that has not begun.")
    return ""


def _clean_years(rows, start, end, errors: dict) -> list[tuple[int, int, int | None]]:
    """Budgets by year given with a new project: [(year, budget fen, spend fen or None)]."""
    cleaned, seen = [], set()
    for index, row in enumerate(rows or ()):
        where = f"years.{index}"
        year = clean_year(row.get("year"), f"{where}.year", errors)
        budget = clean_amount(row.get("budget"), f"{where}.budget", errors)
        spend = clean_amount(row.get("spend"), f"{where}.spend", errors, required=False)
        if year is None:
            continue
        if year in seen:
            errors[f"{where}.year"] = [_("The year %(year)s is given twice.") % {"year": year}]
        elif start is not None and end is not None and not start <= year <= end:
            errors[f"{where}.year"] = [year_message("outside_project", start, end)]
        problem = _spend_problem(year, spend)
        if problem:
            errors[f"{where}.spend"] = [problem]
        seen.add(year)
        cleaned.append((year, budget, spend))
    return cleaned


def _invalid(message: str, errors: dict) -> DomainError:
    return DomainError(message, code="invalid", fields=errors)


# --- history ---------------------------------------------------------------------------------


def _person(user):
    return user if user is not None and user.is_authenticated else None


def _locked(item: TrackedItem) -> TrackedItem:
    return (
        TrackedItem.objects.select_for_update(of=("self",)).select_related("owner").get(id=item.id)
    )


def _history(
    item: TrackedItem, actor, *, audited, action: str, before: dict, after: dict, reason=""
):
    """One line of the item's history and the same in the audit log; the item is active."""
    now = clock.now()
    ItemEvent.objects.create(
        item=item,
        action=EventAction.EDITED,
        actor=_person(actor),
        at=now,
        before=before,
        after=after,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action=action,
        instance=audited,
        before=before or None,
        after={**after, **({"reason": reason} if reason else {})},
        enterprise_id=item.owner_id,
    )
    item.last_activity_at = now
    item.save(update_fields=["last_activity_at", "updated_at"])


def _details_out(values: dict) -> dict:
    """Stored details as the history shows them: amounts in 元 as text."""
    out = {}
    for name, value in values.items():
        if name == "total_budget_fen":
            out["total_budget"] = None if value is None else str(rules.yuan(value))
        else:
            out[name] = value
    return out


# --- projects --------------------------------------------------------------------------------


@transaction.atomic
def project_create(
    *,
    acting_user,
    owner,
    title: str,
    due_date: date | None,
    tech_field: str,
    kind: str,
    start_year,
    end_year,
    total_budget,
    description: str = "",
    responsible_name: str = "",
    responsible_user=None,
    milestones=(),
    progress_rule: str = "",
    years=(),
) -> RdProject:
    """Open a project: the tracked item (through the ledgers) and its own row, with budgets
    by year if given. Every invalid field comes back at once; nothing is written then."""
    errors: dict[str, list[str]] = {}
    details = _clean_details(
        {
            "tech_field": tech_field,
            "kind": kind,
            "start_year": start_year,
            "end_year": end_year,
            "total_budget": total_budget,
        },
        errors,
    )
    start, end = details["start_year"], details["end_year"]
    if due_date is None:
        errors["due_date"] = [_("Give the planned completion date.")]
    _check_span(start, end, due_date, errors)
    planned = _clean_years(years, start, end, errors)
    rule = progress_rule or (ProgressRule.MILESTONES if milestones else ProgressRule.MANUAL)
    item = None
    try:
        item = ledger_services.item_create(
            acting_user=acting_user,
            register=Register.RD_PROJECT,
            owner=owner,
            title=title,
            due_date=due_date,
            description=description,
            responsible_name=responsible_name,
            responsible_user=responsible_user,
            progress_rule=rule,
            milestones=milestones,
        )
    except Forbidden:
        raise
    except DomainError as error:
        errors.update({k: v for k, v in error.fields.items() if k not in errors})
    if errors or item is None:
        raise _invalid(_("The project was not opened: some fields are not valid."), errors)
    project = RdProject.objects.create(item=item, **details)
    now = clock.now()
    RdYear.objects.bulk_create(
        RdYear(
            project=project,
            year=year,
            budget_fen=budget,
            spend_fen=spend,
            recorded_by=_person(acting_user),
            recorded_at=now,
        )
        for year, budget, spend in planned
    )
    audit_record(
        actor=acting_user,
        action="create",
        instance=project,
        after={
            **_details_out(details),
            "years": [
                {"year": y, "budget": str(rules.yuan(b)), "spend": _text(s)} for y, b, s in planned
            ],
        },
        enterprise_id=owner.id,
    )
    return project


def _text(fen: int | None) -> str | None:
    return None if fen is None else str(rules.yuan(fen))


@transaction.atomic
def project_edit(*, acting_user, item: TrackedItem, changes: dict, reason: str = "") -> RdProject:
    """Change a project's field, kind, years or total budget (the supervisor's analysts and
    reviewers, while it is not closed). An item opened without them (through the generic
    ledger pages) gets them here, all at once."""
    item = _locked(item)
    if item.register != Register.RD_PROJECT:
        raise DomainError(_("This item is not an R&D project."), code="register")
    if acting_user is not None and not permissions.can_manage(acting_user, item):
        raise Forbidden(
            _("Only the supervisor's analysts and reviewers change a project's details.")
        )
    if item.status not in ACTIVE:
        raise DomainError(_("A closed project is not changed."), code="state")
    refused = sorted(set(changes) - set(DETAILS))
    if refused:
        raise Forbidden(_("You may not change: %(fields)s.") % {"fields": ", ".join(refused)})
    project = RdProject.objects.filter(item=item).first()
    errors: dict[str, list[str]] = {}
    cleaned = _clean_details(changes, errors, partial=project is not None)
    current = {name: getattr(project, name) for name in cleaned} if project else {}
    start = cleaned.get("start_year", project.start_year if project else None)
    end = cleaned.get("end_year", project.end_year if project else None)
    _check_span(start, end, item.due_date, errors, where="end_year")
    if project is not None and start is not None and end is not None and start <= end:
        outside = sorted(
            project.years.exclude(year__gte=start, year__lte=end).values_list("year", flat=True)
        )
        if outside:
            errors.setdefault("start_year", []).append(
                _("Budget or spend is recorded for %(years)s, outside %(start)s–%(end)s.")
                % {"years": ", ".join(map(str, outside)), "start": start, "end": end}
            )
    if errors:
        raise _invalid(_("Nothing was changed: some fields are not valid."), errors)
    if project is None:
        project = RdProject.objects.create(item=item, **cleaned)
        _history(
            item,
            acting_user,
            audited=project,
            action="create",
            before={},
            after={"rd_project": _details_out(cleaned)},
            reason=(reason or "").strip(),
        )
        return project
    before = {k: v for k, v in current.items() if cleaned[k] != v}
    after = {k: cleaned[k] for k in before}
    if not after:
        return project
    for name, value in after.items():
        setattr(project, name, value)
    project.save(update_fields=list(after))
    _history(
        item,
        acting_user,
        audited=project,
        action="update",
        before={"rd_project": _details_out(before)},
        after={"rd_project": _details_out(after)},
        reason=(reason or "").strip(),
    )
    return project


def _project_of(item: TrackedItem) -> RdProject:
    project = RdProject.objects.filter(item=item).first()
    if project is None:
        raise DomainError(
            _("Record the project's field, kind, years and budget first."), code="no_project"
        )
    return project


def _ensure_reporter(acting_user, item: TrackedItem) -> None:
    if acting_user is not None and not permissions.can_report(acting_user, item):
        raise Forbidden(
            _("Only the reporters of the owner enterprise, or of one above it, record this.")
        )


# --- years -----------------------------------------------------------------------------------


@transaction.atomic
def year_set(*, acting_user, item: TrackedItem, year, budget, spend=None) -> RdYear:
    """Record a year's budget and spend (None: not known yet). Spend above the budget is
    allowed and flagged; a year outside the project's, a negative amount or spend in a year
    to come is refused."""
    item = _locked(item)
    _ensure_reporter(acting_user, item)
    if item.status not in ACTIVE:
        raise DomainError(_("A closed project's figures are not changed."), code="state")
    project = _project_of(item)
    errors: dict[str, list[str]] = {}
    year = clean_year(year, "year", errors)
    if year is not None and not project.start_year <= year <= project.end_year:
        errors["year"] = [year_message("outside_project", project.start_year, project.end_year)]
    budget_fen = clean_amount(budget, "budget", errors)
    spend_fen = clean_amount(spend, "spend", errors, required=False)
    if year is not None and "spend" not in errors:
        problem = _spend_problem(year, spend_fen)
        if problem:
            errors["spend"] = [problem]
    if errors:
        raise _invalid(_("Nothing was recorded: some fields are not valid."), errors)
    row = RdYear.objects.select_for_update().filter(project=project, year=year).first()
    before = {} if row is None else {"budget": _text(row.budget_fen), "spend": _text(row.spend_fen)}
    after = {"budget": _text(budget_fen), "spend": _text(spend_fen)}
    if row is not None and before == after:
        return row
    now = clock.now()
    if row is None:
        row = RdYear(project=project, year=year)
    row.budget_fen, row.spend_fen = budget_fen, spend_fen
    row.recorded_by, row.recorded_at = _person(acting_user), now
    row.save()
    _history(
        item,
        acting_user,
        audited=row,
        action="update" if before else "create",
        before={"rd_year": {"year": year, **before}} if before else {},
        after={"rd_year": {"year": year, **after}},
    )
    return row


# --- outcomes --------------------------------------------------------------------------------


def _clean_outcome(project: RdProject, values: dict, errors: dict) -> dict:
    kind = _clean_choice(values.get("kind"), OutcomeKind, "kind", errors)
    title = str(values.get("title") or "").strip()
    if not title:
        errors["title"] = [_("Required.")]
    elif len(title) > TITLE_LENGTH:
        errors["title"] = [_("At most %(n)s characters.") % {"n": TITLE_LENGTH}]
    identifier = str(values.get("identifier") or "").strip()
    if kind in NUMBERED and not identifier:
        errors["identifier"] = [
            _(
                "A patent or a standard is recorded with its number, e.g. ZL202310123456.7 "
                "or GB/T 45001-2025."
            )
        ]
    elif len(identifier) > NUMBER_LENGTH:
        errors["identifier"] = [_("At most %(n)s characters.") % {"n": NUMBER_LENGTH}]
    elif identifier and project.outcomes.filter(kind=kind, identifier=identifier).exists():
        errors["identifier"] = [
            _("This project already has a %(kind)s numbered %(number)s.")
            % {"kind": OutcomeKind(kind).label.lower(), "number": identifier}
        ]
    achieved_on = values.get("achieved_on")
    if isinstance(achieved_on, str):
        try:
            achieved_on = date.fromisoformat(achieved_on.strip()) if achieved_on.strip() else None
        except ValueError:
            errors["achieved_on"] = [_("Enter a date as YYYY-MM-DD.")]
            achieved_on = None
    if achieved_on is None:
        errors.setdefault("achieved_on", [_("Required.")])
    elif achieved_on > clock.today():
        errors["achieved_on"] = [_("An outcome is recorded once it is achieved, not before.")]
    elif achieved_on.year < project.start_year:
        errors["achieved_on"] = [
            _("The project started in %(year)s; this date is before it.")
            % {"year": project.start_year}
        ]
    level = str(values.get("level") or "").strip()
    if kind == OutcomeKind.STANDARD and not level:
        errors["level"] = [
            _("Say the standard's level: %(choices)s.") % {"choices": _choices(StandardLevel)}
        ]
    elif kind == OutcomeKind.STANDARD and level not in StandardLevel.values:
        errors["level"] = [_("Choose one of: %(choices)s.") % {"choices": _choices(StandardLevel)}]
    elif kind != OutcomeKind.STANDARD and level:
        errors["level"] = [_("Only a standard has a level.")]
    return {
        "kind": kind,
        "title": title,
        "identifier": identifier,
        "achieved_on": achieved_on,
        "level": level,
    }


def _outcome_out(outcome: RdOutcome) -> dict:
    """An outcome as the history keeps it; nested, so that its title is not read as the
    item's."""
    return {
        "rd_outcome": {
            "id": outcome.id,
            "kind": outcome.kind,
            "title": outcome.title,
            "identifier": outcome.identifier,
            "achieved_on": outcome.achieved_on.isoformat(),
            "level": outcome.level,
        }
    }


@transaction.atomic
def outcome_add(*, acting_user, item: TrackedItem, **values) -> RdOutcome:
    """Record an outcome: kind, title, number (required for a patent or a standard), the date
    it was achieved, and a standard's level."""
    item = _locked(item)
    _ensure_reporter(acting_user, item)
    if item.status == Status.CANCELLED:
        raise DomainError(_("A cancelled project has no outcomes."), code="state")
    project = _project_of(item)
    errors: dict[str, list[str]] = {}
    cleaned = _clean_outcome(project, values, errors)
    if errors:
        raise _invalid(_("Nothing was recorded: some fields are not valid."), errors)
    outcome = RdOutcome.objects.create(
        project=project, recorded_by=_person(acting_user), recorded_at=clock.now(), **cleaned
    )
    _history(
        item, acting_user, audited=outcome, action="create", before={}, after=_outcome_out(outcome)
    )
    return outcome


@transaction.atomic
def outcome_remove(*, acting_user, outcome: RdOutcome, reason: str) -> None:
    """Remove an outcome recorded by mistake, with the reason; the history keeps what it was."""
    item = _locked(outcome.project.item)
    _ensure_reporter(acting_user, item)
    if item.status == Status.CANCELLED:
        raise DomainError(_("A cancelled project has no outcomes."), code="state")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Say why the outcome is removed."),
            code="reason",
            fields={"reason": [_("A reason is required.")]},
        )
    before = _outcome_out(outcome)
    _history(
        item,
        acting_user,
        audited=outcome,
        action="delete",
        before=before,
        after={"rd_outcome": {"id": outcome.id, "removed": True}},
        reason=reason,
    )
    outcome.delete()
