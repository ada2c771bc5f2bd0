"""Domain errors: raised by services, mapped once to the UI's messages and the API's JSON shape."""

from dataclasses import dataclass, field


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
    def __init__(self, message: str = "Not found") -> None:
        super().__init__(message=message, code="not_found", status=404)


class Forbidden(DomainError):
    def __init__(self, message: str = "Forbidden") -> None:
        super().__init__(message=message, code="forbidden", status=403)
