"""The Django admin: entry by role, scoped querysets, every save through services or audited."""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from guozi.accounts.models import Membership, Role, User
from guozi.audit.models import AuditEvent
from guozi.registry.models import Enterprise, FunctionClass, OutsideParty, Supervisor

STRONG = "Plum-Blossom-77"


def events(model_label, action):
    return AuditEvent.objects.filter(object_type=model_label, action=action)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def secadmin(cast, as_user):
    return as_user(cast.secadmin)


@pytest.fixture
def sysadmin(cast, as_user):
    return as_user(cast.sysadmin)


def test_groups_and_axes_tables_are_not_in_the_admin():
    from axes.models import AccessAttempt, AccessLog

    for model in (Group, AccessAttempt, AccessLog):
        assert not admin.site.is_registered(model)


def test_each_administrator_sees_only_their_models(cast, login, client):
    expected = {
        "secadmin": {"User", "Membership"},
        "sysadmin": {
            "Supervisor",
            "FunctionClass",
            "OutsideParty",
            "Enterprise",
            "ManagementLink",
            "EquityLink",
            "CalendarYear",
            "DeadlineSetting",
            "PeriodLock",
            "FormVersion",
        },
        "auditadmin": {"AuditEvent"},
        "auditor": {"AuditEvent"},
    }
    for username, models in expected.items():
        client.logout()
        response = login(getattr(cast, username)).get("/admin/")
        assert response.status_code == 200
        shown = {
            model["object_name"] for app in response.context["app_list"] for model in app["models"]
        }
        assert shown == models, username


# --- security administrator: users and memberships ------------------------------------------


