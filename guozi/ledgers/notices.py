"""Who hears of what happens to a tracked item, and the messages, in both languages.

The people who act next are told through their inbox (and by mail where a relay is set up):
the owner's reporters and its reviewers along the management tree as of today, and the
supervisor's analysts and reviewers.
"""

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from guozi.accounts.models import Membership, Role, User
from guozi.accounts.services import notify
from guozi.lib import clock
from guozi.registry.tree import TreeSnapshot, tree_at

from . import permissions
from .models import TrackedItem


def enterprise_members(role: str, enterprise_ids: list[int]) -> list[User]:
    day = clock.today()
    found = (
        Membership.objects.filter(role=role, enterprise_id__in=enterprise_ids, valid_from__lte=day)
        .exclude(valid_to__lte=day)
        .select_related("user")
    )
    return [m.user for m in found if m.user.is_active]


def supervisor_staff(item: TrackedItem, roles=permissions.MANAGER_ROLES) -> list[User]:
    day = clock.today()
    found = (
        Membership.objects.filter(
            role__in=roles, supervisor_id=item.supervisor_id, valid_from__lte=day
        )
        .exclude(valid_to__lte=day)
        .select_related("user")
    )
    return [m.user for m in found if m.user.is_active]


def reporters_of(item: TrackedItem, tree: TreeSnapshot | None = None) -> list[User]:
    """The reporters who may write the item's updates, and its responsible user."""
    above = permissions.chain(tree or tree_at(clock.today()), item.owner_id)
    users = enterprise_members(Role.ENTERPRISE_REPORTER, above)
    if item.responsible_user_id and item.responsible_user.is_active:
        users.append(item.responsible_user)
    return users


def reviewers_of(item: TrackedItem, tree: TreeSnapshot | None = None) -> list[User]:
    """The reviewers of the item's updates: in the owner's chain, else the supervisor's."""
    above = permissions.chain(tree or tree_at(clock.today()), item.owner_id)
    return enterprise_members(Role.ENTERPRISE_REVIEWER, above) or supervisor_staff(
        item, (Role.SUPERVISOR_REVIEWER,)
    )


def item_link(item: TrackedItem) -> str:
    return reverse("ledgers:item", args=[item.id])


def tell(users, subject, params: dict, *, item: TrackedItem, body: str = "", skip=None) -> int:
    """Message each user once, in both languages; `subject` is a lazily translated text with
    %(name)s placeholders, filled in each language. Returns how many were told."""
    skip_id = getattr(skip, "id", None)
    unique = {u.id: u for u in users if u.id != skip_id}
    if not unique:
        return 0
    texts = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            filled = {key: value() if callable(value) else value for key, value in params.items()}
            texts[language] = str(subject % filled)[:200]
    for user in unique.values():
        notify(
            user=user,
            subject_zh=texts["zh-hans"],
            subject_en=texts["en"],
            body_zh=body,
            body_en=body,
            link=item_link(item),
        )
    return len(unique)


def about(item: TrackedItem) -> dict:
    """The placeholders every message about an item can use."""
    return {
        "title": item.title,
        "owner": lambda: item.owner.name,
        "register": lambda: item.get_register_display().lower(),
    }


NEW_ITEM = gettext_lazy("New %(register)s item for %(owner)s: %(title)s")
TO_REVIEW = gettext_lazy("Update to review: %(title)s (%(owner)s)")
APPROVED = gettext_lazy("Update approved: %(title)s")
RETURNED = gettext_lazy("Update returned: %(title)s")
TO_VERIFY = gettext_lazy("Verification requested: %(title)s (%(owner)s)")
VERIFIED = gettext_lazy("Verified and closed: %(title)s")
REJECTED = gettext_lazy("Verification rejected: %(title)s")
CANCELLED = gettext_lazy("Cancelled: %(title)s")
