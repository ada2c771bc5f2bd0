"""Domain errors: raised by services, mapped once to the UI's messages and the API's JSON shape."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass
class DomainError(Exception):
    """A rule of the domain refused a change. `message` is already translated."""

    message: str
    code: str = "invalid"
    fields: dict[str, list[str]] = field(default_factory=dict)
    status: int = 400

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    def __init__(self, message: str = "") -> None:
        super().__init__(message=message or _("Not found"), code="not_found", status=404)


class Forbidden(DomainError):
    def __init__(self, message: str = "") -> None:
        super().__init__(message=message or _("Forbidden"), code="forbidden", status=403)
