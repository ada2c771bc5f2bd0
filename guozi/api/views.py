"""Django views around the API, so that answers outside its operations keep the error shape."""

from functools import wraps

from django.http import JsonResponse
from django.utils.translation import gettext as _

from guozi.accounts.access import Scope, scoped

from .errors import error_body


@scoped(Scope.PUBLIC)
def unknown_path(request, *args, **kwargs):
    """Paths under /api/v1/ that name no operation get the API's error shape, not a page."""
    return JsonResponse(error_body("not_found", _("No such API path.")), status=404)


def shaped_405(view):
    """ninja answers a method a path does not have with plain text; use the error shape."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        message = _("This path does not take %(method)s.") % {"method": request.method}
        shaped = JsonResponse(error_body("method_not_allowed", message), status=405)
        shaped["Allow"] = response.get("Allow", "")
        return shaped

    return wrapped
