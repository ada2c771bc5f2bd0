"""Writes of the legacy-problem register: opening a problem and changing its figures.

The lifecycle is the ledgers' own (`guozi.ledgers.services`): a problem is opened with
`item_create` and then updated, reviewed, handed in and verified like every item; verification
is its closure. This module adds the register's row, checked by `rules`:

- `problem_create`: the supervisor's analysts and reviewers open a problem for an enterprise of
  their own supervisor, with its figures; the item and its figures are checked together and
  written together, or nothing is.
- `problem_edit`: the supervisor changes any figure of a problem that is not closed; the owner's
  reporters and reviewers (or those of an enterprise above it) report what is done: the done
  figures, the actual date and the closure text.

Every change is one line of the item's history and one audit event.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record, snapshot
from guozi.ledgers import permissions
from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import ACTIVE, EventAction, ItemEvent, Register, TrackedItem
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.models import Enterprise

from . import rules
from .models import Kind, LegacyProblem, SubKind, fen_of

TEXT_FIELDS = ("receiving_party", "plan_text", "closure_text")
DATE_FIELDS = ("planned_on", "done_on")
FIELDS = ("kind", "sub_kind", *rules.FIGURE_FIELDS, *TEXT_FIELDS, *DATE_FIELDS)
# What the owner's people report; everything else is the supervisor's.
OWNER_FIELDS = ("households_done", "people_done", "amount_done", "done_on", "closure_text")
TEXT_LIMITS = {"receiving_party": 200, "plan_text": 10000, "closure_text": 10000}


# --- reading values --------------------------------------------------------------------------


def _number(value) -> Decimal:
    """A number from a form, a cell or JSON; `InvalidOperation` when it is none."""
    if isinstance(value, bool):
        raise InvalidOperation
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    else:
        number = Decimal(str(value).strip().replace(",", "").replace("，", "").replace(" ", ""))
    if not number.is_finite():
        raise InvalidOperation
    return number


def _figure(name: str, value):
    """(the value, None) or (None, why it cannot be read). Counts that are not whole stay
    decimals, so the rules can say so."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    try:
        number = _number(value)
    except (InvalidOperation, ValueError, TypeError):
        return None, _("Enter a number.")
    amount = name.startswith("amount")
    if number.adjusted() > 18:  # far past any bound: refused before any arithmetic on it
        limit = rules.MAX_AMOUNT if amount else rules.MAX_COUNT
        return None, _("Cannot be more than %(limit)s.") % {"limit": limit}
    if amount:
        return number, None
    return (int(number) if number == number.to_integral_value() else number), None


def _day(value):
    if value is None or value == "":
        return None, None
    if isinstance(value, date):
        return value, None
    try:
        return date.fromisoformat(str(value).strip()), None
    except ValueError:
        return None, _("Enter a date as YYYY-MM-DD.")


def read_fields(raw: dict) -> tuple[dict, dict[str, list[str]]]:
    """The register's fields from `raw` (only those given), typed; and what cannot be read."""
    values, errors = {}, {}
    for name, value in raw.items():
        if name not in FIELDS:
            errors[name] = [_("Not a field of a legacy problem.")]
        elif name in rules.FIGURE_FIELDS:
            values[name], problem = _figure(name, value)
            if problem:
                errors[name] = [problem]
        elif name in DATE_FIELDS:
            values[name], problem = _day(value)
            if problem:
                errors[name] = [problem]
        else:
            values[name] = "" if value is None else str(value).strip()
            limit = TEXT_LIMITS.get(name)
            if limit and len(values[name]) > limit:
                errors[name] = [_("At most %(n)s characters.") % {"n": limit}]
    return values, errors


def _message(issue: rules.Issue) -> str:
    if issue.code == "unknown_kind":
        return _("Choose one of: %(choices)s.") % {"choices": ", ".join(Kind.values)}
    if issue.code == "sub_kind":
        return _("For this kind, choose one of: %(choices)s.") % {
            "choices": ", ".join(f"{code} ({SubKind(code).label})" for code in issue.limit)
        }
    if issue.code == "above_total":
        return _("Cannot be more than the total (%(total)s).") % {"total": issue.limit}
    if issue.code == "too_large":
        return _("Cannot be more than %(limit)s.") % {"limit": issue.limit}
    if issue.code == "future":
        return _("Cannot be after today (%(today)s).") % {"today": issue.limit.isoformat()}
    return {
        "required": _("Required for this kind of problem."),
        "not_applicable": _("Does not apply to this kind of problem; leave it empty."),
        "negative": _("Cannot be negative."),
        "not_whole": _("Enter a whole number."),
        "precision": _("At most two decimals (fen)."),
        "without_total": _("Give the total as well."),
    }[issue.code]


def check_figures(values: dict) -> dict[str, list[str]]:
    """The rules' verdict on a problem's complete values, as messages by field."""
    figures = rules.Figures(
        **{name: values.get(name) for name in rules.FIGURE_FIELDS},
        kind=values.get("kind") or "",
        sub_kind=values.get("sub_kind") or "",
        receiving_party=values.get("receiving_party") or "",
        planned_on=values.get("planned_on"),
        done_on=values.get("done_on"),
    )
    errors: dict[str, list[str]] = {}
    for issue in rules.check(figures, clock.today()):
        errors.setdefault(issue.field, []).append(_message(issue))
    return errors


def clean_fields(raw: dict, current: dict | None = None) -> tuple[dict, dict[str, list[str]]]:
    """`raw` read and merged over `current` (the stored values, for a change), then checked
    whole: (the values, the errors by field)."""
    given, errors = read_fields(raw)
    values = {**(current or {}), **given}
    # A figure that cannot be read is reported once, not again as a missing total.
    unreadable = {name for pair in rules.PAIRS for name in pair if pair[0] in errors}
    for name, messages in check_figures(values).items():
        if name not in errors and name not in unreadable:
            errors[name] = messages
    return values, errors


