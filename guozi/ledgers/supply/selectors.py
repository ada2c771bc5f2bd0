"""Scoped reads of the supply-chain register.

A user sees the inputs of the items they may see (`guozi.ledgers.selectors.visible_items`): the
same enterprises, by every path. An input outside that view is a 404, like an unknown id.

The portfolio lists leave cancelled items out: a cancelled entry is withdrawn, not a
dependency. Verified items stay: their mitigation is done, the dependency is still recorded.
"""

from dataclasses import dataclass, field, fields

from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from guozi.ledgers.models import ACTIVE, Register, Status, TrackedItem
from guozi.ledgers.selectors import visible_items
from guozi.lib import clock
from guozi.registry.selectors import subtree

from .matching import Mention, SharedSupplier, group_suppliers
from .models import Band, Category, Criticality, SupplyInput, SupplySource

FLAGS = ("single_source", "import_dependent", "no_domestic_alternative", "highly_concentrated")
SHARED_MIN_ENTERPRISES = 2
LIST_LIMIT = 20


def visible_supply_items(user) -> QuerySet[TrackedItem]:
    return visible_items(user).filter(register=Register.SUPPLY_INPUT)


def visible_inputs(user) -> QuerySet[SupplyInput]:
    return SupplyInput.objects.filter(item__in=visible_supply_items(user))


def get_visible_supply_item(user, item_id: int) -> TrackedItem:
    """A supply item the user may see (with its input, if it has one yet); 404 otherwise."""
    return get_object_or_404(
        visible_supply_items(user).select_related("owner", "supervisor"), id=item_id
    )


def input_of(item: TrackedItem) -> SupplyInput | None:
    return SupplyInput.objects.filter(item=item).first()


def get_visible_input(user, item_id: int) -> SupplyInput:
    """The input of a supply item the user may see, by the item's id; 404 otherwise."""
    item = get_visible_supply_item(user, item_id)
    supply_input = input_of(item)
    if supply_input is None:
        raise Http404
    supply_input.item = item
    return supply_input


def flag_q(flag: str) -> Q:
    return {
        "single_source": Q(single_source=True),
        "import_dependent": Q(import_dependent=True),
        "no_domestic_alternative": Q(domestic_alternative=False),
        "highly_concentrated": Q(band=Band.HIGH),
    }[flag]


@dataclass
class InputFilters:
    q: str = ""  # words in the enterprise's name, the input or a supplier
    category: str = ""
    flag: str = ""  # one of FLAGS
    band: str = ""  # a Band, or "none" for inputs without suppliers
    status: str = ""  # a ledger status, or "active" for items not closed
    owner: int | None = None
    subtree: bool = False  # with `owner`: the enterprises it manages today too

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def filter_inputs(inputs: QuerySet[SupplyInput], filters: InputFilters) -> QuerySet[SupplyInput]:
    if filters.category:
        inputs = inputs.filter(category=filters.category)
    if filters.flag:
        inputs = inputs.filter(flag_q(filters.flag))
    if filters.band == "none":
        inputs = inputs.filter(band="")
    elif filters.band:
        inputs = inputs.filter(band=filters.band)
    if filters.status == "active":
        inputs = inputs.filter(item__status__in=ACTIVE)
    elif filters.status:
        inputs = inputs.filter(item__status=filters.status)
    if filters.owner is not None:
        if filters.subtree:
            ids = [enterprise for enterprise, _depth in subtree(filters.owner, clock.today())]
            inputs = inputs.filter(owner_id__in=ids)
        else:
            inputs = inputs.filter(owner_id=filters.owner)
    if filters.q:
        suppliers = SupplySource.objects.filter(supplier_name__icontains=filters.q)
        inputs = inputs.filter(
            Q(owner__name_zh__icontains=filters.q)
            | Q(owner__short_name__icontains=filters.q)
            | Q(owner__name_en__icontains=filters.q)
            | Q(name__icontains=filters.q)
            | Q(id__in=suppliers.values("input_id"))
        )
    return inputs


def input_list(user, filters: InputFilters) -> QuerySet[SupplyInput]:
    """The user's inputs matching `filters`: the most concentrated first, inputs without
    suppliers last."""
    inputs = filter_inputs(visible_inputs(user), filters)
    return inputs.select_related("item", "owner").order_by(
        F("hhi").desc(nulls_last=True), "owner__name_zh", "name", "id"
    )


def with_sources(inputs) -> list[SupplyInput]:
    """The inputs (a page of them) with their suppliers fetched in one query."""
    inputs = list(inputs)
    by_input: dict[int, list[SupplySource]] = {i.id: [] for i in inputs}
    for source in SupplySource.objects.filter(input_id__in=by_input).order_by(
        "input_id", "position"
    ):
        by_input[source.input_id].append(source)
    for supply_input in inputs:
        supply_input.source_list = by_input[supply_input.id]
    return inputs


# --- the portfolio -------------------------------------------------------------------------------


