"""Assertions shared by the API tests."""


def assert_error(response, status: int, code: str) -> dict:
    """The response is an error in the API's one shape; returns its fields."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["fields"]
