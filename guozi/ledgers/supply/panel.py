"""The supply-chain register as the ledgers know it: its `RegisterSpec`, and the panel that
shows an input's suppliers and concentration on the shared item page."""

from django.utils.translation import gettext_lazy as _

from guozi.ledgers.models import ProgressRule, Register, TrackedItem
from guozi.ledgers.registers import Attribute, RegisterSpec

from .countries import country_name
from .selectors import input_of, with_sources

# Diversifying a supply (qualifying a second supplier, a domestic substitute) takes months.
DEFAULT_DAYS = 180


def supply_panel(item: TrackedItem) -> tuple[str, dict]:
    """The input, its suppliers and its flags; a notice when the input is not recorded yet."""
    supply_input = input_of(item)
    if supply_input is None:
        return "supply/_panel.html", {"item": item, "input": None}
    supply_input = with_sources([supply_input])[0]
    for source in supply_input.source_list:
        source.country_name = country_name(source.country)
    return "supply/_panel.html", {"item": item, "input": supply_input}


SPEC = RegisterSpec(
    register=Register.SUPPLY_INPUT,
    attributes=(Attribute("plan", _("Mitigation plan"), "text"),),
    default_rule=ProgressRule.MANUAL,
    default_days=DEFAULT_DAYS,
    panel=supply_panel,
)
