"""How the R&D register's pages show amounts (万元) and shares."""

from django import template

from guozi.ledgers.rnd import rules

register = template.Library()


@register.filter
def wan(fen):
    """Fen as 万元 with two decimals and thousands separators; "" when there is no amount."""
    value = rules.wan(fen)
    if value is None:
        return ""
    return f"{value:,.2f}"


@register.filter
def percent(share):
    """A share (1.0 = 100 %) in percent with one decimal; "" when there is none."""
    if share is None:
        return ""
    return f"{100 * share:.1f}%"


@register.filter
def count_of(counter, key):
    """How many of `key` a Counter holds (0 when none)."""
    return counter.get(key, 0) if counter else 0
