from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "guozi.reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        post_migrate.connect(_load_built_in_frameworks, sender=self)
        from guozi.jobs.schedule import SCHEDULE, Entry

        from .reminders import reminders_job

        if not any(entry.name == "report_reminders" for entry in SCHEDULE):
            SCHEDULE.append(
                Entry(
                    name="report_reminders",
                    cron="0 8 * * *",
                    task=reminders_job,
                    description=_("Reminders of report deadlines: due soon and overdue"),
                )
            )


def _load_built_in_frameworks(sender, using="default", **kwargs) -> None:
    """The forms that ship with Guozi are in the database after every migrate."""
    from .frameworks import load_built_in

    load_built_in()
