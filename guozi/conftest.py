"""The fixed cast every test can use (healthchecks' Alice, Bob and Charlie, for a SASAC).

Liaoning SASAC (ln) with Dalian SASAC (dl) below it.
  ln → group A (Liaoning Steel)   → A1 → A11
                                   → A2
  ln → group B (Liaoning Port)    → B1
  dl → group D (Dalian Metro)
Users: one per role, at the node their role needs; `outsider` is B's reporter.
"""

import os
import shutil
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from guozi.accounts.models import Membership, Role, User
from guozi.lib.context import reset_channel
from guozi.lib.uscc import make_uscc
from guozi.registry import services
from guozi.registry.models import FunctionClass

PASSWORD = "Guozi-test-2026!"
START = date(2015, 1, 1)


def make_enterprise(
    cast_or_none,
    *,
    name,
    supervisor,
    parent=None,
    pct="100",
    body,
    region="210100",
    industry="C31",
    level="provincial",
    valid_from=START,
    managed=True,
    **extra,
):
    fields = {
        "uscc": make_uscc("9", "1", region, body),
        "name_zh": name,
        "name_en": extra.pop("name_en", ""),
        "short_name": extra.pop("short_name", name[:6]),
        "supervisor": supervisor,
        "region_code": region,
        "industry_code": industry,
        "ownership_level": level,
        "function_class": FunctionClass.objects.get(
            supervisor=supervisor, code="commercial_competitive"
        ),
        **extra,
    }
    return services.enterprise_create(
        acting_user=None,
        fields=fields,
        parent=parent,
        parent_supervisor=None if parent or not managed else supervisor,
        ownership_pct=Decimal(pct) if managed else None,
        valid_from=valid_from,
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is slow on purpose; tests sign in often and do not test the hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_audit_channel():
    """Commands under test set the channel to "cli"; the next test starts from "system"."""
    yield
    reset_channel()


@pytest.fixture
def cast(db, settings):
    settings.GUOZI_TODAY = "2026-08-28"
    ln = services.supervisor_create(
        acting_user=None,
        fields={
            "code": "ln",
            "name_zh": "辽宁省国资委",
            "name_en": "Liaoning SASAC",
            "region_code": "210000",
            "level": "provincial",
        },
    )
    dl = services.supervisor_create(
        acting_user=None,
        fields={
            "code": "dl",
            "name_zh": "大连市国资委",
            "name_en": "Dalian SASAC",
            "region_code": "210200",
            "level": "municipal",
        },
        parent=ln,
    )
    a = make_enterprise(
        None,
        name="辽宁钢铁集团有限公司",
        name_en="Liaoning Steel Group",
        supervisor=ln,
        body="A0000001",
        short_name="辽钢",
    )
    a1 = make_enterprise(None, name="辽钢板材有限公司", supervisor=ln, parent=a, body="A0000002")
    a11 = make_enterprise(
        None, name="辽钢板材鞍山加工厂", supervisor=ln, parent=a1, body="A0000003", region="210300"
    )
    a2 = make_enterprise(
        None,
        name="辽钢矿业有限公司",
        supervisor=ln,
        parent=a,
        pct="70",
        body="A0000004",
        region="210500",
    )
    b = make_enterprise(
        None,
        name="辽宁港口集团有限公司",
        name_en="Liaoning Port Group",
        supervisor=ln,
        body="B0000001",
        region="210200",
        industry="G55",
        short_name="辽港",
    )
    b1 = make_enterprise(
        None,
        name="营口港务有限公司",
        supervisor=ln,
        parent=b,
        body="B0000002",
        region="210800",
        industry="G55",
    )
    d = make_enterprise(
        None,
        name="大连地铁集团有限公司",
        supervisor=dl,
        body="D0000001",
        region="210200",
        industry="G54",
        level="municipal",
    )
    users = {}
    for name, role, node in [
        ("analyst", Role.SUPERVISOR_ANALYST, ln),
        ("reviewer", Role.SUPERVISOR_REVIEWER, ln),
        ("leader", Role.SUPERVISOR_LEADER, ln),
        ("auditor", Role.AUDITOR, ln),
        ("sysadmin", Role.SYSTEM_ADMIN, ln),
        ("secadmin", Role.SECURITY_ADMIN, ln),
        ("auditadmin", Role.AUDIT_ADMIN, ln),
        ("dl_analyst", Role.SUPERVISOR_ANALYST, dl),
        ("reporter", Role.ENTERPRISE_REPORTER, a),
        ("group_reviewer", Role.ENTERPRISE_REVIEWER, a),
        ("sub_reporter", Role.ENTERPRISE_REPORTER, a1),
        ("outsider", Role.ENTERPRISE_REPORTER, b),
    ]:
        user = User.objects.create_user(username=name, password=PASSWORD)
        Membership.objects.create(
            user=user,
            role=role,
            supervisor=node
            if role not in {Role.ENTERPRISE_REPORTER, Role.ENTERPRISE_REVIEWER}
            else None,
            enterprise=node
            if role in {Role.ENTERPRISE_REPORTER, Role.ENTERPRISE_REVIEWER}
            else None,
            valid_from=START,
        )
        users[name] = user
    return SimpleNamespace(ln=ln, dl=dl, a=a, a1=a1, a11=a11, a2=a2, b=b, b1=b1, d=d, **users)


@pytest.fixture
def login(client):
    """`login(user)` signs the test client in as `user` and returns the client."""

    def sign_in(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """A page in headless Chromium against the live server. Outside CI a missing browser skips
    the test with the reason; under CI=true it fails."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required under CI=true (apt-get install chromium)")
        pytest.skip("Chromium is not installed; browser tests need it")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser.new_context(locale="zh-CN").new_page()
        browser.close()