def test_add_a_user_through_the_admin_uses_the_service(cast, secadmin):
    response = secadmin.post(
        "/admin/accounts/user/add/",
        {
            "username": "wang.fang",
            "display_name": "王芳",
            "email": "",
            "language": "en",
            "password": STRONG,
            "password_again": STRONG,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="wang.fang")
    assert user.check_password(STRONG)
    assert not user.is_staff and not user.is_superuser
    event = events("accounts.user", "create").get(object_id=str(user.id))
    assert event.actor == cast.secadmin
    assert "password" not in event.after


def test_a_weak_password_in_the_admin_is_refused_and_nothing_saved(cast, secadmin):
    response = secadmin.post(
        "/admin/accounts/user/add/",
        {
            "username": "wang.fang",
            "language": "en",
            "password": "wangfang",
            "password_again": "wangfang",
        },
        follow=True,
    )
    assert any("too short" in message for message in messages_of(response))
    assert not User.objects.filter(username="wang.fang").exists()
    assert not events("accounts.user", "create").exists()


def test_change_a_user_through_the_admin_is_audited(cast, secadmin):
    url = f"/admin/accounts/user/{cast.reporter.id}/change/"
    response = secadmin.post(
        url, {"display_name": "李娜", "email": "li.na@example.cn", "language": "en"}
    )
    assert response.status_code == 302
    cast.reporter.refresh_from_db()
    assert cast.reporter.display_name == "李娜"
    assert not cast.reporter.is_active  # the unticked box
    changes = events("accounts.user", "update").filter(object_id=str(cast.reporter.id))
    recorded = {key for event in changes for key in event.after}
    assert {"display_name", "email", "language", "is_active"} <= recorded
    assert "password" not in recorded


def test_the_security_admin_cannot_delete_users(cast, secadmin):
    response = secadmin.post(f"/admin/accounts/user/{cast.reporter.id}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(id=cast.reporter.id).exists()


def membership_form(cast, **data):
    fields = {
        "user": cast.leader.id,
        "role": Role.SUPERVISOR_REVIEWER,
        "supervisor": cast.ln.id,
        "enterprise_ref": "",
        "valid_from": "2026-09-01",
        "valid_to": "",
    }
    fields.update(data)
    return fields


def test_add_a_membership_through_the_admin_uses_the_service(cast, secadmin):
    response = secadmin.post("/admin/accounts/membership/add/", membership_form(cast))
    assert response.status_code == 302
    membership = Membership.objects.get(user=cast.leader, role=Role.SUPERVISOR_REVIEWER)
    assert membership.valid_from == date(2026, 9, 1)
    assert events("accounts.membership", "create").get(object_id=str(membership.id))


def test_an_enterprise_membership_by_uscc_through_the_admin(cast, secadmin):
    data = membership_form(
        cast, role=Role.ENTERPRISE_REVIEWER, supervisor="", enterprise_ref=cast.b.uscc
    )
    assert secadmin.post("/admin/accounts/membership/add/", data).status_code == 302
    membership = Membership.objects.get(user=cast.leader, role=Role.ENTERPRISE_REVIEWER)
    assert membership.enterprise == cast.b
    event = events("accounts.membership", "create").get(object_id=str(membership.id))
    assert event.enterprise_id == cast.b.id


def test_the_admin_applies_the_membership_rules(cast, other, secadmin):
    _sh, shanghai_group = other
    wrong_node = membership_form(cast, role=Role.ENTERPRISE_REPORTER)
    response = secadmin.post("/admin/accounts/membership/add/", wrong_node, follow=True)
    assert any("Enterprise roles are held" in message for message in messages_of(response))
    foreign = membership_form(
        cast, role=Role.ENTERPRISE_REPORTER, supervisor="", enterprise_ref=shanghai_group.uscc
    )
    response = secadmin.post("/admin/accounts/membership/add/", foreign)
    assert response.status_code == 200  # the form again, with the error
    assert "under your supervisors" in response.content.decode()
    assert not Membership.objects.filter(user=cast.leader).exclude(role=Role.SUPERVISOR_LEADER)


def test_nobody_grants_roles_to_themselves_through_the_admin(cast, secadmin):
    data = membership_form(cast, user=cast.secadmin.id, role=Role.AUDIT_ADMIN)
    response = secadmin.post("/admin/accounts/membership/add/", data, follow=True)
    assert any("Nobody grants roles to themselves" in m for m in messages_of(response))
    assert Membership.objects.filter(user=cast.secadmin).count() == 1
    assert not events("accounts.membership", "create").exists()


def test_end_a_membership_through_the_admin(cast, secadmin):
    membership = cast.reporter.memberships.get()
    url = f"/admin/accounts/membership/{membership.id}/change/"
    assert secadmin.post(url, {"valid_to": "2026-08-31"}).status_code == 302
    membership.refresh_from_db()
    assert membership.valid_to == date(2026, 8, 31)
    event = events("accounts.membership", "update").get()
    assert event.after == {"valid_to": "2026-08-31"}
    response = secadmin.post(url, {"valid_to": ""}, follow=True)
    assert any("not reopened" in message for message in messages_of(response))
    membership.refresh_from_db()
    assert membership.valid_to == date(2026, 8, 31)


# --- system administrator: master data ------------------------------------------------------


def test_change_own_supervisor_is_audited(cast, sysadmin):
    url = f"/admin/registry/supervisor/{cast.ln.id}/change/"
    data = {
        "code": "ln",
        "name_zh": "辽宁省人民政府国有资产监督管理委员会",
        "name_en": "Liaoning SASAC",
        "short_name": "辽宁省国资委",
        "region_code": "210000",
        "level": "provincial",
    }
    assert sysadmin.post(url, data).status_code == 302
    cast.ln.refresh_from_db()
    assert cast.ln.name_zh == "辽宁省人民政府国有资产监督管理委员会"
    event = events("registry.supervisor", "update").get(object_id=str(cast.ln.id))
    assert event.before["name_zh"] == "辽宁省国资委"
    assert event.actor == cast.sysadmin


def test_a_lower_supervisor_is_read_only_and_another_tree_invisible(cast, other, sysadmin):
    sh, _group = other
    dl_url = f"/admin/registry/supervisor/{cast.dl.id}/change/"
    assert sysadmin.get(dl_url).status_code == 200
    data = {"code": "dl", "name_zh": "改名", "region_code": "210200", "level": "municipal"}
    assert sysadmin.post(dl_url, data).status_code == 403
    cast.dl.refresh_from_db()
    assert cast.dl.name_zh == "大连市国资委"
    response = sysadmin.get(f"/admin/registry/supervisor/{sh.id}/change/", follow=True)
    assert "doesn’t exist" in response.content.decode()


def test_add_a_supervisor_below_ones_own_uses_the_service(cast, sysadmin):
    data = {
        "code": "as",
        "name_zh": "鞍山市国资委",
        "name_en": "Anshan SASAC",
        "short_name": "",
        "region_code": "210300",
        "level": "municipal",
        "parent": cast.ln.id,
    }
    assert sysadmin.post("/admin/registry/supervisor/add/", data).status_code == 302
    anshan = Supervisor.objects.get(code="as")
    assert anshan.parent == cast.ln
    assert FunctionClass.objects.filter(supervisor=anshan).count() == 3  # the service's defaults
    assert events("registry.supervisor", "create").filter(object_id=str(anshan.id)).exists()
    top = {**data, "code": "top", "parent": ""}
    assert sysadmin.post("/admin/registry/supervisor/add/", top).status_code == 200
    assert not Supervisor.objects.filter(code="top").exists()


def test_function_classes_and_outside_parties_are_audited(cast, sysadmin):
    data = {"supervisor": cast.ln.id, "code": "special", "name_zh": "特定功能类", "name_en": ""}
    assert sysadmin.post("/admin/registry/functionclass/add/", data).status_code == 302
    created = FunctionClass.objects.get(code="special")
    assert events("registry.functionclass", "create").get(object_id=str(created.id))
    url = f"/admin/registry/functionclass/{created.id}/delete/"
    assert sysadmin.post(url, {"post": "yes"}).status_code == 302
    assert not FunctionClass.objects.filter(id=created.id).exists()
    deleted = events("registry.functionclass", "delete").get(object_id=str(created.id))
    assert deleted.before["code"] == "special"

    party = {"name_zh": "全国社会保障基金理事会", "name_en": "NSSF", "kind": "state"}
    assert sysadmin.post("/admin/registry/outsideparty/add/", party).status_code == 302
    nssf = OutsideParty.objects.get(name_en="NSSF")
    assert events("registry.outsideparty", "create").get(object_id=str(nssf.id))


def test_a_class_of_a_lower_supervisor_cannot_be_changed(cast, sysadmin):
    dl_class = FunctionClass.objects.filter(supervisor=cast.dl).first()
    url = f"/admin/registry/functionclass/{dl_class.id}/delete/"
    assert sysadmin.post(url, {"post": "yes"}).status_code == 403
    assert FunctionClass.objects.filter(id=dl_class.id).exists()
    data = {"supervisor": cast.dl.id, "code": "x", "name_zh": "x"}
    response = sysadmin.post("/admin/registry/functionclass/add/", data)
    assert response.status_code == 200  # dl is not a choice
    assert not FunctionClass.objects.filter(code="x").exists()


def test_bulk_delete_is_audited_per_object(cast, sysadmin):
    parties = [
        OutsideParty.objects.create(name_zh=f"投资者{n}", kind="non_state") for n in range(3)
    ]
    data = {
        "action": "delete_selected",
        "_selected_action": [party.id for party in parties],
        "post": "yes",
    }
    assert sysadmin.post("/admin/registry/outsideparty/", data).status_code == 302
    assert not OutsideParty.objects.exists()
    assert events("registry.outsideparty", "delete").count() == 3


def test_enterprises_are_read_only_and_scoped(cast, other, sysadmin):
    _sh, shanghai_group = other
    listing = sysadmin.get("/admin/registry/enterprise/")
    assert listing.status_code == 200
    shown = set(listing.context["cl"].queryset.values_list("id", flat=True))
    assert shown == set(
        Enterprise.objects.exclude(id=shanghai_group.id).values_list("id", flat=True)
    )
    url = f"/admin/registry/enterprise/{cast.a.id}/change/"
    assert sysadmin.get(url).status_code == 200
    assert sysadmin.post(url, {"name_zh": "改名"}).status_code == 403
    assert sysadmin.get("/admin/registry/enterprise/add/").status_code == 403
    assert sysadmin.post(f"/admin/registry/enterprise/{cast.a.id}/delete/").status_code == 403
    cast.a.refresh_from_db()
    assert cast.a.name_zh == "辽宁钢铁集团有限公司"
    for model in ["managementlink", "equitylink"]:
        response = sysadmin.get(f"/admin/registry/{model}/")
        assert response.status_code == 200
        assert response.context["cl"].result_count >= 7
        assert sysadmin.get(f"/admin/registry/{model}/add/").status_code == 403
