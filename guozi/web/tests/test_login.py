"""Signing in: wrong passwords, lock-out, success, session timeout, the password policy."""

from datetime import timedelta

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from guozi import settings as production_settings
from guozi.accounts import services
from guozi.conftest import PASSWORD
from guozi.lib.errors import DomainError


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_wrong_password_shows_an_error_and_signs_nobody_in(cast, english):
    response = sign_in(english, "analyst", "not-the-password")
    assert response.status_code == 200
    assert "The user name or password is wrong" in response.content.decode()
    assert "_auth_user_id" not in english.session
    assert AccessFailureLog.objects.filter(username="analyst").count() == 1


def test_success_signs_in_and_is_logged(cast, client):
    response = sign_in(client, "analyst", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.analyst.id)
    assert AccessLog.objects.filter(username="analyst").count() == 1


def test_five_failures_lock_the_user_name_even_for_the_right_password(cast, english):
    for attempt in range(1, 5):
        assert sign_in(english, "analyst", f"wrong-{attempt}").status_code == 200
    locked = sign_in(english, "analyst", "wrong-5")
    assert locked.status_code in (403, 429)
    response = sign_in(english, "analyst", PASSWORD)
    assert response.status_code in (403, 429)
    assert "Account locked" in response.content.decode()
    assert "_auth_user_id" not in english.session
    # Another user name is not affected: the lock is by name, not by address.
    assert sign_in(english, "reviewer", PASSWORD).status_code == 302


def test_a_security_admin_unlocks_a_locked_user(cast, client):
    for attempt in range(5):
        sign_in(client, "analyst", f"wrong-{attempt}")
    assert services.user_locked_out(cast.analyst)
    assert services.user_unlock(acting_user=cast.secadmin, user=cast.analyst) >= 1
    assert not services.user_locked_out(cast.analyst)
    assert sign_in(client, "analyst", PASSWORD).status_code == 302


def test_four_failures_then_success_resets_the_count(cast, client):
    for attempt in range(4):
        sign_in(client, "analyst", f"wrong-{attempt}")
    assert sign_in(client, "analyst", PASSWORD).status_code == 302
    client.logout()
    for attempt in range(4):
        sign_in(client, "analyst", f"wrong-again-{attempt}")
    assert sign_in(client, "analyst", PASSWORD).status_code == 302


def test_session_settings():
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_an_idle_session_older_than_the_age_is_signed_out(cast, client):
    sign_in(client, "analyst", PASSWORD)
    inbox = reverse("accounts:inbox")
    assert client.get(inbox).status_code == 200
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(inbox)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_each_request_extends_the_session(cast, client):
    sign_in(client, "analyst", PASSWORD)
    key = client.session.session_key
    soon = timezone.now() + timedelta(seconds=60)
    Session.objects.filter(session_key=key).update(expire_date=soon)
    assert client.get(reverse("accounts:inbox")).status_code == 200
    renewed = Session.objects.get(session_key=key).expire_date
    assert renewed > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


WEAK = [
    ("Sh0rt!x", "short"),
    ("alllowercaseletters", "one character class"),
    ("ALLUPPER123456", "two character classes"),
    ("1234567890123", "numeric"),
    ("Password123", "common"),
    ("Newcomer2026!", "like the user name"),
]


def test_weak_passwords_are_refused(db, subtests):
    for password, reason in WEAK:
        with subtests.test(reason=reason):
            with pytest.raises(DomainError) as refused:
                services.user_create(acting_user=None, username="newcomer", password=password)
            assert "password" in refused.value.fields
            assert not services.User.objects.filter(username="newcomer").exists()


def test_a_strong_password_is_accepted_and_hashed_with_argon2(cast, settings):
    # The shared cast uses a fast hasher; production's first hasher is argon2.
    assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    user = services.user_create(
        acting_user=cast.secadmin, username="newcomer", password="Tiger-Lily-2026"
    )
    assert user.password.startswith("argon2")
    assert user.check_password("Tiger-Lily-2026")
