"""The REST API under /api/v1/, with its OpenAPI document at /api/v1/openapi.json."""

from ninja import NinjaAPI

from guozi.accounts.access import Scope, scoped

from . import enterprises, imports, memberships, supervisors, tree
from .auth import BearerAuth, SessionAuth, enforce_scopes, operations
from .errors import install_error_handlers

api = NinjaAPI(
    title="Guozi API",
    version="1",
    description=(
        "The registry of a state-asset supervisor: enterprises, identifiers, equity links, the "
        "management tree as of a date, supervisors and memberships. Authenticate with "
        "`Authorization: Bearer <token>` (`guozi create_token USERNAME`) or a signed-in "
        "browser session (with the CSRF token for changes). Every error has the shape "
        '`{"error": {"code": ..., "message": ..., "fields": {...}}}`.'
    ),
    urls_namespace="api",
    auth=[BearerAuth(), SessionAuth()],
    # The bundled docs page loads its scripts from a CDN unless ninja is an installed app;
    # closed government networks cannot reach one, so only the JSON document is served.
    docs_url=None,
    docs_decorator=scoped(Scope.PUBLIC),
)
install_error_handlers(api)

for module in (enterprises, tree, supervisors, memberships, imports):
    api.add_router("", module.router)
api.add_router("/reporting", "guozi.reporting.api.router")
api.add_router("/ledgers", "guozi.ledgers.api.router")
for _register in ("reform", "legacy", "safety", "rnd", "supply"):
    api.add_router(f"/ledgers/{_register}", f"guozi.ledgers.{_register}.api.router")
api.add_router("/indicators", "guozi.indicators.api.router")
api.add_router("/alerts", "guozi.indicators.api_alerts.router")

enforce_scopes(api)


def api_operations():
    """(path, method, view function) for every operation, for the deny-by-default URL walk."""
    yield from operations(api)
