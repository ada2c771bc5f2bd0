"""One JSON shape for every error the API returns.

{"error": {"code": "not_found", "message": "...", "fields": {"name_zh": ["..."]}}}
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from guozi.lib.errors import DomainError

logger = logging.getLogger("guozi.api")

STATUS_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "throttled",
    500: "server_error",
}


class FieldErrors(Exception):
    """Several fields of one request failed their cleaners; answered with 422."""

    def __init__(self, fields: dict[str, list[str]], message: str = "") -> None:
        super().__init__(fields)
        self.fields = fields
        self.message = message


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message, fields=None
) -> HttpResponse:
    return api.create_response(request, error_body(code, message, fields), status=status)


def _validation_fields(errors: list[dict]) -> dict[str, list[str]]:
    """ninja's error locations, e.g. ("body", "payload", "pct"), as field names ("pct")."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        source, rest = (loc[0], loc[1:]) if loc else ("", [])
        if source == "body" and len(rest) > 1:
            rest = rest[1:]  # the name of the view's body parameter says nothing to a client
        name = ".".join(rest) or source or "__all__"
        fields.setdefault(name, []).append(error.get("msg", ""))
    return fields


def install_error_handlers(api: NinjaAPI) -> None:
    def on_domain_error(request, exc: DomainError):
        return error_response(api, request, exc.status, exc.code, exc.message, exc.fields)

    def on_field_errors(request, exc: FieldErrors):
        message = exc.message or _("Some fields are not valid.")
        return error_response(api, request, 422, "invalid", message, exc.fields)

    def on_validation_error(request, exc: NinjaValidationError):
        message = _("The request is not valid.")
        return error_response(api, request, 422, "invalid", message, _validation_fields(exc.errors))

    def on_django_validation_error(request, exc: DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        message = " ".join(exc.messages)
        return error_response(api, request, 422, "invalid", message, fields)

    def on_not_found(request, exc: Http404):
        return error_response(api, request, 404, "not_found", _("Not found."))

    def on_permission_denied(request, exc: PermissionDenied):
        message = str(exc) or _("You may not do this.")
        return error_response(api, request, 403, "forbidden", message)

    def on_authentication_error(request, exc: AuthenticationError):
        message = _("Sign in, or send a valid token as 'Authorization: Bearer <token>'.")
        response = error_response(api, request, 401, "unauthenticated", message)
        response["WWW-Authenticate"] = "Bearer"
        return response

    def on_throttled(request, exc: Throttled):
        return error_response(api, request, 429, "throttled", _("Too many requests."))

    def on_http_error(request, exc: HttpError):
        code = STATUS_CODES.get(exc.status_code, "error")
        return error_response(api, request, exc.status_code, code, exc.message)

    def on_integrity_error(request, exc: IntegrityError):
        logger.warning("API request %s %s conflicted: %s", request.method, request.path, exc)
        message = _("The change conflicts with data already stored.")
        return error_response(api, request, 409, "conflict", message)

    def on_unexpected(request, exc: Exception):
        logger.exception("API request %s %s failed", request.method, request.path)
        message = _("Something went wrong on the server. The error has been logged.")
        return error_response(api, request, 500, "server_error", message)

    for exc_class, handler in [
        (DomainError, on_domain_error),
        (FieldErrors, on_field_errors),
        (NinjaValidationError, on_validation_error),
        (DjangoValidationError, on_django_validation_error),
        (Http404, on_not_found),
        (PermissionDenied, on_permission_denied),
        (AuthenticationError, on_authentication_error),
        (Throttled, on_throttled),
        (HttpError, on_http_error),
        (IntegrityError, on_integrity_error),
        (Exception, on_unexpected),
    ]:
        api.add_exception_handler(exc_class, handler)
