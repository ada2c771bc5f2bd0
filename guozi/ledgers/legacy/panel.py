"""The register's figures on the shared item page (`/ledgers/items/<id>/`)."""

from decimal import Decimal

from guozi.ledgers.models import ACTIVE

from . import rules
from .models import LABELS, Kind, LegacyProblem, SubKind
from .services import FIELDS


def figure_changes(item) -> list[dict]:
    """The changes of the problem's figures, newest first: who, when, before and after."""
    changes = []
    for event in item.events.select_related("actor").order_by("-id"):
        after = (event.after or {}).get("legacy")
        if after is None:
            continue
        before = (event.before or {}).get("legacy", {})
        changes.append(
            {
                "at": event.at,
                "actor": event.actor,
                "reason": event.reason,
                "fields": [
                    (LABELS[name], _shown(name, before.get(name)), _shown(name, after[name]))
                    for name in FIELDS
                    if name in after
                ],
            }
        )
    return changes


def _shown(name: str, value):
    """A stored history value as a person reads it: choices by their label."""
    if value in (None, ""):
        return None
    if name == "kind" and value in Kind.values:
        return Kind(value).label
    if name == "sub_kind" and value in SubKind.values:
        return SubKind(value).label
    if name.startswith("amount"):
        return f"{Decimal(value):,.2f}"
    if name in rules.FIGURE_FIELDS:
        return f"{int(value):,}"
    return value


def item_panel(item):
    problem = LegacyProblem.objects.filter(item=item).first()
    return (
        "legacy/_panel.html",
        {
            "item": item,
            "problem": problem,
            "editable": item.status in ACTIVE,
            "changes": figure_changes(item),
        },
    )
