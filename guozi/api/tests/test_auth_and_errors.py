import json

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import resolve

from guozi.accounts.services import token_create, token_revoke
from guozi.registry.models import Enterprise

from .helpers import assert_error


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_token_authenticates_and_a_revoked_token_does_not(client, cast):
    token, key = token_create(acting_user=None, user=cast.analyst)
    response = client.get("/api/v1/me", headers=bearer(key))
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "analyst"
    token.refresh_from_db()
    assert token.last_used_at is not None

    token_revoke(acting_user=None, token=token)
    assert_error(client.get("/api/v1/me", headers=bearer(key)), 401, "unauthenticated")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer gz_not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Token gz_whatever"},
        {"Authorization": "Basic YW5hbHlzdDp4"},
    ],
)
def test_missing_or_wrong_credentials_give_401(client, cast, headers):
    response = client.get("/api/v1/enterprises", headers=headers)
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == "Bearer"


def test_token_of_a_deactivated_user_gives_401(client, cast):
    _, key = token_create(acting_user=None, user=cast.analyst)
    cast.analyst.is_active = False
    cast.analyst.save()
    assert_error(client.get("/api/v1/me", headers=bearer(key)), 401, "unauthenticated")


def test_wrong_token_is_refused_even_with_a_signed_in_session(login, cast):
    client = login(cast.analyst)
    assert client.get("/api/v1/me").status_code == 200
    response = client.get("/api/v1/me", headers=bearer("gz_revoked-or-made-up"))
    assert_error(response, 401, "unauthenticated")


def test_browser_session_reads_and_writes_with_csrf(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.analyst, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/api/v1/enterprises").json()["total"] == 7

    url = f"/api/v1/enterprises/{cast.a2.id}"
    body = json.dumps({"short_name": "辽钢矿"})
    response = client.patch(url, data=body, content_type="application/json")
    assert_error(response, 403, "forbidden")
    cast.a2.refresh_from_db()
    assert cast.a2.short_name != "辽钢矿"

    csrf = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf
    response = client.patch(
        url, data=body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 200, response.content
    assert response.json()["short_name"] == "辽钢矿"


def test_anonymous_post_gets_401_not_a_csrf_complaint(cast):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/enterprises", data="{}", content_type="application/json")
    assert_error(response, 401, "unauthenticated")


def test_error_shape_400_for_a_domain_rule(call, cast):
    response = call(
        cast.analyst,
        "post",
        f"/enterprises/{cast.a2.id}/equity-links",
        {"holder": {"enterprise": cast.b.uscc}, "pct": "40", "valid_from": "2026-01-01"},
    )
    fields = assert_error(response, 400, "equity_over_100")
    assert list(fields) == ["pct"]


def test_error_shape_403_for_a_missing_role(call, cast):
    assert_error(call(cast.secadmin, "get", "/enterprises"), 403, "forbidden")
    assert_error(call(cast.reporter, "get", "/memberships"), 403, "forbidden")
    assert_error(call(cast.leader, "post", "/enterprises", {}), 403, "forbidden")


def test_error_shape_404(call, cast):
    assert_error(call(cast.analyst, "get", "/enterprises/999999"), 404, "not_found")
    assert_error(call(cast.analyst, "get", "/no-such-thing"), 404, "not_found")
    assert_error(call(cast.analyst, "get", "/enterprises/"), 404, "not_found")
    assert_error(call(cast.analyst, "get", "/"), 404, "not_found")
    assert_error(call(cast.analyst, "get", "/enterprises/abc"), 404, "not_found")


def test_error_shape_405(call, cast):
    response = call(cast.analyst, "delete", f"/enterprises/{cast.a.id}")
    assert_error(response, 405, "method_not_allowed")
    assert set(response["Allow"].split(", ")) == {"GET", "PATCH"}
    assert Enterprise.objects.filter(id=cast.a.id).exists()


def test_error_shape_422_names_the_fields(call, cast):
    fields = assert_error(call(cast.analyst, "get", "/enterprises", limit=501), 422, "invalid")
    assert list(fields) == ["limit"]
    fields = assert_error(
        call(cast.analyst, "get", f"/enterprises/{cast.a.id}", as_of="2026-02-30"), 422, "invalid"
    )
    assert list(fields) == ["as_of"]
    fields = assert_error(
        call(cast.analyst, "post", "/enterprises", {"name_zh": "缺字段"}), 422, "invalid"
    )
    assert {"supervisor", "ownership_level"} <= set(fields)
    assert not any(name.startswith("payload") for name in fields)


def test_error_message_follows_the_language(call, client, cast):
    _, key = token_create(acting_user=None, user=cast.analyst)
    path = "/api/v1/enterprises/999999"
    english = client.get(path, headers={**bearer(key), "Accept-Language": "en"}).json()
    chinese = client.get(path, headers={**bearer(key), "Accept-Language": "zh-hans"}).json()
    assert english["error"]["message"] == "Not found."
    # Needs "guozi.api" in INSTALLED_APPS, so that Django finds guozi/api/locale.
    assert chinese["error"]["message"] == "未找到。"


def test_unexpected_error_is_500_without_a_traceback(call, cast, monkeypatch):
    from guozi.api import supervisors

    def explode(user):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(supervisors.selectors, "readable_supervisors", explode)
    response = call(cast.analyst, "get", "/supervisors")
    assert_error(response, 500, "server_error")
    assert b"hunter2" not in response.content
    assert b"Traceback" not in response.content


def test_api_views_resolve_in_the_api_namespace():
    for path in ("/api/v1/enterprises", "/api/v1/enterprises/1/equity-links", "/api/v1/me"):
        assert resolve(path).namespaces == ["api"]


def test_openapi_document_is_valid_json_listing_the_paths(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in (
        "/api/v1/enterprises",
        "/api/v1/enterprises/{id}",
        "/api/v1/enterprises/{id}/identifiers",
        "/api/v1/enterprises/{id}/equity-links",
        "/api/v1/equity-links/{id}/end",
        "/api/v1/enterprises/{id}/subsidiaries",
        "/api/v1/enterprises/{id}/transfer",
        "/api/v1/tree",
        "/api/v1/supervisors",
        "/api/v1/memberships",
        "/api/v1/memberships/{id}/end",
        "/api/v1/me",
        "/api/v1/imports/enterprises",
        "/api/v1/jobs/{id}",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/enterprises/{id}"]) == {"get", "patch"}
    schemes = document["components"]["securitySchemes"]
    assert {"BearerAuth", "SessionAuth"} <= set(schemes)
