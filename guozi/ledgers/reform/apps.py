from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReformConfig(AppConfig):
    name = "guozi.ledgers.reform"
    label = "reform"
    verbose_name = _("Reform programme")
