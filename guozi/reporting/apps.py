from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "guozi.reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        post_migrate.connect(_load_built_in_frameworks, sender=self)


def _load_built_in_frameworks(sender, using="default", **kwargs) -> None:
    """The forms that ship with Guozi are in the database after every migrate."""
    from .frameworks import load_built_in

    load_built_in()
