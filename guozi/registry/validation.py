"""Field rules for enterprises, shared by the web form, the API and the bulk import.

Each cleaner takes the raw value and returns the clean value, or raises `FieldError` with a
message in the user's language that says what would be accepted.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guozi.lib import codetables
from guozi.lib.uscc import check_uscc

from .models import EnterpriseStatus, OwnershipLevel, Portfolio


class FieldError(ValueError):
    def __init__(self, message: str, *, warning: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.warning = warning


def _in_language(problem) -> str:
    return problem.message_en if (get_language() or "").startswith("en") else problem.message_zh


def clean_uscc(value) -> tuple[str | None, list[str]]:
    """The normalised USCC (or None when blank) and its warnings; errors raise."""
    text = str(value or "").strip()
    if not text:
        return None, []
    result = check_uscc(text)
    if result.errors:
        raise FieldError("; ".join(_in_language(p) for p in result.errors))
    return result.code, [_in_language(p) for p in result.warnings]


def clean_country(value) -> str:
    text = str(value or "").strip().upper()
    if text and (len(text) != 2 or not text.isalpha() or not text.isascii()):
        raise FieldError(_("Country must be a two-letter ISO 3166 code such as DE or SG."))
    return text


def clean_region(value) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    if text.endswith(".0"):
        text = text[:-2]
    found = codetables.region(text)
    if found is None or not found.current:
        raise FieldError(
            _("Region %(code)s is not a current GB/T 2260 code (six digits, e.g. 210100).")
            % {"code": text}
        )
    return text


def clean_industry(value) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    code = codetables.normalise_industry_code(text)
    if code is None or len(code) < 3:
        raise FieldError(
            _(
                "Industry %(code)s is not a GB/T 4754-2017 division or finer "
                "(e.g. C31 or 31 for 黑色金属冶炼和压延加工业)."
            )
            % {"code": text}
        )
    return code


def _choice(value, choices: type, label: str) -> str:
    text = str(value or "").strip()
    for choice in choices:
        if text.lower() == choice.value or text in {str(choice.label), _zh_label(choice)}:
            return choice.value
    accepted = ", ".join(f"{c.value} / {_zh_label(c)}" for c in choices)
    raise FieldError(
        _("%(label)s %(value)r is not one of: %(accepted)s.")
        % {"label": label, "value": text, "accepted": accepted}
    )


def _zh_label(choice) -> str:
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(choice.label)


def clean_ownership_level(value) -> str:
    return _choice(value, OwnershipLevel, _("Ownership level"))


def clean_status(value) -> str:
    if not str(value or "").strip():
        return EnterpriseStatus.ACTIVE
    return _choice(value, EnterpriseStatus, _("Status"))


def clean_portfolio(value) -> str:
    if not str(value or "").strip():
        return Portfolio.OWN
    return _choice(value, Portfolio, _("Portfolio"))


def clean_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(_("Dates are written YYYY-MM-DD, e.g. 2003-06-18.")) from None


def clean_pct(value) -> Decimal | None:
    if value in (None, ""):
        return None
    text = str(value).strip().rstrip("%")
    try:
        pct = Decimal(text)
    except InvalidOperation:
        raise FieldError(_("A percentage is a number from 0 to 100, e.g. 51 or 51.5.")) from None
    if not pct.is_finite() or pct < 0 or pct > 100:
        raise FieldError(_("The percentage %(pct)s is outside 0–100.") % {"pct": text})
    return pct.quantize(Decimal("0.0001"))


def clean_listed_codes(value) -> str:
    text = str(value or "").replace("；", ";").replace("，", ",").replace(";", ",")
    codes = [code.strip().upper() for code in text.split(",") if code.strip()]
    return ",".join(codes)


def clean_required_text(value, label: str, max_length: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise FieldError(_("%(label)s is required.") % {"label": label})
    if len(text) > max_length:
        raise FieldError(
            _("%(label)s is longer than %(n)d characters.") % {"label": label, "n": max_length}
        )
    return text


def clean_text(value, label: str, max_length: int) -> str:
    text = str(value or "").strip()
    if len(text) > max_length:
        raise FieldError(
            _("%(label)s is longer than %(n)d characters.") % {"label": label, "n": max_length}
        )
    return text
