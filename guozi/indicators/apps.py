from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "guozi.indicators"
    verbose_name = _("Indicators")

    def ready(self) -> None:
        post_migrate.connect(_load_built_in_frameworks, sender=self)
        from guozi.reporting.signals import reports_changed

        from .services import mark_stale

        reports_changed.connect(mark_stale, dispatch_uid="indicators_mark_stale")


def _load_built_in_frameworks(sender, using="default", **kwargs) -> None:
    """The indicator frameworks that ship with Guozi are in the database after every migrate."""
    from .frameworks import load_built_in

    load_built_in()
