from guozi.accounts.access import Scope, has_scope
from guozi.lib import clock


def navigation(request) -> dict:
    """What the menu shows: only the places the user may enter."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"guozi_today": clock.today()}
    from guozi.accounts.models import Notification

    return {
        "guozi_today": clock.today(),
        "nav": {
            "portfolio": has_scope(user, Scope.PORTFOLIO),
            "registry_edit": has_scope(user, Scope.REGISTRY_EDIT),
            "audit": has_scope(user, Scope.AUDIT),
            "security": has_scope(user, Scope.SECURITY_ADMIN),
            "system": has_scope(user, Scope.SYSTEM_ADMIN),
            "unread": Notification.objects.filter(user=user, read_at__isnull=True).count(),
        },
    }