@dataclass
class CategoryCount:
    category: str
    label: str
    inputs: int = 0
    by_band: dict[str, int] = field(default_factory=dict)  # band ("" none) -> inputs
    single_source: int = 0
    import_dependent: int = 0
    no_domestic_alternative: int = 0


@dataclass
class Portfolio:
    inputs: int
    enterprises: int
    flagged: dict[str, int]  # flag -> inputs
    categories: list[CategoryCount]
    shared_suppliers: list[SharedSupplier]  # named by SHARED_MIN_ENTERPRISES or more
    no_alternative: list[SupplyInput]
    most_concentrated: list[SupplyInput]


def portfolio_inputs(user) -> QuerySet[SupplyInput]:
    return visible_inputs(user).exclude(item__status=Status.CANCELLED)


def category_counts(inputs: QuerySet[SupplyInput]) -> list[CategoryCount]:
    """Inputs by category: by concentration band and by flag, every category listed."""
    counts = {code: CategoryCount(code, str(label)) for code, label in Category.choices}
    rows = inputs.values("category", "band").annotate(
        n=Count("id"),
        single=Count("id", filter=Q(single_source=True)),
        imported=Count("id", filter=Q(import_dependent=True)),
        no_alternative=Count("id", filter=Q(domestic_alternative=False)),
    )
    for row in rows.order_by():
        count = counts[row["category"]]
        count.inputs += row["n"]
        count.by_band[row["band"]] = count.by_band.get(row["band"], 0) + row["n"]
        count.single_source += row["single"]
        count.import_dependent += row["imported"]
        count.no_domestic_alternative += row["no_alternative"]
    return list(counts.values())


def shared_suppliers(
    inputs: QuerySet[SupplyInput], *, minimum: int = SHARED_MIN_ENTERPRISES, limit: int = LIST_LIMIT
) -> list[SharedSupplier]:
    """Suppliers that `minimum` or more enterprises depend on, matched by USCC or else by
    normalised name (`matching`)."""
    rows = SupplySource.objects.filter(input__in=inputs).values_list(
        "input__owner_id", "input_id", "supplier_name", "uscc", "share", "country"
    )
    mentions = [
        Mention(owner, input_id, name, uscc, float(share), country)
        for owner, input_id, name, uscc, share, country in rows.iterator(chunk_size=5000)
    ]
    return [s for s in group_suppliers(mentions) if s.enterprises >= minimum][:limit]


def _criticality_rank() -> Case:
    return Case(
        *(When(criticality=code, then=Value(rank)) for rank, code in enumerate(Criticality.values)),
        default=Value(len(Criticality.values)),
    )


def portfolio(user) -> Portfolio:
    inputs = portfolio_inputs(user)
    listed = inputs.select_related("item", "owner")
    flagged = {flag: inputs.filter(flag_q(flag)).count() for flag in FLAGS}
    no_alternative = listed.filter(domestic_alternative=False).order_by(
        _criticality_rank(), F("import_share").desc(), F("hhi").desc(nulls_last=True), "id"
    )
    most_concentrated = listed.filter(hhi__isnull=False).order_by(
        F("hhi").desc(), _criticality_rank(), "id"
    )
    return Portfolio(
        inputs=inputs.count(),
        enterprises=inputs.values("owner_id").distinct().count(),
        flagged=flagged,
        categories=category_counts(inputs),
        shared_suppliers=shared_suppliers(inputs),
        no_alternative=list(no_alternative[:LIST_LIMIT]),
        most_concentrated=list(most_concentrated[:LIST_LIMIT]),
    )


def chart_data(result: Portfolio) -> dict:
    """The portfolio chart's series: inputs by category, stacked by concentration band."""
    bands = [*Band.choices, ("", _("No suppliers recorded"))]
    return {
        "categories": [count.label for count in result.categories],
        "series": [
            {
                "band": code or "none",
                "name": str(label),
                "data": [count.by_band.get(code, 0) for count in result.categories],
            }
            for code, label in bands
        ],
    }


@dataclass
class EnterpriseSupply:
    inputs: list[SupplyInput]
    flagged: dict[str, int]  # flag -> inputs
    by_band: dict[str, int]  # band ("" none) -> inputs


def enterprise_supply(user, enterprise_id: int, *, with_subsidiaries: bool) -> EnterpriseSupply:
    """One enterprise's inputs (with its subsidiaries' if asked), with their suppliers."""
    filters = InputFilters(owner=enterprise_id, subtree=with_subsidiaries)
    inputs = filter_inputs(portfolio_inputs(user), filters)
    listed = with_sources(
        inputs.select_related("item", "owner").order_by(
            F("hhi").desc(nulls_last=True), "name", "id"
        )
    )
    return EnterpriseSupply(
        inputs=listed,
        flagged={flag: sum(1 for i in listed if flag in i.flags) for flag in FLAGS},
        by_band={code: sum(1 for i in listed if i.band == code) for code in [*Band.values, ""]},
    )
