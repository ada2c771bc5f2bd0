"""Test helpers shared by the accounts and audit tests."""

from django.conf import settings

from guozi.conftest import make_enterprise
from guozi.registry import services as registry


def other_supervisor():
    """A supervisor outside the cast's tree (Shanghai), with one group."""
    sh = registry.supervisor_create(
        acting_user=None,
        fields={
            "code": "sh",
            "name_zh": "上海市国资委",
            "name_en": "Shanghai SASAC",
            "region_code": "310000",
            "level": "provincial",
        },
    )
    group = make_enterprise(
        None, name="上海港务集团有限公司", supervisor=sh, body="H0000001", region="310100"
    )
    return sh, group


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
