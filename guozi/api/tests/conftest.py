import json

import pytest

from guozi.accounts.services import token_create


@pytest.fixture
def call(client, cast):
    """`call(user, method, path, body=None, **query)`: one API request with the user's token."""
    keys: dict[int, str] = {}

    def request(user, method: str, path: str, body=None, /, **query):
        if user.pk not in keys:
            keys[user.pk] = token_create(acting_user=None, user=user)[1]
        headers = {"Authorization": f"Bearer {keys[user.pk]}"}
        url = "/api/v1" + path
        if method == "get":
            return client.get(url, query, headers=headers)
        return getattr(client, method)(
            url, data=json.dumps(body or {}), content_type="application/json", headers=headers
        )

    return request
