from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RndConfig(AppConfig):
    name = "guozi.ledgers.rnd"
    label = "rnd"
    verbose_name = _("Key R&D projects")
