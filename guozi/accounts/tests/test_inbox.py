"""The inbox: one's own messages, newest first, in one's language; read marks; e-mail."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from guozi.accounts import services
from guozi.accounts.models import Notification


def note(user, number):
    return services.notify(
        user=user,
        subject_zh=f"第{number}号通知",
        subject_en=f"Notice {number}",
        body_zh=f"正文{number}",
        body_en=f"Body {number}",
    )


def unread(client) -> int:
    return client.get(reverse("accounts:inbox")).context["nav"]["unread"]


def test_a_user_sees_only_their_own_messages_newest_first(cast, as_user):
    for number in (1, 2, 3):
        note(cast.reporter, number)
    note(cast.outsider, 99)
    page = as_user(cast.reporter).get(reverse("accounts:inbox")).content.decode()
    assert "Notice 99" not in page
    shown = re.findall(r"Notice (\d+)", page)
    assert shown == ["3", "2", "1"]
    assert "Body 2" in page


def test_messages_are_shown_in_the_users_language(cast, login):
    note(cast.reporter, 1)
    page = login(cast.reporter).get(reverse("accounts:inbox")).content.decode()
    assert "第1号通知" in page
    assert "正文1" in page
    assert "Notice 1" not in page


def test_mark_one_read_with_htmx_updates_list_and_badge(cast, as_user):
    first, second = note(cast.reporter, 1), note(cast.reporter, 2)
    client = as_user(cast.reporter)
    assert unread(client) == 2
    response = client.post(
        reverse("accounts:inbox_read", args=[first.id]), {"page": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="inbox-list">')
    assert "<!doctype" not in html
    badge = 'hx-swap-oob="outerHTML:header.topbar a.inbox">Inbox <b class="badge">1</b>'
    assert badge in html
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None
    assert unread(client) == 1


def test_mark_all_read_without_htmx_redirects(cast, as_user):
    for number in (1, 2):
        note(cast.reporter, number)
    other = note(cast.outsider, 3)
    client = as_user(cast.reporter)
    response = client.post(reverse("accounts:inbox_read_all"))
    assert response.status_code == 302
    assert unread(client) == 0
    page = client.get(reverse("accounts:inbox")).content.decode()
    assert 'class="badge"' not in page
    other.refresh_from_db()
    assert other.read_at is None


def test_nobody_marks_another_users_message(cast, as_user):
    theirs = note(cast.outsider, 1)
    as_user(cast.reporter).post(reverse("accounts:inbox_read", args=[theirs.id]))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_an_empty_inbox(cast, as_user):
    page = as_user(cast.reporter).get(reverse("accounts:inbox")).content.decode()
    assert "No messages." in page


@pytest.fixture
def relay(settings):
    settings.EMAIL_HOST = "mail.lnsasac.example"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_with_a_relay_a_message_is_emailed_in_the_users_language(
    cast, relay, django_capture_on_commit_callbacks
):
    cast.reporter.email = "reporter@example.cn"
    cast.reporter.language = "en"
    cast.reporter.save()
    with django_capture_on_commit_callbacks(execute=True):
        sent = note(cast.reporter, 7)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Notice 7"
    assert mail.outbox[0].body == "Body 7"
    assert mail.outbox[0].to == ["reporter@example.cn"]
    sent.refresh_from_db()
    assert sent.emailed_at is not None


def test_chinese_users_get_chinese_mail(cast, relay, django_capture_on_commit_callbacks):
    cast.reporter.email = "reporter@example.cn"
    cast.reporter.save()
    with django_capture_on_commit_callbacks(execute=True):
        note(cast.reporter, 8)
    assert mail.outbox[0].subject == "第8号通知"


def test_no_mail_without_a_relay_or_an_address(cast, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_HOST = ""
    cast.reporter.email = "reporter@example.cn"
    cast.reporter.save()
    with django_capture_on_commit_callbacks(execute=True):
        note(cast.reporter, 1)
    settings.EMAIL_HOST = "mail.lnsasac.example"
    with django_capture_on_commit_callbacks(execute=True):
        note(cast.outsider, 2)  # no address
    assert mail.outbox == []
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 0
    assert Notification.objects.count() == 2
