"""The audit log page: who sees which events, the filters, before → after."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from guozi.accounts import services as accounts
from guozi.accounts.models import Membership, Role, User
from guozi.accounts.tests.helpers import in_english, other_supervisor
from guozi.audit.models import AuditEvent
from guozi.audit.services import audit_record
from guozi.lib.context import set_channel
from guozi.registry import services as registry


@pytest.fixture
def changes(cast):
    """A rename in group A (ln), one in D (dl), one in Shanghai, and a new membership."""
    _sh, shanghai = other_supervisor()
    AuditEvent.objects.all().delete()  # start from an empty log, without the cast's creation
    registry.enterprise_update(
        acting_user=cast.analyst, enterprise=cast.a1, changes={"name_en": "LS Plate"}
    )
    registry.enterprise_update(
        acting_user=cast.dl_analyst, enterprise=cast.d, changes={"name_en": "Dalian Metro"}
    )
    registry.enterprise_update(
        acting_user=None, enterprise=shanghai, changes={"name_en": "SH Port"}
    )
    newcomer = accounts.user_create(
        acting_user=None, username="newcomer", password="Tiger-Lily-2026"
    )
    accounts.membership_create(
        acting_user=cast.secadmin,
        user=newcomer,
        role=Role.SUPERVISOR_LEADER,
        supervisor=cast.ln,
        valid_from=date(2026, 9, 1),
    )
    return shanghai


def shown(response) -> list[str]:
    """The ids of the objects on the page, in order."""
    return re.findall(r' #(\d+)<div class="muted">', response.content.decode())


def get(client, **query):
    return client.get(reverse("audit:log"), query)


@pytest.fixture
def auditor(cast, login):
    return in_english(login(cast.auditor))


@pytest.fixture
def auditadmin(cast, login):
    return in_english(login(cast.auditadmin))


def test_the_auditor_sees_the_events_of_their_supervisors_enterprises(changes, auditor):
    response = get(auditor)
    assert response.status_code == 200
    page = response.content.decode()
    assert "LS Plate" in page and "Dalian Metro" in page  # dl is below ln
    assert "SH Port" not in page  # another supervisor
    assert "newcomer" not in page  # users and memberships are the audit admin's


def test_an_auditor_of_a_lower_supervisor_sees_only_theirs(cast, changes, login):
    dl_auditor = User.objects.create_user(username="dl_auditor")
    Membership.objects.create(
        user=dl_auditor, role=Role.AUDITOR, supervisor=cast.dl, valid_from=date(2020, 1, 1)
    )
    page = get(login(dl_auditor)).content.decode()
    assert "Dalian Metro" in page
    assert "LS Plate" not in page


def test_the_audit_admin_also_sees_users_and_memberships(changes, auditadmin):
    page = get(auditadmin).content.decode()
    assert "LS Plate" in page and "Dalian Metro" in page
    assert "newcomer" in page
    assert "SH Port" not in page


def test_before_and_after_are_shown_per_field(cast, changes, auditor):
    page = get(auditor, enterprise=str(cast.a1.id)).content.decode()
    assert re.search(r"<dt>name_en</dt><dd><span class=\"muted\">∅?</span> → LS Plate</dd>", page)


FILTERS = [
    ({"enterprise": "A1_ID"}, ["A1"]),
    ({"enterprise": "A1_USCC"}, ["A1"]),
    ({"enterprise": "大连地铁"}, ["D"]),
    ({"enterprise": "no such name"}, []),
    ({"user": "dl_ana"}, ["D"]),
    ({"user": "analyst", "object_type": "registry.enterprise"}, ["D", "A1"]),
    ({"object_type": "accounts.membership"}, []),
    ({"action": "delete"}, []),
]


def test_filters(cast, changes, auditor, subtests):
    names = {"A1": str(cast.a1.id), "D": str(cast.d.id)}
    values = {"A1_ID": str(cast.a1.id), "A1_USCC": cast.a1.uscc}
    for query, expected in FILTERS:
        with subtests.test(**query):
            query = {key: values.get(value, value) for key, value in query.items()}
            assert shown(get(auditor, **query)) == [names[key] for key in expected]


def test_filter_by_channel_and_date(cast, changes, auditor):
    set_channel("cli")
    try:
        registry.enterprise_update(acting_user=None, enterprise=cast.b1, changes={"name_en": "YK"})
    finally:
        set_channel("system")
    assert shown(get(auditor, channel="cli")) == [str(cast.b1.id)]
    assert len(shown(get(auditor, channel="system"))) == 2
    today = timezone.localdate()
    assert len(shown(get(auditor, date_from=str(today), date_to=str(today)))) == 3
    yesterday = today - timedelta(days=1)
    assert shown(get(auditor, date_to=str(yesterday))) == []


def test_bad_filters_are_refused(cast, changes, auditor):
    response = get(auditor, date_from="2026-08-28", date_to="2026-08-01")
    assert response.status_code == 400
    assert shown(response) == []
    assert get(auditor, date_from="yesterday").status_code == 400
    assert get(auditor, channel="fax").status_code == 400


def test_the_log_is_paginated(cast, auditor):
    AuditEvent.objects.all().delete()
    for number in range(55):
        audit_record(
            actor=None,
            action="update",
            instance=cast.a,
            after={"n": number},
            enterprise_id=cast.a.id,
        )
    first = get(auditor)
    assert len(shown(first)) == 50
    assert "page=2" in first.content.decode()
    assert len(shown(get(auditor, page="2"))) == 5


def test_events_of_a_deleted_enterprise_stay_readable_for_the_audit_admin(cast, auditadmin):
    AuditEvent.objects.create(
        channel="ui",
        action="delete",
        object_type="registry.enterprise",
        object_id="999999",
        object_repr="已注销企业",
        enterprise_id=999999,
    )
    assert shown(get(auditadmin, enterprise="999999")) == ["999999"]


def test_other_roles_are_refused(cast, login, client):
    for user in [cast.secadmin, cast.sysadmin, cast.analyst, cast.reporter, cast.leader]:
        client.logout()
        assert login(user).get(reverse("audit:log")).status_code == 403


def test_the_admin_shows_the_events_read_only(cast, changes, auditor):
    listing = auditor.get("/admin/audit/auditevent/")
    assert listing.status_code == 200
    assert cast.a1.name_zh in listing.content.decode()
    assert "newcomer" not in listing.content.decode()
    event = AuditEvent.objects.filter(enterprise_id=cast.a1.id).get()
    change_url = f"/admin/audit/auditevent/{event.id}/change/"
    assert auditor.get(change_url).status_code == 200
    assert auditor.post(change_url, {"actor_name": "someone else"}).status_code == 403
    assert auditor.get("/admin/audit/auditevent/add/").status_code == 403
    assert auditor.post(f"/admin/audit/auditevent/{event.id}/delete/").status_code == 403
    event.refresh_from_db()
    assert event.actor_name == "analyst"


def test_the_admin_scopes_events_like_the_page(cast, changes, auditor):
    hidden = AuditEvent.objects.get(object_type="accounts.membership")
    response = auditor.get(f"/admin/audit/auditevent/{hidden.id}/change/", follow=True)
    assert "doesn’t exist" in response.content.decode() or response.status_code == 404
