import pytest

from .helpers import in_english, other_supervisor


@pytest.fixture
def other(cast):
    return other_supervisor()


@pytest.fixture
def as_user(login):
    """`as_user(user)`: a signed-in test client that gets English pages."""

    def sign_in(user):
        return in_english(login(user))

    return sign_in
