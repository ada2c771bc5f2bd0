from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RndConfig(AppConfig):
    name = "guozi.ledgers.rnd"
    label = "rnd"
    verbose_name = _("Key R&D projects")

    def ready(self) -> None:
        from guozi.ledgers.models import ProgressRule, Register
        from guozi.ledgers.registers import RegisterSpec, add_register

        from .panel import panel

        add_register(
            RegisterSpec(
                register=Register.RD_PROJECT,
                attributes=(),
                default_rule=ProgressRule.MILESTONES,
                default_days=3 * 365,
                panel=panel,
            )
        )
