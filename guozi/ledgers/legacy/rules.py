"""Pure rules of the legacy-problem register (no database, no Django): which figures each kind
of problem needs, how they are checked, and how shares are computed.

The kinds and what they need:

- three_supplies (三供一业): a sub-kind (water, power, heating, gas or property), households
  and cost, the receiving party (the city's water company, the street office...);
- collective (厂办大集体): people and cost;
- retirees (退休人员社会化管理): people and the receiving party; the cost may be given;
- zombie (处僵治困): a sub-kind (deregistration, bankruptcy, restructuring or turnaround) and
  the people concerned; the cost may be given.

A figure that does not apply to a kind stays empty. For every kind:
- figures are never negative; counts are whole numbers; amounts have at most two decimals;
- a "done" figure (households handed over, people handed over, amount paid) needs its total
  and is never above it;
- the actual handover or closure date is not after today.

Every problem is returned, not only the first, each as an `Issue(field, code, limit)`; the
caller turns the codes into messages in the user's language.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

THREE_SUPPLIES, COLLECTIVE, RETIREES, ZOMBIE = "three_supplies", "collective", "retirees", "zombie"
KINDS = (THREE_SUPPLIES, COLLECTIVE, RETIREES, ZOMBIE)

SUB_KINDS: dict[str, tuple[str, ...]] = {
    THREE_SUPPLIES: ("water", "power", "heating", "gas", "property"),
    COLLECTIVE: (),
    RETIREES: (),
    ZOMBIE: ("deregistration", "bankruptcy", "restructuring", "turnaround"),
}

# The pairs of figures: the total and what of it is done.
HOUSEHOLDS = ("households_total", "households_done")
PEOPLE = ("people_total", "people_done")
AMOUNT = ("amount_total", "amount_done")
PAIRS = (HOUSEHOLDS, PEOPLE, AMOUNT)
FIGURE_FIELDS = tuple(name for pair in PAIRS for name in pair)

# Per kind: the fields that must be filled, and the figure pairs that apply at all.
REQUIRED: dict[str, tuple[str, ...]] = {
    THREE_SUPPLIES: ("households_total", "amount_total", "receiving_party"),
    COLLECTIVE: ("people_total", "amount_total"),
    RETIREES: ("people_total", "receiving_party"),
    ZOMBIE: ("people_total",),
}
APPLIES: dict[str, tuple[tuple[str, str], ...]] = {
    THREE_SUPPLIES: (HOUSEHOLDS, AMOUNT),
    COLLECTIVE: (PEOPLE, AMOUNT),
    RETIREES: (PEOPLE, AMOUNT),
    ZOMBIE: (PEOPLE, AMOUNT),
}

MAX_COUNT = 100_000_000  # households or people: far above any one problem
MAX_AMOUNT = Decimal("10000000000000")  # yuan (10 trillion): far above any one problem


@dataclass(frozen=True)
class Figures:
    kind: str
    sub_kind: str = ""
    households_total: int | None = None
    households_done: int | None = None
    people_total: int | None = None
    people_done: int | None = None
    amount_total: Decimal | None = None  # yuan
    amount_done: Decimal | None = None  # yuan
    receiving_party: str = ""
    planned_on: date | None = None
    done_on: date | None = None


@dataclass(frozen=True)
class Issue:
    """`code`: unknown_kind, sub_kind, required, not_applicable, negative, not_whole,
    precision, too_large, without_total, above_total or future. `limit` is the bound broken
    (the total, the maximum), when there is one."""

    field: str
    code: str
    limit: object = None


def check(figures: Figures, today: date) -> list[Issue]:
    """Every problem of a legacy problem's figures, in field order; [] when they are valid."""
    if figures.kind not in KINDS:
        return [Issue("kind", "unknown_kind")]
    issues = _sub_kind_issues(figures)
    applies = {name for pair in APPLIES[figures.kind] for name in pair}
    for name in REQUIRED[figures.kind]:
        if _empty(getattr(figures, name)):
            issues.append(Issue(name, "required"))
    for total_name, done_name in PAIRS:
        for name in (total_name, done_name):
            value = getattr(figures, name)
            if value is None:
                continue
            if name not in applies:
                issues.append(Issue(name, "not_applicable"))
            else:
                issues.extend(_value_issues(name, value))
        issues.extend(_pair_issues(figures, total_name, done_name, applies))
    if figures.done_on is not None and figures.done_on > today:
        issues.append(Issue("done_on", "future", today))
    order = {name: position for position, name in enumerate(_FIELD_ORDER)}
    return sorted(issues, key=lambda issue: order.get(issue.field, len(order)))


_FIELD_ORDER = ("kind", "sub_kind", *FIGURE_FIELDS, "receiving_party", "planned_on", "done_on")


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _sub_kind_issues(figures: Figures) -> list[Issue]:
    allowed = SUB_KINDS[figures.kind]
    if not figures.sub_kind:
        return [Issue("sub_kind", "required")] if allowed else []
    if figures.sub_kind not in allowed:
        return [Issue("sub_kind", "sub_kind" if allowed else "not_applicable", allowed)]
    return []


def _value_issues(name: str, value) -> list[Issue]:
    if value < 0:
        return [Issue(name, "negative")]
    # The bound first: a huge number is not made whole or rounded at all.
    if name.startswith("amount"):
        if value > MAX_AMOUNT:
            return [Issue(name, "too_large", MAX_AMOUNT)]
        if Decimal(value) != Decimal(value).quantize(Decimal("0.01")):
            return [Issue(name, "precision")]
        return []
    if value > MAX_COUNT:
        return [Issue(name, "too_large", MAX_COUNT)]
    if value != int(value):
        return [Issue(name, "not_whole")]
    return []


def _pair_issues(figures: Figures, total_name: str, done_name: str, applies: set) -> list[Issue]:
    total, done = getattr(figures, total_name), getattr(figures, done_name)
    if done is None or done_name not in applies or done < 0:
        return []
    if total is None:
        return [Issue(done_name, "without_total")]
    if total >= 0 and done > total:
        return [Issue(done_name, "above_total", total)]
    return []


def share(done: int | Decimal | None, total: int | Decimal | None) -> float | None:
    """done / total as a fraction; None when there is no total to compare with (missing is not
    zero, and a share of nothing is undefined)."""
    if total is None or total <= 0:
        return None
    return float(Decimal(done or 0) / Decimal(total))
