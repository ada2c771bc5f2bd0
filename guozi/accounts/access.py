"""Deny by default: every view declares its scope, and a middleware refuses the ones that don't.

Scopes say who may open a view at all; which rows they then see is the selectors' job
(`guozi.registry.selectors.visible_enterprises`).
"""

from datetime import date
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseForbidden

from guozi.lib import clock

from .models import PORTFOLIO_ROLES, REGISTRY_EDITOR_ROLES, Membership, Role


class Scope(StrEnum):
    PUBLIC = "public"  # no login: the login page, health check
    SELF = "self"  # any signed-in user, and only their own things (inbox, jobs, tokens)
    PORTFOLIO = "portfolio"  # reads portfolio data through scoped selectors
    REGISTRY_EDIT = "registry_edit"  # changes registry data of the user's own supervisor
    AUDIT = "audit"  # the audit log: auditors and the audit administrator
    SECURITY_ADMIN = "security_admin"  # users, roles, memberships
    SYSTEM_ADMIN = "system_admin"  # jobs, master data tables


SCOPE_ROLES: dict[Scope, set[str]] = {
    Scope.PORTFOLIO: set(PORTFOLIO_ROLES),
    Scope.REGISTRY_EDIT: set(REGISTRY_EDITOR_ROLES),
    Scope.AUDIT: {Role.AUDITOR, Role.AUDIT_ADMIN},
    Scope.SECURITY_ADMIN: {Role.SECURITY_ADMIN},
    Scope.SYSTEM_ADMIN: {Role.SYSTEM_ADMIN},
}

# URL namespaces whose views check access themselves: the admin site (scoped ModelAdmins) and
# the API (every operation is marked, checked when the API is built).
SELF_CHECKED_NAMESPACES = {"admin", "api"}
SELF_CHECKED_URL_NAMES = {"set_language", "javascript-catalog"}


def active_memberships(user, day: date | None = None):
    if not user.is_authenticated:
        return Membership.objects.none()
    day = day or clock.today()
    return (
        Membership.objects.filter(user=user, valid_from__lte=day)
        .exclude(valid_to__lte=day)
        .select_related("supervisor", "enterprise")
    )


def roles_of(user, day: date | None = None) -> set[str]:
    cache_key = f"_guozi_roles_{day}"
    if not hasattr(user, cache_key):
        setattr(user, cache_key, {m.role for m in active_memberships(user, day)})
    return getattr(user, cache_key)


def has_scope(user, scope: Scope) -> bool:
    if scope == Scope.PUBLIC:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    if scope == Scope.SELF:
        return True
    return bool(roles_of(user) & SCOPE_ROLES[scope])


def scoped(scope: Scope):
    """Mark a view with its scope and enforce it: anonymous users go to the login page."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if scope != Scope.PUBLIC and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_scope(request.user, scope):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.guozi_scope = scope
        return wrapped

    return decorate


def view_scope(view_func) -> Scope | None:
    return getattr(view_func, "guozi_scope", None)


class ScopeMiddleware:
    """Refuses any view that has not declared a scope."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if view_scope(view_func) is not None:
            return None
        if match and (
            SELF_CHECKED_NAMESPACES & set(match.namespaces)
            or match.url_name in SELF_CHECKED_URL_NAMES
        ):
            return None
        return HttpResponseForbidden("This view declares no access scope.")
