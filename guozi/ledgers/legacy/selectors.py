"""Scoped reads of the legacy-problem register: the problems a user may see, filtered, listed,
and counted up by kind, enterprise, group or city.

A user sees the problems of the items `guozi.ledgers.selectors.visible_items` gives them; one
outside that view is a 404, the same answer as no such id.

Statistics leave cancelled problems out (they were dropped, not solved). A problem is closed
when the supervisor has verified it. Totals and done figures are summed over the problems that
state them, and a share is the summed done over the summed total (never a mean of shares); a
share with no total behind it is undefined (None), not 0.
"""

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date

from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When
from django.shortcuts import get_object_or_404

from guozi.ledgers.models import ACTIVE, WORKING, Register, Status, TrackedItem
from guozi.ledgers.selectors import visible_items
from guozi.lib import clock
from guozi.registry.directory import city_name
from guozi.registry.models import Enterprise
from guozi.registry.tree import tree_at

from . import rules
from .models import Kind, LegacyProblem, SubKind, yuan_of

STATUS_CHOICES = ("active", "overdue", *Status.values)
GROUPINGS = ("kind", "sub_kind", "enterprise", "group", "city")


def visible_problems(user) -> QuerySet[LegacyProblem]:
    return LegacyProblem.objects.filter(
        item__in=visible_items(user).filter(register=Register.LEGACY_PROBLEM)
    )


def legacy_items(user) -> QuerySet[TrackedItem]:
    """The user's items of the register, with or without their row."""
    return visible_items(user).filter(register=Register.LEGACY_PROBLEM)


def get_visible_problem(user, item_id: int) -> LegacyProblem:
    return get_object_or_404(
        visible_problems(user).select_related("item__owner", "item__supervisor"), item_id=item_id
    )


@dataclass
class ProblemFilters:
    kind: str = ""
    sub_kind: str = ""
    status: str = ""  # a Status value, "active" (not closed) or "overdue"
    city: str = ""  # the owner's city code
    owner: int | None = None
    q: str = ""  # words in the title, or the owner's name, short name or USCC

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def filter_problems(
    problems: QuerySet[LegacyProblem], filters: ProblemFilters
) -> QuerySet[LegacyProblem]:
    if filters.kind:
        problems = problems.filter(kind=filters.kind)
    if filters.sub_kind:
        problems = problems.filter(sub_kind=filters.sub_kind)
    if filters.status == "active":
        problems = problems.filter(item__status__in=ACTIVE)
    elif filters.status == "overdue":
        problems = problems.filter(item__status__in=WORKING, item__due_date__lt=clock.today())
    elif filters.status:
        problems = problems.filter(item__status=filters.status)
    if filters.city:
        problems = problems.filter(item__owner__city_code=filters.city)
    if filters.owner is not None:
        problems = problems.filter(item__owner_id=filters.owner)
    if filters.q:
        problems = problems.filter(
            Q(item__title__icontains=filters.q)
            | Q(item__owner__name_zh__icontains=filters.q)
            | Q(item__owner__short_name__icontains=filters.q)
            | Q(item__owner__uscc__iexact=filters.q)
        )
    return problems


def problem_list(user, filters: ProblemFilters) -> QuerySet[LegacyProblem]:
    """The user's problems matching `filters`: open ones first by due date, closed ones last."""
    closed_last = Case(When(item__status__in=ACTIVE, then=Value(0)), default=Value(1))
    return (
        filter_problems(visible_problems(user), filters)
        .select_related("item__owner", "item__supervisor")
        .order_by(closed_last, "item__due_date", "item_id")
    )


def cities(user) -> list[tuple[str, str]]:
    """(code, name) of the cities of the enterprises with problems the user may see."""
    codes = (
        visible_problems(user)
        .exclude(item__owner__city_code="")
        .values_list("item__owner__city_code", flat=True)
        .distinct()
    )
    return sorted(((code, city_name(code)) for code in set(codes)), key=lambda pair: pair[0])


# --- statistics ------------------------------------------------------------------------------


