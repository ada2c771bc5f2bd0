from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    name = "guozi.ledgers.safety"
    label = "safety"
    verbose_name = _("Safety incidents")

    def ready(self) -> None:
        from guozi.ledgers.registers import add_register

        from .register import SPEC

        add_register(SPEC)
