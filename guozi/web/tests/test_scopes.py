"""Deny by default: every URL declares its scope, and what does not is refused."""

import re
import uuid

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.urls.resolvers import RoutePattern

from guozi.accounts.access import (
    SELF_CHECKED_NAMESPACES,
    SELF_CHECKED_URL_NAMES,
    Scope,
    scoped,
    view_scope,
)


def walk(patterns, prefix="", namespaces=()):
    """(route, pattern, namespaces) for every URL pattern, through every include."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from walk(entry.url_patterns, route, inner)
        else:
            assert isinstance(entry, URLPattern)
            yield route, entry, namespaces


def self_checked(entry: URLPattern, namespaces) -> bool:
    return bool(SELF_CHECKED_NAMESPACES & set(namespaces)) or entry.name in SELF_CHECKED_URL_NAMES


def project_patterns():
    return list(walk(get_resolver("guozi.urls").url_patterns))


def test_the_walk_finds_every_app():
    routes = [route for route, _, _ in project_patterns()]
    for expected in ["login/", "accounts/inbox/", "accounts/users/", "audit/", "registry/"]:
        assert any(route.startswith(expected) for route in routes), expected
    assert len(routes) > 20


def test_every_view_declares_its_scope():
    unmarked = [
        f"{route} ({entry.name})"
        for route, entry, namespaces in project_patterns()
        if view_scope(entry.callback) is None and not self_checked(entry, namespaces)
    ]
    assert unmarked == []


def test_only_admin_api_and_language_switch_check_themselves():
    exempt = {
        (namespaces[0] if namespaces else entry.name)
        for _route, entry, namespaces in project_patterns()
        if view_scope(entry.callback) is None
    }
    assert exempt <= {"admin", "api", "set_language"}


def test_every_api_operation_declares_its_scope():
    try:
        from guozi.api.api import api_operations
    except ImportError:
        pytest.skip("guozi.api.api.api_operations does not exist yet")
    operations = list(api_operations())
    assert operations, "the API has no operations"
    unmarked = [f"{method} {path}" for path, method, view in operations if view_scope(view) is None]
    assert unmarked == []


# A throwaway URLconf: one view that forgot its scope, one that did not.
def unmarked_view(request):
    return HttpResponse("should never be served")


@scoped(Scope.SELF)
def marked_view(request):
    return HttpResponse("ok")


urlpatterns = [path("unmarked/", unmarked_view), path("marked/", marked_view)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_view_without_scope_is_refused(cast, login):
    client = login(cast.analyst)
    response = client.get("/unmarked/")
    assert response.status_code == 403
    assert b"should never be served" not in response.content
    assert client.get("/marked/").status_code == 200


@override_settings(ROOT_URLCONF=__name__)
def test_a_view_without_scope_is_refused_to_anonymous_users_too(client, db):
    assert client.get("/unmarked/").status_code == 403
    assert client.post("/unmarked/").status_code == 403


DUMMY = {"int": "1", "uuid": str(uuid.UUID(int=1)), "slug": "x", "str": "x", "path": "x"}
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def concrete_path(route: str) -> str:
    return "/" + PARAMETER.sub(lambda m: DUMMY[m.group("converter") or "str"], route)


def scoped_pages():
    pages = []
    for route, entry, namespaces in project_patterns():
        if self_checked(entry, namespaces) or view_scope(entry.callback) == Scope.PUBLIC:
            continue
        assert isinstance(entry.pattern, RoutePattern), f"{route}: use path(), not re_path()"
        pages.append(concrete_path(route))
    return pages


def test_anonymous_users_are_sent_to_login_from_every_page(client, db):
    login_url = reverse("login")
    pages = scoped_pages()
    assert "/accounts/users/1/" in pages
    for page in pages:
        response = client.get(page)
        if response.status_code == 405:  # a POST-only action
            response = client.post(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(f"{login_url}?next="), page


def test_anonymous_users_are_sent_to_login_from_the_admin(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert response.status_code == 200


def test_public_pages_stay_public(client, db):
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