@dataclass
class Line:
    """One line of the statistics: a kind, an enterprise, a group or a city."""

    key: str
    label: str
    problems: int = 0
    closed: int = 0
    overdue: int = 0
    households_total: int = 0
    households_done: int = 0
    people_total: int = 0
    people_done: int = 0
    amount_total_fen: int = 0
    amount_done_fen: int = 0
    # Whether any problem of the line states the figure: a sum of nothing is missing, not 0.
    stated: set = field(default_factory=set)

    def add(self, row: dict) -> None:
        self.problems += row["problems"]
        self.closed += row["closed"]
        self.overdue += row["overdue"]
        for name in SUMMED:
            if row[name] is not None:
                setattr(self, name, getattr(self, name) + int(row[name]))
                self.stated.add(name)

    def value(self, name: str) -> int | None:
        return getattr(self, name) if name in self.stated else None

    @property
    def figures(self) -> dict[str, int | None]:
        """The summed figures by name (amounts in fen); None where no problem states one."""
        return {name: self.value(name) for name in SUMMED}

    @property
    def closed_share(self) -> float | None:
        return rules.share(self.closed, self.problems)

    @property
    def households_share(self) -> float | None:
        return rules.share(self.value("households_done"), self.value("households_total"))

    @property
    def people_share(self) -> float | None:
        return rules.share(self.value("people_done"), self.value("people_total"))

    @property
    def amount_share(self) -> float | None:
        return rules.share(self.value("amount_done_fen"), self.value("amount_total_fen"))

    @property
    def amount_total(self):
        return yuan_of(self.value("amount_total_fen"))

    @property
    def amount_done(self):
        return yuan_of(self.value("amount_done_fen"))

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "problems": self.problems,
            "closed": self.closed,
            "overdue": self.overdue,
            "closed_share": self.closed_share,
            "households_total": self.value("households_total"),
            "households_done": self.value("households_done"),
            "households_share": self.households_share,
            "people_total": self.value("people_total"),
            "people_done": self.value("people_done"),
            "people_share": self.people_share,
            "amount_total": self.amount_total,
            "amount_done": self.amount_done,
            "amount_share": self.amount_share,
        }


SUMMED = (
    "households_total",
    "households_done",
    "people_total",
    "people_done",
    "amount_total_fen",
    "amount_done_fen",
)


@dataclass
class Statistics:
    by: str
    lines: list[Line]
    total: Line
    day: date


def _counted(problems: QuerySet[LegacyProblem], keys: list[str]) -> list[dict]:
    """Sums per combination of `keys`, in one query."""
    today = clock.today()
    return list(
        problems.values(*keys)
        .annotate(
            problems=Count("item_id"),
            closed=Count("item_id", filter=Q(item__status=Status.VERIFIED)),
            overdue=Count("item_id", filter=Q(item__status__in=WORKING, item__due_date__lt=today)),
            **{name: Sum(name) for name in SUMMED},
        )
        .order_by()
    )


def _labels(by: str, keys: set) -> dict:
    if by == "kind":
        return {key: str(Kind(key).label) for key in keys if key in Kind.values}
    if by == "sub_kind":
        return {
            key: (str(Kind(key[0]).label) + (f" · {SubKind(key[1]).label}" if key[1] else ""))
            for key in keys
        }
    if by == "city":
        return {key: city_name(key) if key else "—" for key in keys}
    names = Enterprise.objects.filter(id__in=[k for k in keys if k is not None])
    return {e.id: e.short_name or e.name for e in names}


def statistics(user, filters: ProblemFilters, by: str = "kind") -> Statistics:
    """The user's problems matching `filters`, cancelled ones left out, summed by `by`: kind,
    sub_kind (kind and sub-kind), enterprise (the owner), group (the owner's group today) or
    city (the owner's city). Lines with the most problems first."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    problems = filter_problems(visible_problems(user), filters).exclude(
        item__status=Status.CANCELLED
    )
    key_fields = {
        "kind": ["kind"],
        "sub_kind": ["kind", "sub_kind"],
        "enterprise": ["item__owner_id"],
        "group": ["item__owner_id"],
        "city": ["item__owner__city_code"],
    }[by]
    rows = _counted(problems, key_fields)
    keyed: dict = defaultdict(list)
    tree = tree_at(clock.today()) if by == "group" else None
    for row in rows:
        if by == "sub_kind":
            key = (row["kind"], row["sub_kind"])
        elif by == "group":
            owner = row["item__owner_id"]
            key = tree.group_of(owner) or owner
        else:
            key = row[key_fields[0]]
        keyed[key].append(row)
    labels = _labels(by, set(keyed))
    lines, total = [], Line(key="total", label="")
    for key, grouped in keyed.items():
        line = Line(
            key="/".join(key) if isinstance(key, tuple) else str(key),
            label=labels.get(key, str(key)),
        )
        for row in grouped:
            line.add(row)
            total.add(row)
        lines.append(line)
    lines.sort(key=lambda line: (-line.problems, line.label))
    return Statistics(by=by, lines=lines, total=total, day=clock.today())


def chart_data(stats: Statistics) -> dict:
    """What the statistics page's chart draws: per line, the problems closed and still open,
    and the share of households, people and amounts done (in percent, None when undefined)."""

    def percent(value: float | None) -> float | None:
        return None if value is None else round(100 * value, 1)

    lines = stats.lines[:30]
    return {
        "labels": [line.label for line in lines],
        "closed": [line.closed for line in lines],
        "open": [line.problems - line.closed for line in lines],
        "households": [percent(line.households_share) for line in lines],
        "people": [percent(line.people_share) for line in lines],
        "amounts": [percent(line.amount_share) for line in lines],
    }
