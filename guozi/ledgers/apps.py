from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgersConfig(AppConfig):
    name = "guozi.ledgers"
    verbose_name = _("Ledgers")

    def ready(self) -> None:
        from guozi.jobs.schedule import SCHEDULE, Entry

        from .reminders import ledger_reminders_job
        from .tasks import evidence_sweep_job

        entries = [
            Entry(
                name="ledger_reminders",
                cron="30 8 * * *",
                task=ledger_reminders_job,
                description=_(
                    "Reminders of ledger items: due soon, overdue and inactive, escalated"
                ),
            ),
            Entry(
                name="ledger_evidence_sweep",
                cron="45 3 * * *",
                task=evidence_sweep_job,
                description=_(
                    "Evidence store: delete files that no ledger update names, a day after an "
                    "interrupted upload left them"
                ),
            ),
        ]
        known = {entry.name for entry in SCHEDULE}
        SCHEDULE.extend(entry for entry in entries if entry.name not in known)
