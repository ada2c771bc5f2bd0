from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BriefingsConfig(AppConfig):
    name = "guozi.briefings"
    label = "briefings"
    verbose_name = _("Inspection briefs")

    def ready(self) -> None:
        from guozi.jobs.schedule import SCHEDULE, Entry

        from .tasks import monthly_reports_job

        entry = Entry(
            name="monthly_reports",
            cron="30 6 * * *",
            task=monthly_reports_job,
            description=_(
                "Monthly analysis reports: each supervisor's report of the latest month whose "
                "reporting deadline has passed, once"
            ),
        )
        if entry.name not in {known.name for known in SCHEDULE}:
            SCHEDULE.append(entry)
