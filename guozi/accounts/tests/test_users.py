"""The security administrator's pages: users, memberships, tokens, lock-outs; all audited."""

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from guozi.accounts import services
from guozi.accounts.models import ApiToken, Membership, Role, User
from guozi.audit.models import AuditEvent

STRONG = "Plum-Blossom-77"


def events(instance, action=None):
    found = AuditEvent.objects.filter(
        object_type=instance._meta.label_lower, object_id=str(instance.pk)
    )
    return found.filter(action=action) if action else found


@pytest.fixture
def admin_client(cast, as_user):
    return as_user(cast.secadmin)


def listed(response) -> set[str]:
    """The user names the list links to."""
    return set(re.findall(r'href="/accounts/users/\d+/">([^<]+)</a>', response.content.decode()))


def test_the_list_shows_users_with_their_memberships(cast, admin_client):
    response = admin_client.get(reverse("accounts:users"))
    assert {"analyst", "group_reviewer", "secadmin", "outsider"} <= listed(response)
    page = response.content.decode()
    assert "Enterprise reviewer" in page
    assert cast.a.uscc in page


FILTERS = [
    ({"q": "sub_rep"}, {"sub_reporter"}),
    ({"q": "REPORTER"}, {"reporter", "sub_reporter"}),
    ({"role": Role.AUDIT_ADMIN}, {"auditadmin"}),
    ({"role": Role.ENTERPRISE_REPORTER}, {"reporter", "sub_reporter", "outsider"}),
    ({"node": "dl"}, {"dl_analyst"}),
    ({"node": "大连"}, {"dl_analyst"}),
    ({"node": "辽钢板材"}, {"sub_reporter"}),
    ({"role": Role.ENTERPRISE_REVIEWER, "node": "辽钢"}, {"group_reviewer"}),
]


def test_filters(cast, admin_client, subtests):
    for query, expected in FILTERS:
        with subtests.test(**query):
            assert listed(admin_client.get(reverse("accounts:users"), query)) == expected


def test_filter_by_uscc(cast, admin_client):
    response = admin_client.get(reverse("accounts:users"), {"node": cast.b.uscc.lower()})
    assert listed(response) == {"outsider"}


def test_the_list_marks_locked_out_users(cast, admin_client):
    for attempt in range(5):
        Client().post(reverse("login"), {"username": "leader", "password": f"no-{attempt}"})
    response = admin_client.get(reverse("accounts:users"), {"q": "leader"})
    assert listed(response) == {"leader"}
    assert "Locked out" in response.content.decode()
    response = admin_client.get(reverse("accounts:users"), {"q": "analyst"})
    assert "Locked out" not in response.content.decode()


def test_create_a_user(cast, admin_client):
    response = admin_client.post(
        reverse("accounts:user_new"),
        {
            "username": "zhang.wei",
            "display_name": "张伟",
            "email": "zhang.wei@example.gov.cn",
            "language": "zh-hans",
            "password": STRONG,
            "password_again": STRONG,
        },
    )
    user = User.objects.get(username="zhang.wei")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user", args=[user.id])
    assert user.check_password(STRONG)
    event = events(user, "create").get()
    assert event.actor == cast.secadmin
    assert event.channel == "ui"
    assert "password" not in event.after


BAD_USERS = [
    ({"password": "weak", "password_again": "weak"}, "too short"),
    ({"password": "allsmallletters", "password_again": "allsmallletters"}, "three of"),
    ({"password_again": "Other-Password-1"}, "The two passwords differ"),
    ({"username": "analyst"}, "Taken"),
    ({"username": "bad name!"}, "Letters, digits"),
]


def test_create_refuses_bad_input(cast, admin_client, subtests):
    for changes, error in BAD_USERS:
        with subtests.test(error=error):
            data = {
                "username": "zhang.wei",
                "language": "zh-hans",
                "password": STRONG,
                "password_again": STRONG,
                **changes,
            }
            before = User.objects.count()
            response = admin_client.post(reverse("accounts:user_new"), data)
            assert response.status_code == 400
            assert error in response.content.decode()
            assert User.objects.count() == before


