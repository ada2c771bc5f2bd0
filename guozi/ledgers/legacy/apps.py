from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegacyConfig(AppConfig):
    name = "guozi.ledgers.legacy"
    label = "legacy"
    verbose_name = _("Legacy problems")

    def ready(self) -> None:
        from guozi.ledgers.models import ProgressRule, Register
        from guozi.ledgers.registers import RegisterSpec, add_register

        from .panel import item_panel

        add_register(
            RegisterSpec(
                register=Register.LEGACY_PROBLEM,
                attributes=(),
                default_rule=ProgressRule.MANUAL,
                default_days=365,
                panel=item_panel,
            )
        )
