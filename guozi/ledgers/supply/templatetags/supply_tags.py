from decimal import Decimal

from django import template

from ..countries import country_name
from ..models import FLAG_LABELS
from ..services import FEN_PER_WAN

register = template.Library()


@register.filter
def flag_label(flag: str) -> str:
    """A risk flag's name in the user's language."""
    label = FLAG_LABELS.get(flag)
    return str(label) if label is not None else flag


@register.filter
def country(code: str) -> str:
    """A country's or region's name in the user's language, or its code."""
    return country_name(code)


@register.filter
def wan(fen: int | None) -> str:
    """Fen as 万元 with thousands separators and up to two decimals; "—" when missing."""
    if fen is None:
        return "—"
    return f"{Decimal(fen) / FEN_PER_WAN:,.2f}".rstrip("0").rstrip(".")
