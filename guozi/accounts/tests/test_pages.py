"""Who may open which page: the right role gets 200, the wrong ones 403, anonymous users login."""

import re

from django.urls import reverse

EVERYONE = [
    "analyst",
    "reviewer",
    "leader",
    "auditor",
    "sysadmin",
    "secadmin",
    "auditadmin",
    "reporter",
    "group_reviewer",
]


def page_url(cast, name):
    if name == "accounts:user":
        return reverse(name, args=[cast.reporter.id])
    return reverse(name)


PAGES = {
    "accounts:inbox": set(EVERYONE),
    "accounts:tokens": set(EVERYONE),
    "accounts:users": {"secadmin"},
    "accounts:user_new": {"secadmin"},
    "accounts:user": {"secadmin"},
    "accounts:security_login_log": {"secadmin"},
    "accounts:login_log": {"auditor", "auditadmin"},
    "audit:log": {"auditor", "auditadmin"},
}


def test_page_access_by_role(cast, login, client, subtests):
    """Anonymous users are sent to the login page from each of these: see test_scopes."""
    for name, allowed in PAGES.items():
        url = page_url(cast, name)
        for username in EVERYONE:
            with subtests.test(page=name, user=username):
                client.logout()
                response = login(getattr(cast, username)).get(url)
                assert response.status_code == (200 if username in allowed else 403)


USER_ACTIONS = [
    "accounts:user_edit",
    "accounts:user_set_active",
    "accounts:user_unlock",
    "accounts:user_tokens_revoke",
    "accounts:membership_new",
]


def test_user_actions_are_for_the_security_admin_only(cast, login, client, subtests):
    for action in USER_ACTIONS:
        url = reverse(action, args=[cast.reporter.id])
        for username in ["analyst", "auditor", "sysadmin", "auditadmin", "reporter"]:
            with subtests.test(action=action, user=username):
                client.logout()
                response = login(getattr(cast, username)).post(url, {"active": "0"})
                assert response.status_code == 403
    cast.reporter.refresh_from_db()
    assert cast.reporter.is_active


def test_actions_refuse_get(cast, login):
    client = login(cast.secadmin)
    url = reverse("accounts:user_set_active", args=[cast.reporter.id])
    assert client.get(url).status_code == 405
    assert client.get(reverse("accounts:inbox_read_all")).status_code == 405


ADMIN_ROLES = {"sysadmin", "secadmin", "auditadmin", "auditor"}


def test_admin_site_by_role(cast, login, client):
    for username in EVERYONE:
        client.logout()
        response = login(getattr(cast, username)).get("/admin/", follow=True)
        expected = 200 if username in ADMIN_ROLES else 403
        assert response.status_code == expected, username


def test_an_inactive_admin_is_refused(cast, login):
    cast.sysadmin.is_active = False
    cast.sysadmin.save()
    response = login(cast.sysadmin).get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


def test_unknown_user_page_is_404(cast, login):
    response = login(cast.secadmin).get(reverse("accounts:user", args=[999999]))
    assert response.status_code == 404


def test_pages_speak_chinese_by_default(cast, login):
    client = login(cast.secadmin)
    users = client.get(reverse("accounts:users")).content.decode()
    assert "新建用户" in users and "登录日志" in users
    assert "安全管理员" in users  # the role names
    inbox = client.get(reverse("accounts:inbox")).content.decode()
    assert "没有消息。" in inbox


def test_every_message_has_a_chinese_translation():
    from pathlib import Path

    for app in ["accounts", "audit"]:
        po = Path(__file__).parents[2] / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
        text = po.read_text(encoding="utf-8")
        assert "#, fuzzy" not in text, app
        translations = [
            "".join(re.findall(r'"(.*)"', block))
            for block in re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', text, re.M)
        ]
        assert len(translations) > 20, app
        empty = [number for number, value in enumerate(translations[1:], 1) if not value]
        assert empty == [], app
