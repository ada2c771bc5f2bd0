"""The login log: sign-ins and failures, filtered, for the audit roles and the security admin."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guozi.conftest import PASSWORD


def rows(response) -> list[tuple[str, str]]:
    """(user name, result) of each row shown, but for the viewer's own sign-in."""
    html = response.content.decode()
    found = re.findall(
        r"<td>([\w.]+)</td>\s*<td><span class=\"(?:ok|error)\">(Signed in|Failed)</span>", html
    )
    viewer = response.wsgi_request.user.username
    return [row for row in found if row != (viewer, "Signed in")]


@pytest.fixture
def history(cast):
    for username, password in [
        ("reporter", "wrong"),
        ("reporter", PASSWORD),
        ("outsider", PASSWORD),
    ]:
        Client().post(reverse("login"), {"username": username, "password": password})
    assert AccessLog.objects.count() == 2
    assert AccessFailureLog.objects.count() == 1


def test_the_log_lists_sign_ins_and_failures_newest_first(history, cast, as_user):
    response = as_user(cast.auditor).get(reverse("accounts:login_log"))
    assert response.status_code == 200
    assert rows(response) == [
        ("outsider", "Signed in"),
        ("reporter", "Signed in"),
        ("reporter", "Failed"),
    ]


FILTERS = [
    ({"username": "report"}, [("reporter", "Signed in"), ("reporter", "Failed")]),
    ({"kind": "failure"}, [("reporter", "Failed")]),
    ({"kind": "success", "username": "outsider"}, [("outsider", "Signed in")]),
    ({"date_from": "2000-01-01", "date_to": "2000-01-02"}, []),
]


def test_filters(history, cast, as_user, subtests):
    client = as_user(cast.auditadmin)
    for query, expected in FILTERS:
        with subtests.test(**query):
            assert rows(client.get(reverse("accounts:login_log"), query)) == expected


def test_filter_by_todays_date(history, cast, as_user):
    today = timezone.localdate()
    response = as_user(cast.auditadmin).get(
        reverse("accounts:login_log"),
        {"date_from": today.isoformat(), "date_to": (today + timedelta(days=1)).isoformat()},
    )
    assert len(rows(response)) == 3


def test_a_reversed_date_range_is_refused(history, cast, as_user):
    response = as_user(cast.auditor).get(
        reverse("accounts:login_log"), {"date_from": "2026-08-28", "date_to": "2026-08-01"}
    )
    assert response.status_code == 400
    assert "must not come before" in response.content.decode()
    assert rows(response) == []


def test_lock_outs_are_marked(cast, as_user):
    browser = Client()
    for attempt in range(5):
        browser.post(reverse("login"), {"username": "leader", "password": f"no-{attempt}"})
    response = as_user(cast.secadmin).get(reverse("accounts:security_login_log"))
    assert response.status_code == 200
    assert "Locked out" in response.content.decode()
    assert len(rows(response)) == 5
