"""三员分立: the system, security and audit administrators are kept apart, by every path."""

from datetime import date

import pytest
from django.urls import reverse

from guozi.accounts import services
from guozi.accounts.models import Membership, Role
from guozi.lib.errors import Forbidden

PORTFOLIO_PAGES = ["registry:directory", "registry:tree"]


def status(client, url, method="get", data=None):
    return getattr(client, method)(url, data or {}).status_code


def test_no_administrator_reads_the_portfolio(cast, login, client, subtests):
    pages = [reverse(name) for name in PORTFOLIO_PAGES]
    pages.append(reverse("registry:enterprise", args=[cast.a.id]))
    for admin in ["secadmin", "sysadmin", "auditadmin"]:
        client.logout()
        login(getattr(cast, admin))
        for page in pages:
            with subtests.test(admin=admin, page=page):
                assert status(client, page) == 403


def test_the_security_and_audit_admins_see_no_registry_in_the_admin(cast, login, client):
    for admin in ["secadmin", "auditadmin"]:
        client.logout()
        login(getattr(cast, admin))
        for model in ["enterprise", "managementlink", "equitylink", "supervisor"]:
            assert status(client, f"/admin/registry/{model}/") == 403, (admin, model)


def test_the_security_admin_cannot_read_the_audit_log(cast, login):
    client = login(cast.secadmin)
    assert status(client, reverse("audit:log")) == 403
    assert status(client, reverse("accounts:login_log")) == 403
    assert status(client, "/admin/audit/auditevent/") == 403


def test_the_audit_admin_changes_nothing(cast, login):
    client = login(cast.auditadmin)
    assert status(client, reverse("audit:log")) == 200
    assert status(client, reverse("accounts:users")) == 403
    new_user = {"username": "x", "password": "Tiger-Lily-26", "password_again": "Tiger-Lily-26"}
    assert status(client, reverse("accounts:user_new"), "post", new_user) == 403
    membership = {"role": Role.AUDITOR, "supervisor": cast.ln.id, "valid_from": "2026-09-01"}
    url = reverse("accounts:membership_new", args=[cast.reporter.id])
    assert status(client, url, "post", membership) == 403
    for path in ["/admin/accounts/user/", "/admin/accounts/membership/add/"]:
        assert status(client, path) == 403, path
    assert status(client, "/admin/registry/supervisor/") == 403
    assert not Membership.objects.filter(user=cast.reporter, role=Role.AUDITOR).exists()
    with pytest.raises(Forbidden):
        services.user_set_active(acting_user=cast.auditadmin, user=cast.reporter, active=False)


def test_the_system_admin_manages_neither_users_nor_the_audit_log(cast, login):
    client = login(cast.sysadmin)
    assert status(client, reverse("accounts:users")) == 403
    assert status(client, reverse("audit:log")) == 403
    assert status(client, reverse("accounts:login_log")) == 403
    for model in ["accounts/user", "accounts/membership", "audit/auditevent"]:
        assert status(client, f"/admin/{model}/") == 403, model
    assert status(client, "/admin/registry/supervisor/") == 200
    with pytest.raises(Forbidden):
        services.membership_create(
            acting_user=cast.sysadmin,
            user=cast.reporter,
            role=Role.AUDITOR,
            supervisor=cast.ln,
            valid_from=date(2026, 9, 1),
        )


def test_the_security_admin_manages_users_but_not_master_data(cast, login):
    client = login(cast.secadmin)
    assert status(client, reverse("accounts:users")) == 200
    assert status(client, "/admin/accounts/user/") == 200
    assert status(client, "/admin/registry/supervisor/") == 403
    assert status(client, "/admin/registry/functionclass/add/") == 403


def test_nobody_grants_roles_to_themselves(cast):
    for role in [Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.SYSTEM_ADMIN]:
        with pytest.raises(Forbidden):
            services.membership_create(
                acting_user=cast.secadmin,
                user=cast.secadmin,
                role=role,
                supervisor=cast.ln,
                valid_from=date(2026, 9, 1),
            )
    assert Membership.objects.filter(user=cast.secadmin).count() == 1
