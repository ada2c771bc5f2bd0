"""How the register's figures read on its pages: counts and amounts grouped by thousands,
shares in percent, and a missing figure as a dash (missing is not zero)."""

from decimal import Decimal

from django import template

from guozi.ledgers.legacy import rules

register = template.Library()

MISSING = "—"
FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 yuan = 1,000,000 fen


@register.filter
def count(value) -> str:
    return MISSING if value is None else f"{int(value):,}"


@register.filter
def yuan(value) -> str:
    """An amount in yuan, to the fen."""
    return MISSING if value is None else f"{Decimal(value):,.2f}"


@register.filter
def wan(fen) -> str:
    """An amount in fen as 万元 (ten thousand yuan), two decimals."""
    if fen is None:
        return MISSING
    return f"{(Decimal(int(fen)) / FEN_PER_WAN).quantize(Decimal('0.01')):,}"


@register.filter
def percent(share) -> str:
    """A share (0–1) in percent with one decimal; undefined shares as a dash."""
    return MISSING if share is None else f"{100 * share:.1f}%"


@register.filter
def width(share) -> str:
    """A share as a CSS width in percent, between 0 and 100."""
    if share is None:
        return "0"
    return f"{max(0.0, min(100.0, 100 * share)):.1f}"


@register.filter
def share_of(done, total) -> float | None:
    return rules.share(done, total)
