from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupplyConfig(AppConfig):
    name = "guozi.ledgers.supply"
    label = "supply"
    verbose_name = _("Supply chain")

    def ready(self) -> None:
        from guozi.ledgers.registers import add_register

        from .panel import SPEC

        add_register(SPEC)
