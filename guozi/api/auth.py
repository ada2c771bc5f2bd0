"""Who is calling, and may they: bearer tokens or the browser session, and per-operation scopes.

Deny by default: every operation is wrapped in `api_scope(Scope.X)`, and `enforce_scopes`
refuses to build an API that has an operation without one.
"""

from collections.abc import Iterator
from functools import wraps

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from guozi.accounts.access import Scope, has_scope, view_scope
from guozi.accounts.services import token_user
from guozi.lib.errors import Forbidden


class BearerAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token from `guozi create_token`."""

    def authenticate(self, request: HttpRequest, token: str):
        user = token_user(token.strip())
        if user is None:
            # A token that was sent but is wrong or revoked is an error, not "try the session".
            raise AuthenticationError()
        request.auth_user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser session of a signed-in user, so the web UI can call the API.

    Unsafe methods need the CSRF token, as for any form; the check runs only for a signed-in
    session, so an anonymous call gets 401, not a CSRF complaint.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return None  # the session middleware has already read the cookie

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, _("CSRF check failed: send the X-CSRFToken header."))
        request.auth_user = user
        return user


def _check_scope(request, view, params: dict) -> None:
    user = getattr(request, "auth_user", None) or request.user
    first = getattr(view, "guozi_first", None)
    if first is not None:
        first(user, **params)
    if not has_scope(user, view.guozi_scope):
        raise Forbidden(_("Your roles do not allow this."))
    request.guozi_scope_checked = True


def api_scope(scope: Scope, *, first=None):
    """Mark an API operation with its scope and enforce it (403 in the error shape).

    `first(user, **path_params)` runs before the scope check; operations on one enterprise use it
    to answer 404 for an enterprise the user cannot see, whatever their roles, so an id outside
    one's scope gets the same answer as an id that does not exist, by every path.

    `enforce_scopes` runs the same check right after authentication, before the request body is
    read; the check in the wrapper covers an operation used outside this API.
    """

    def decorate(func):
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            if not getattr(request, "guozi_scope_checked", False):
                _check_scope(request, wrapped, kwargs)
            return func(request, *args, **kwargs)

        wrapped.guozi_scope = scope
        wrapped.guozi_first = first
        return wrapped

    return decorate


def _bound_operations(api: NinjaAPI):
    for router in api._get_bound_routers():
        for path, path_view in router.path_operations.items():
            full_path = "/" + "/".join(p.strip("/") for p in (router.prefix, path) if p.strip("/"))
            for operation in path_view.operations:
                yield full_path, operation


def operations(api: NinjaAPI) -> Iterator[tuple[str, str, object]]:
    """(path, method, view function) for every operation of `api`."""
    for path, operation in _bound_operations(api):
        for method in operation.methods:
            yield path, method, operation.view_func


def _checks_with_scope(operation):
    authenticate = operation._run_checks

    def run_checks(request):
        error = authenticate(request)
        if error is not None:
            return error
        params = request.resolver_match.kwargs if request.resolver_match else {}
        try:
            _check_scope(request, operation.view_func, params)
        except Exception as exc:
            return operation.api.on_exception(request, exc)
        return None

    return run_checks


def enforce_scopes(api: NinjaAPI) -> None:
    """Refuse an API with any operation that did not declare its scope, and check each
    operation's scope right after authentication, before its input is parsed."""
    unmarked = [
        f"{method} {path}" for path, method, view in operations(api) if view_scope(view) is None
    ]
    if unmarked:
        raise ImproperlyConfigured(
            "API operations without @api_scope: " + ", ".join(sorted(unmarked))
        )
    for _path, operation in _bound_operations(api):
        if not getattr(operation, "guozi_scope_enforced", False):
            operation._run_checks = _checks_with_scope(operation)
            operation.guozi_scope_enforced = True
