"""Every request renews the session's idle timeout, except the data a page fetches for its
parts; a fetch that changes the session still saves it."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from guozi.reporting.frameworks import load_built_in

pytestmark = pytest.mark.django_db


def _expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def _shorten(client) -> None:
    soon = timezone.now() + timedelta(seconds=60)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=soon)


def test_a_card_fetch_leaves_the_session_alone_and_the_page_renews_it(cast, login):
    load_built_in()  # a browser test before may have flushed what migrating loaded
    client = login(cast.analyst)
    client.get("/dashboard/")
    _shorten(client)
    before = _expiry(client)

    response = client.get("/dashboard/cards/alerts/")
    assert response.status_code == 200
    assert _expiry(client) == before
    assert "Cookie" in response["Vary"]
    assert "private" in response["Cache-Control"]

    assert client.get("/dashboard/").status_code == 200
    assert _expiry(client) > before + timedelta(minutes=10)


def test_a_signed_out_fetch_is_still_sent_to_sign_in(client):
    response = client.get("/dashboard/cards/alerts/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
