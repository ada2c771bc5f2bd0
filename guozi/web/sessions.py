"""Sessions end after `SESSION_COOKIE_AGE` seconds without a request, so every request renews
them (`SESSION_SAVE_EVERY_REQUEST`) — except the data a page fetches for its parts (the
cockpit's cards), which would otherwise write the session a dozen times per page view, each
waiting for SQLite's one writer. The page itself renews the session."""

from functools import wraps

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers


def without_session_renewal(view):
    """Mark a view whose responses do not renew the session (unless it changes it)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        request.renews_session = False
        return view(request, *args, **kwargs)

    return wrapped


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if getattr(request, "renews_session", True) or session is None or session.modified:
            return super().process_response(request, response)
        patch_vary_headers(response, ("Cookie",))
        patch_cache_control(response, private=True)
        return response
