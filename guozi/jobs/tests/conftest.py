"""Local services the jobs tests need: skipped with the reason outside CI, failed with CI=true."""

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings


def redis_url(db: int) -> str:
    """settings.REDIS_URL with another database number, so tests never touch real queues."""
    return urlunsplit(urlsplit(settings.REDIS_URL)._replace(path=f"/{db}"))


def _redis_problem() -> str | None:
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=2).ping()
    except Exception as exc:
        return f"Redis at {settings.REDIS_URL} is not reachable ({exc})"
    return None


SERVICE_CHECKS = {"redis": _redis_problem}


def require_service(name: str) -> None:
    """Skip the calling test when the service is missing; with CI=true, fail it instead."""
    problem = SERVICE_CHECKS[name]()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{problem}; CI=true needs it")
    pytest.skip(problem)


@pytest.fixture(name="require_service")
def require_service_fixture():
    return require_service
