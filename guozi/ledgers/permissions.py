"""Who may do what with a tracked item, on the management tree as of today.

- The supervisor's analysts and reviewers create items for the enterprises of their own
  supervisor, edit them, cancel them and verify them (accept or reject). A higher supervisor
  reads the lower supervisors' items but changes none of them.
- Reporters of the owner enterprise, or of an enterprise above it, write updates and add
  evidence.
- Reviewers of the owner, or of an enterprise above it, approve or return updates and hand the
  item in for verification. Where no enterprise in that chain has a reviewer, the supervisor's
  own reviewer does it.
Who may read an item is the selectors' business (`selectors.visible_items`).
"""

from dataclasses import dataclass

from guozi.accounts.access import active_memberships
from guozi.accounts.models import Membership, Role
from guozi.lib import clock
from guozi.registry.tree import TreeSnapshot, tree_at

from .models import TrackedItem

MANAGER_ROLES = (Role.SUPERVISOR_ANALYST, Role.SUPERVISOR_REVIEWER)


def chain(tree: TreeSnapshot, enterprise_id: int) -> list[int]:
    """The enterprise and those above it in the management tree, nearest first."""
    found, current = [enterprise_id], enterprise_id
    while current in tree.parent and len(found) < 64:
        current = tree.parent[current]
        found.append(current)
    return found


def _held(user, roles) -> list[Membership]:
    if user is None or not user.is_authenticated:
        return []
    return [m for m in active_memberships(user) if m.role in roles]


def managed_supervisor_ids(user) -> set[int]:
    """The supervisors whose items the user creates, edits, cancels and verifies."""
    return {m.supervisor_id for m in _held(user, MANAGER_ROLES) if m.supervisor_id}


def can_create(user, supervisor_id: int | None) -> bool:
    return supervisor_id is not None and supervisor_id in managed_supervisor_ids(user)


def can_manage(user, item: TrackedItem) -> bool:
    return can_create(user, item.supervisor_id)


def can_report(user, item: TrackedItem, tree: TreeSnapshot | None = None) -> bool:
    held = _held(user, (Role.ENTERPRISE_REPORTER,))
    if not held:
        return False
    above = set(chain(tree or tree_at(clock.today()), item.owner_id))
    return any(m.enterprise_id in above for m in held)


def can_review(user, item: TrackedItem, tree: TreeSnapshot | None = None) -> bool:
    above = chain(tree or tree_at(clock.today()), item.owner_id)
    if any(m.enterprise_id in above for m in _held(user, (Role.ENTERPRISE_REVIEWER,))):
        return True
    supervisor_reviewer = any(
        m.supervisor_id == item.supervisor_id for m in _held(user, (Role.SUPERVISOR_REVIEWER,))
    )
    return supervisor_reviewer and not enterprise_reviewers_exist(above)


def enterprise_reviewers_exist(enterprise_ids: list[int]) -> bool:
    day = clock.today()
    return (
        Membership.objects.filter(
            role=Role.ENTERPRISE_REVIEWER, enterprise_id__in=enterprise_ids, valid_from__lte=day
        )
        .exclude(valid_to__lte=day)
        .exists()
    )


@dataclass(frozen=True)
class Allowed:
    report: bool  # write updates, add evidence
    review: bool  # approve or return updates, hand in for verification
    manage: bool  # edit, cancel, verify

    @classmethod
    def of(cls, user, item: TrackedItem, tree: TreeSnapshot | None = None) -> "Allowed":
        tree = tree or tree_at(clock.today())
        return cls(
            report=can_report(user, item, tree),
            review=can_review(user, item, tree),
            manage=can_manage(user, item),
        )