def test_deactivate_and_activate(cast, admin_client):
    url = reverse("accounts:user_set_active", args=[cast.reporter.id])
    assert admin_client.post(url, {"active": "0"}).status_code == 302
    cast.reporter.refresh_from_db()
    assert not cast.reporter.is_active
    event = events(cast.reporter, "update").get()
    assert event.before == {"is_active": True}
    assert event.after == {"is_active": False}
    admin_client.post(url, {"active": "1"})
    cast.reporter.refresh_from_db()
    assert cast.reporter.is_active


def test_a_deactivated_user_cannot_sign_in(cast, admin_client):
    admin_client.post(reverse("accounts:user_set_active", args=[cast.reporter.id]), {"active": "0"})
    from guozi.conftest import PASSWORD

    response = Client().post(reverse("login"), {"username": "reporter", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with its error


def test_edit_details(cast, admin_client):
    url = reverse("accounts:user_edit", args=[cast.reporter.id])
    response = admin_client.post(
        url, {"display_name": "李娜", "email": "li.na@example.cn", "language": "en"}
    )
    assert response.status_code == 302
    cast.reporter.refresh_from_db()
    assert (cast.reporter.display_name, cast.reporter.language) == ("李娜", "en")
    event = events(cast.reporter, "update").get()
    assert event.after == {"display_name": "李娜", "email": "li.na@example.cn", "language": "en"}
    bad = admin_client.post(url, {"display_name": "x", "email": "not-an-address", "language": "en"})
    assert bad.status_code == 400
    cast.reporter.refresh_from_db()
    assert cast.reporter.display_name == "李娜"


def membership_post(client, user, **data):
    fields = {"role": "", "supervisor": "", "enterprise": "", "valid_from": "2026-09-01"}
    fields.update(data)
    return client.post(reverse("accounts:membership_new", args=[user.id]), fields)


@pytest.fixture
def newcomer(cast):
    return services.user_create(acting_user=None, username="newcomer", password=STRONG)


def test_add_a_supervisor_membership(cast, admin_client, newcomer):
    response = membership_post(
        admin_client, newcomer, role=Role.SUPERVISOR_ANALYST, supervisor=cast.dl.id
    )
    assert response.status_code == 302
    membership = newcomer.memberships.get()
    assert (membership.role, membership.supervisor, membership.valid_from) == (
        Role.SUPERVISOR_ANALYST,
        cast.dl,
        date(2026, 9, 1),
    )
    assert events(membership, "create").get().actor == cast.secadmin


def test_add_an_enterprise_membership_by_uscc(cast, admin_client, newcomer):
    response = membership_post(
        admin_client,
        newcomer,
        role=Role.ENTERPRISE_REPORTER,
        enterprise=cast.a1.uscc,
        valid_to="2027-01-01",
    )
    assert response.status_code == 302
    membership = newcomer.memberships.get()
    assert membership.enterprise == cast.a1
    assert membership.valid_to == date(2027, 1, 1)
    assert events(membership, "create").get().enterprise_id == cast.a1.id


BAD_MEMBERSHIPS = [
    ({"role": Role.ENTERPRISE_REPORTER, "supervisor": "SUP"}, "Enterprise roles are held"),
    ({"role": Role.SUPERVISOR_ANALYST, "enterprise": "A"}, "Enterprise roles are held"),
    ({"role": Role.SUPERVISOR_ANALYST}, "Choose a supervisor or an enterprise"),
    ({"role": Role.ENTERPRISE_REPORTER, "enterprise": "OTHER"}, "under your supervisors"),
    ({"role": Role.ENTERPRISE_REPORTER, "enterprise": "91XXX"}, "under your supervisors"),
    ({"role": Role.SUPERVISOR_ANALYST, "supervisor": "SUP", "valid_to": "2026-01-01"}, "after"),
    ({"role": "emperor", "supervisor": "SUP"}, "Select a valid choice"),
]


def test_add_membership_refuses_bad_input(cast, other, admin_client, newcomer, subtests):
    for data, error in BAD_MEMBERSHIPS:
        with subtests.test(error=error, **data):
            _sh, shanghai_group = other
            values = {"SUP": cast.ln.id, "A": cast.a.id, "OTHER": shanghai_group.uscc}
            data = {key: values.get(value, value) for key, value in data.items()}
            response = membership_post(admin_client, newcomer, **data)
            assert response.status_code == 400
            assert error in response.content.decode()
            assert not newcomer.memberships.exists()


def test_a_supervisor_outside_ones_tree_is_not_offered(cast, other, admin_client, newcomer):
    sh, _group = other
    response = membership_post(
        admin_client, newcomer, role=Role.SUPERVISOR_ANALYST, supervisor=sh.id
    )
    assert response.status_code == 400
    assert not newcomer.memberships.exists()


def test_nobody_grants_roles_to_themselves(cast, admin_client):
    before = Membership.objects.filter(user=cast.secadmin).count()
    response = membership_post(
        admin_client, cast.secadmin, role=Role.AUDIT_ADMIN, supervisor=cast.ln.id
    )
    assert response.status_code == 403
    assert "Nobody grants roles to themselves" in response.content.decode()
    assert Membership.objects.filter(user=cast.secadmin).count() == before


def test_end_a_membership(cast, admin_client):
    membership = cast.reporter.memberships.get()
    url = reverse("accounts:membership_end", args=[membership.id])
    response = admin_client.post(url, {"on": "2026-08-31"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.valid_to == date(2026, 8, 31)
    event = events(membership, "update").get()
    assert event.before == {"valid_to": None}
    assert event.after == {"valid_to": "2026-08-31"}
    assert event.enterprise_id == cast.a.id


def test_end_a_membership_before_it_starts_is_refused(cast, admin_client):
    membership = cast.reporter.memberships.get()
    url = reverse("accounts:membership_end", args=[membership.id])
    response = admin_client.post(url, {"on": "2014-01-01"}, follow=True)
    assert "must end after it starts" in response.content.decode()
    membership.refresh_from_db()
    assert membership.valid_to is None
    admin_client.post(url, {"on": "not a date"})
    membership.refresh_from_db()
    assert membership.valid_to is None


def test_revoke_all_tokens_of_a_user(cast, admin_client):
    for name in ["etl", "bi"]:
        services.token_create(acting_user=None, user=cast.analyst, name=name)
    _keep, key = services.token_create(acting_user=None, user=cast.reviewer)
    url = reverse("accounts:user_tokens_revoke", args=[cast.analyst.id])
    assert admin_client.post(url).status_code == 302
    assert not ApiToken.objects.filter(user=cast.analyst, revoked_at__isnull=True).exists()
    assert services.token_user(key) == cast.reviewer
    assert AuditEvent.objects.filter(object_type="accounts.apitoken", action="update").count() == 2


def test_unlock_a_locked_out_user(cast, admin_client):
    from guozi.conftest import PASSWORD

    stranger = Client()
    for attempt in range(5):
        stranger.post(reverse("login"), {"username": "leader", "password": f"no-{attempt}"})
    assert services.user_locked_out(cast.leader)
    detail = admin_client.get(reverse("accounts:user", args=[cast.leader.id]))
    assert "Unlock" in detail.content.decode()
    response = admin_client.post(reverse("accounts:user_unlock", args=[cast.leader.id]))
    assert response.status_code == 302
    assert not services.user_locked_out(cast.leader)
    event = events(cast.leader, "update").get()
    assert event.before["locked_out"] is True
    assert event.after["locked_out"] is False
    signed_in = stranger.post(reverse("login"), {"username": "leader", "password": PASSWORD})
    assert signed_in.status_code == 302


def test_unlocking_a_user_who_is_not_locked_records_nothing(cast, admin_client):
    response = admin_client.post(reverse("accounts:user_unlock", args=[cast.leader.id]))
    assert response.status_code == 302
    assert not events(cast.leader).exists()


def test_the_user_page_shows_memberships_and_tokens(cast, admin_client):
    services.token_create(acting_user=None, user=cast.reporter, name="nightly upload")
    page = admin_client.get(reverse("accounts:user", args=[cast.reporter.id])).content.decode()
    assert cast.a.uscc in page
    assert "Enterprise reporter" in page
    assert "nightly upload" in page
