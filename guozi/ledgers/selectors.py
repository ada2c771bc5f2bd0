"""Scoped reads of the ledgers: the items a user may see, filtered, counted, and one by one.

A user sees the items of the enterprises they may read today
(`guozi.registry.selectors.visible_enterprises`): supervisor roles their supervisor's portfolio
and those of the supervisors below; enterprise roles their enterprise and its subtree. An item,
update or file outside that view is a 404, the same answer as for no such id.
"""

from dataclasses import dataclass, fields
from datetime import date, timedelta

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from guozi.lib import clock
from guozi.registry.selectors import subtree, visible_enterprises

from .models import ACTIVE, WORKING, Evidence, ItemUpdate, Status, TrackedItem
from .rules import Policy

DUE_SOON_DAYS = Policy().due_soon_days


def visible_items(user) -> QuerySet[TrackedItem]:
    return TrackedItem.objects.filter(owner__in=visible_enterprises(user))


def get_visible_item(user, item_id: int) -> TrackedItem:
    return get_object_or_404(
        visible_items(user).select_related("owner", "supervisor", "responsible_user", "created_by"),
        id=item_id,
    )


def get_visible_update(user, item_id: int, update_id: int) -> ItemUpdate:
    item = get_visible_item(user, item_id)
    update = get_object_or_404(ItemUpdate.objects.select_related("author"), id=update_id, item=item)
    update.item = item
    return update


def get_visible_evidence(user, evidence_id: int) -> Evidence:
    evidence = get_object_or_404(Evidence.objects.select_related("update__item"), id=evidence_id)
    get_visible_item(user, evidence.update.item_id)
    return evidence


@dataclass
class ItemFilters:
    register: str = ""
    status: str = ""  # a Status value, or "active" for every item not closed
    owner: int | None = None
    subtree: bool = False  # with `owner`: also the enterprises it manages today
    overdue: bool = False
    due_soon: bool = False  # still worked on and due within DUE_SOON_DAYS
    due_before: date | None = None
    q: str = ""

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def overdue_q(today: date) -> Q:
    return Q(status__in=WORKING, due_date__lt=today)


def due_soon_q(today: date) -> Q:
    return Q(
        status__in=WORKING, due_date__gte=today, due_date__lte=today + timedelta(DUE_SOON_DAYS)
    )


def filter_items(items: QuerySet[TrackedItem], filters: ItemFilters) -> QuerySet[TrackedItem]:
    today = clock.today()
    if filters.register:
        items = items.filter(register=filters.register)
    if filters.status == "active":
        items = items.filter(status__in=ACTIVE)
    elif filters.status:
        items = items.filter(status=filters.status)
    if filters.owner is not None:
        if filters.subtree:
            ids = [enterprise_id for enterprise_id, _depth in subtree(filters.owner, today)]
            items = items.filter(owner_id__in=ids)
        else:
            items = items.filter(owner_id=filters.owner)
    if filters.overdue:
        items = items.filter(overdue_q(today))
    if filters.due_soon:
        items = items.filter(due_soon_q(today))
    if filters.due_before:
        items = items.filter(due_date__lt=filters.due_before)
    if filters.q:
        items = items.filter(
            Q(title__icontains=filters.q)
            | Q(owner__name_zh__icontains=filters.q)
            | Q(owner__short_name__icontains=filters.q)
            | Q(responsible_name__icontains=filters.q)
        )
    return items


def item_list(user, filters: ItemFilters) -> QuerySet[TrackedItem]:
    """The user's items matching `filters`: the most urgent first (the earliest due among the
    ones still open), closed ones last."""
    items = filter_items(visible_items(user), filters)
    closed_last = Case(When(status__in=ACTIVE, then=Value(0)), default=Value(1))
    return items.select_related("owner", "supervisor").order_by(closed_last, "due_date", "id")


def counts(user, register: str = "") -> dict[str, int]:
    """For a dashboard: items by status, and the open ones overdue or due within a week."""
    items = visible_items(user)
    if register:
        items = items.filter(register=register)
    today = clock.today()
    by_status = dict(items.values_list("status").annotate(n=Count("id")).order_by())
    result = {status: by_status.get(status, 0) for status in Status.values}
    result["total"] = sum(by_status.values())
    result["active"] = sum(by_status.get(status, 0) for status in ACTIVE)
    result["overdue"] = items.filter(overdue_q(today)).count()
    result["due_soon"] = items.filter(due_soon_q(today)).count()
    return result


BOARD_CARDS = 30  # per column; the column's count says how many there are in all


def board(user, filters: ItemFilters) -> list[dict]:
    """The items matching `filters` as a board: one column per status in the lifecycle's
    order, each with its count and its most urgent items first."""
    items = filter_items(visible_items(user), filters)
    counted = dict(items.values_list("status").annotate(n=Count("id")).order_by())
    columns = []
    for status, label in Status.choices:
        cards = (
            items.filter(status=status)
            .select_related("owner")
            .order_by("due_date", "id")[:BOARD_CARDS]
            if counted.get(status)
            else []
        )
        columns.append({"status": status, "label": label, "count": counted.get(status, 0),
                        "cards": list(cards)})  # fmt: skip
    return columns
