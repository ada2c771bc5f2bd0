"""What each register adds to the common tracked item: its own fields, kept in `attributes`,
its default progress rule and its usual time to the due date.

Adding a register is adding a `Register` choice and a `RegisterSpec`: the rectification register's
is here, every other register's app (`guozi/ledgers/<register>/`) adds its own with
`add_register()` when it is ready. The lifecycle, permissions, history, reminders, item pages and
API are the same for every register; a register with tables of its own shows them on the item
page through its `panel`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.lib.errors import DomainError

from .models import ProgressRule, Register


@dataclass(frozen=True)
class Attribute:
    key: str
    label: Promise
    kind: str  # "choice", "text", "date", "integer" or "decimal" (never negative)
    choices: tuple[tuple[str, Promise], ...] = ()
    required: bool = False
    max_length: int = 2000


@dataclass(frozen=True)
class RegisterSpec:
    register: str
    attributes: tuple[Attribute, ...]
    default_rule: str
    default_days: int  # from opening to the due date, when none is given
    # The register's own tables on the item page: item -> (template name, context), or None.
    panel: Callable[[object], tuple[str, dict] | None] | None = None
    # The page that opens the register's items with its own figures (a URL name), when a bare
    # item would not count; the common form and API then send there.
    create_url: str = ""

    def attribute(self, key: str) -> Attribute | None:
        return next((a for a in self.attributes if a.key == key), None)


SEVERITIES = (
    ("general", gettext_lazy("General")),
    ("serious", gettext_lazy("Serious")),
    ("major", gettext_lazy("Major")),
)

REGISTERS: dict[str, RegisterSpec] = {
    Register.RECTIFICATION: RegisterSpec(
        register=Register.RECTIFICATION,
        attributes=(
            Attribute("severity", gettext_lazy("Severity of the finding"), "choice", SEVERITIES),
            Attribute("measures", gettext_lazy("Rectification measures"), "text"),
        ),
        default_rule=ProgressRule.MANUAL,
        default_days=60,
    ),
}


def add_register(spec: RegisterSpec) -> None:
    """Make a register known (its app calls this from `ready()`); adding it twice is a no-op."""
    REGISTERS.setdefault(spec.register, spec)


def spec_of(register: str) -> RegisterSpec:
    spec = REGISTERS.get(register)
    if spec is None:
        raise DomainError(
            _("There is no register %(value)s; the registers are: %(known)s.")
            % {"value": register, "known": ", ".join(REGISTERS)},
            code="register",
            fields={"register": [_("Unknown register.")]},
        )
    return spec


def clean_attributes(register: str, raw: dict | None) -> dict:
    """The register's own fields, checked: unknown keys, bad choices, dates and missing
    required ones are errors under `attributes.<key>`. Empty values are left out."""
    spec = spec_of(register)
    raw = raw or {}
    if not isinstance(raw, dict):
        raise DomainError(
            _("The register's fields must be a mapping of name to value."),
            code="attributes",
            fields={"attributes": [_("Not a mapping.")]},
        )
    cleaned, errors = {}, {}
    for key in raw:
        if spec.attribute(str(key)) is None:
            errors[f"attributes.{key}"] = [
                _("This register has no field %(key)s; its fields are: %(known)s.")
                % {"key": key, "known": ", ".join(a.key for a in spec.attributes) or "—"}
            ]
    for attribute in spec.attributes:
        value = raw.get(attribute.key)
        value = "" if value is None else str(value).strip()
        where = f"attributes.{attribute.key}"
        if not value:
            if attribute.required:
                errors[where] = [_("Required.")]
            continue
        if attribute.kind == "choice" and value not in {code for code, _label in attribute.choices}:
            errors[where] = [
                _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(code for code, _label in attribute.choices)}
            ]
        elif attribute.kind == "date":
            try:
                value = date.fromisoformat(value).isoformat()
            except ValueError:
                errors[where] = [_("Enter a date as YYYY-MM-DD.")]
        elif attribute.kind in ("integer", "decimal"):
            number, problem = _number(value, attribute.kind)
            if problem:
                errors[where] = [problem]
            value = number
        elif len(value) > attribute.max_length:
            errors[where] = [
                _("At most %(n)s characters.") % {"n": attribute.max_length},
            ]
        cleaned[attribute.key] = value
    if errors:
        raise DomainError(
            _("Some of the register's fields are not valid."), code="attributes", fields=errors
        )
    return cleaned


def _number(text: str, kind: str) -> tuple[str, str]:
    """(the number as stored text, "") or ("", why it is not one)."""
    try:
        number = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        return "", _("Enter a number.")
    if number < 0:
        return "", _("Cannot be negative.")
    if kind == "integer":
        if number != number.to_integral_value():
            return "", _("Enter a whole number.")
        return str(int(number)), ""
    return format(number.normalize(), "f"), ""


def attribute_display(register: str, attributes: dict) -> list[tuple[str, str]]:
    """(label, value) of the filled fields, choices by their label, in the register's order."""
    spec = REGISTERS.get(register)
    if spec is None:
        return []
    shown = []
    for attribute in spec.attributes:
        value = attributes.get(attribute.key)
        if not value:
            continue
        if attribute.kind == "choice":
            value = str(dict(attribute.choices).get(value, value))
        shown.append((str(attribute.label), value))
    return shown