# --- the row ---------------------------------------------------------------------------------


def stored_values(problem: LegacyProblem) -> dict:
    values = {name: getattr(problem, name) for name in FIELDS if not name.startswith("amount")}
    values["amount_total"] = problem.amount_total
    values["amount_done"] = problem.amount_done
    return values


def _apply(problem: LegacyProblem, values: dict) -> None:
    for name in FIELDS:
        if name not in values:
            continue
        if name == "amount_total":
            problem.amount_total_fen = fen_of(values[name])
        elif name == "amount_done":
            problem.amount_done_fen = fen_of(values[name])
        else:
            setattr(problem, name, values[name])


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _history(
    item: TrackedItem, actor, *, before: dict, after: dict, reason: str = "", created=False
) -> None:
    """The change as a line of the item's history (under `legacy`, apart from the item's own
    fields), and the row's before and after in the audit log."""
    before = {name: _jsonable(value) for name, value in before.items()}
    after = {name: _jsonable(value) for name, value in after.items()}
    person = actor if actor is not None and actor.is_authenticated else None
    ItemEvent.objects.create(
        item=item,
        action=EventAction.EDITED,
        actor=person,
        at=clock.now(),
        before={"legacy": before},
        after={"legacy": after},
        reason=reason,
    )
    item.last_activity_at = clock.now()
    item.save(update_fields=["last_activity_at", "updated_at"])
    audit_record(
        actor=actor,
        action="create" if created else "update",
        instance=item.legacy_problem,
        before=before,
        after={"event": EventAction.EDITED, **after, **({"reason": reason} if reason else {})},
        enterprise_id=item.owner_id,
    )


def _invalid(message: str, errors: dict) -> DomainError:
    return DomainError(message, code="invalid", fields=errors)


@transaction.atomic
def problem_create(
    *,
    acting_user,
    owner: Enterprise,
    title: str,
    fields: dict,
    due_date: date | None = None,
    description: str = "",
    source: str = "",
    responsible_name: str = "",
    responsible_user=None,
    progress_rule: str = "",
    milestones=(),
) -> LegacyProblem:
    """Open a legacy problem: the tracked item (`item_create`, with its checks) and its figures
    (`rules`), all checked before anything is kept."""
    values, errors = clean_fields(fields)
    item = None
    try:
        item = ledger_services.item_create(
            acting_user=acting_user,
            register=Register.LEGACY_PROBLEM,
            owner=owner,
            title=title,
            due_date=due_date,
            description=description,
            source=source,
            responsible_name=responsible_name,
            responsible_user=responsible_user,
            progress_rule=progress_rule,
            milestones=milestones,
        )
    except Forbidden:
        raise
    except DomainError as error:
        errors = {**{k: _listed(v) for k, v in error.fields.items()}, **errors}
    if errors:
        # Raising undoes the item, if it was opened: the problem is kept whole or not at all.
        raise _invalid(_("The problem was not opened: some fields are not valid."), errors)
    problem = LegacyProblem(item=item)
    _apply(problem, values)
    problem.save()
    audit_record(
        actor=acting_user,
        action="create",
        instance=problem,
        after=snapshot(problem),
        enterprise_id=owner.id,
    )
    return problem


def _listed(messages) -> list[str]:
    return [messages] if isinstance(messages, str) else list(messages)


def allowed_fields(user, item: TrackedItem) -> tuple[str, ...]:
    """The register's fields `user` may change on this item; () when none."""
    if user is None or permissions.can_manage(user, item):
        return FIELDS
    if permissions.can_report(user, item) or permissions.can_review(user, item):
        return OWNER_FIELDS
    return ()


@transaction.atomic
def problem_edit(
    *, acting_user, item: TrackedItem, changes: dict, reason: str = ""
) -> LegacyProblem:
    """Change the figures of a problem that is not closed. A problem opened without its row
    (from the ledgers' own form) gets it here, from the supervisor."""
    item = (
        TrackedItem.objects.select_for_update(of=("self",)).select_related("owner").get(id=item.id)
    )
    if item.register != Register.LEGACY_PROBLEM:
        raise DomainError(_("This item is not a legacy problem."), code="register")
    allowed = allowed_fields(acting_user, item)
    if not allowed:
        raise Forbidden(_("You may not change this problem."))
    refused = sorted(set(changes) - set(allowed))
    if refused:
        raise Forbidden(_("You may not change: %(fields)s.") % {"fields": ", ".join(refused)})
    if item.status not in ACTIVE:
        raise DomainError(
            _("This problem is %(status)s: its figures are not changed any more.")
            % {"status": item.get_status_display().lower()},
            code="state",
        )
    problem = LegacyProblem.objects.filter(item=item).first()
    if problem is None and "kind" not in allowed:
        raise DomainError(
            _("The supervisor records the problem's kind and totals first."), code="state"
        )
    current = stored_values(problem) if problem is not None else {}
    values, errors = clean_fields(changes, current)
    if errors:
        raise _invalid(_("Nothing was changed: some fields are not valid."), errors)
    before = {name: current.get(name) for name in changes if current.get(name) != values[name]}
    after = {name: values[name] for name in before}
    if problem is not None and not after:
        return problem
    created = problem is None
    problem = problem or LegacyProblem(item=item)
    _apply(problem, after)
    problem.save()
    item.legacy_problem = problem
    _history(
        item,
        acting_user,
        before=before,
        after=after,
        reason=(reason or "").strip(),
        created=created,
    )
    return problem
