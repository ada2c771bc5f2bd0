"""API tokens: the page (own tokens only, the key shown once), the commands, the audit."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from guozi.accounts import services
from guozi.accounts.models import ApiToken, Membership, Role, User
from guozi.audit.models import AuditEvent

KEY = re.compile(r"<code>(gz_[\w-]{40,})</code>")


def test_create_a_token_shows_the_key_once(cast, as_user):
    client = as_user(cast.reporter)
    response = client.post(reverse("accounts:tokens"), {"name": "nightly upload"})
    assert response.status_code == 200
    key = KEY.search(response.content.decode()).group(1)
    assert services.token_user(key) == cast.reporter
    token = ApiToken.objects.get(user=cast.reporter)
    assert token.name == "nightly upload"
    assert key.startswith(token.prefix)
    assert token.key_hash != key and key not in token.key_hash
    again = client.get(reverse("accounts:tokens")).content.decode()
    assert key not in again
    assert token.prefix in again
    assert "nightly upload" in again
    event = AuditEvent.objects.get(object_type="accounts.apitoken", action="create")
    assert (event.actor, event.channel) == (cast.reporter, "ui")
    assert key not in str(event.after)


def test_the_page_lists_only_ones_own_tokens(cast, as_user):
    services.token_create(acting_user=None, user=cast.reporter, name="mine")
    services.token_create(acting_user=None, user=cast.outsider, name="theirs")
    page = as_user(cast.reporter).get(reverse("accounts:tokens")).content.decode()
    assert "mine" in page
    assert "theirs" not in page


def test_a_too_long_name_is_refused(cast, as_user):
    response = as_user(cast.reporter).post(reverse("accounts:tokens"), {"name": "x" * 101})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoke_own_token(cast, as_user):
    token, key = services.token_create(acting_user=None, user=cast.reporter)
    client = as_user(cast.reporter)
    response = client.post(reverse("accounts:token_revoke", args=[token.id]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert services.token_user(key) is None
    assert "Revoked" in client.get(reverse("accounts:tokens")).content.decode()


def test_nobody_revokes_another_users_token_on_this_page(cast, as_user):
    token, key = services.token_create(acting_user=None, user=cast.outsider)
    for user in [cast.reporter, cast.secadmin]:
        response = as_user(user).post(reverse("accounts:token_revoke", args=[token.id]))
        assert response.status_code == 404
    assert services.token_user(key) == cast.outsider


def test_create_token_command_prints_a_working_key(cast):
    out = StringIO()
    call_command("create_token", "reporter", "--name", "erp", stdout=out, stderr=StringIO())
    key = out.getvalue().strip()
    assert services.token_user(key) == cast.reporter
    assert ApiToken.objects.get(user=cast.reporter).name == "erp"
    assert AuditEvent.objects.filter(object_type="accounts.apitoken", action="create").exists()


def test_create_token_command_refuses_unknown_and_inactive_users(cast):
    with pytest.raises(CommandError, match="No user"):
        call_command("create_token", "nobody", stdout=StringIO())
    cast.reporter.is_active = False
    cast.reporter.save()
    with pytest.raises(CommandError, match="inactive"):
        call_command("create_token", "reporter", stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_revoke_token_command(cast):
    token, key = services.token_create(acting_user=None, user=cast.reporter)
    out = StringIO()
    call_command("revoke_token", token.prefix, stdout=out)
    assert "Revoked" in out.getvalue()
    assert services.token_user(key) is None
    assert AuditEvent.objects.filter(object_type="accounts.apitoken", action="update").count() == 1
    with pytest.raises(CommandError, match="No live token"):
        call_command("revoke_token", token.prefix, stdout=StringIO())
    with pytest.raises(CommandError, match="No live token"):
        call_command("revoke_token", "gz_nope", stdout=StringIO())


def test_revoke_token_command_with_a_shared_prefix_needs_the_user(cast):
    first, first_key = services.token_create(acting_user=None, user=cast.reporter)
    second, second_key = services.token_create(acting_user=None, user=cast.outsider)
    ApiToken.objects.filter(id=second.id).update(prefix=first.prefix)
    with pytest.raises(CommandError, match="--user"):
        call_command("revoke_token", first.prefix, stdout=StringIO())
    call_command("revoke_token", first.prefix, "--user", "outsider", stdout=StringIO())
    assert services.token_user(first_key) == cast.reporter
    assert services.token_user(second_key) is None


def test_create_user_command_bootstraps_a_security_admin(cast, monkeypatch):
    monkeypatch.setenv("GUOZI_PASSWORD", "Granite-Harbour-9")
    call_command(
        "create_user",
        "first.secadmin",
        "--role",
        "security_admin",
        "--supervisor",
        "ln",
        stdout=StringIO(),
    )
    user = User.objects.get(username="first.secadmin")
    assert user.check_password("Granite-Harbour-9")
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.supervisor) == (Role.SECURITY_ADMIN, cast.ln)
    assert str(membership.valid_from) == "2026-08-28"


def test_create_user_command_with_an_enterprise_role(cast, monkeypatch):
    monkeypatch.setenv("GUOZI_PASSWORD", "Granite-Harbour-9")
    call_command(
        "create_user",
        "filler",
        "--role",
        "enterprise_reporter",
        "--enterprise",
        cast.a2.uscc,
        stdout=StringIO(),
    )
    assert Membership.objects.get(user__username="filler").enterprise == cast.a2


BAD_USERS = [
    (["weak"], "password", "too short"),
    (["analyst"], "Granite-Harbour-9", "taken"),
    (["x", "--role", "auditor"], "Granite-Harbour-9", "--supervisor"),
    (["x", "--role", "auditor", "--supervisor", "zz"], "Granite-Harbour-9", "--supervisor"),
    (["x", "--role", "enterprise_reviewer"], "Granite-Harbour-9", "--enterprise"),
]


def test_create_user_command_refuses_bad_input(cast, monkeypatch, subtests):
    before = User.objects.count()
    for args, password, error in BAD_USERS:
        with subtests.test(error=error):
            monkeypatch.setenv("GUOZI_PASSWORD", password)
            with pytest.raises(CommandError, match=error):
                call_command("create_user", *args, stdout=StringIO())
            assert User.objects.count() == before


def test_unlock_user_command(cast, client):
    for attempt in range(5):
        client.post(reverse("login"), {"username": "leader", "password": f"no-{attempt}"})
    assert services.user_locked_out(cast.leader)
    out = StringIO()
    call_command("unlock_user", "leader", stdout=out)
    assert not services.user_locked_out(cast.leader)
    assert "Cleared" in out.getvalue()
