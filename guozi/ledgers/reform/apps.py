from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReformConfig(AppConfig):
    name = "guozi.ledgers.reform"
    label = "reform"
    verbose_name = _("Reform programme")

    def ready(self) -> None:
        from guozi.jobs.schedule import SCHEDULE, Entry
        from guozi.ledgers.models import ProgressRule, Register
        from guozi.ledgers.registers import RegisterSpec, add_register

        from .panel import task_panel
        from .tasks import reform_current_job, reform_snapshots_job

        add_register(
            RegisterSpec(
                register=Register.REFORM_TASK,
                attributes=(),
                default_rule=ProgressRule.MILESTONES,
                default_days=365,
                panel=task_panel,
                create_url="reform:assign",
            )
        )
        post_migrate.connect(_load_built_in_catalogues, sender=self)
        entries = [
            Entry(
                name="reform_snapshots",
                cron="15 2 1 * *",
                task=reform_snapshots_job,
                description=_(
                    "Reform programme: snapshot of task completion at the end of the month just "
                    "ended, per enterprise, city, group and portfolio"
                ),
            ),
            Entry(
                name="reform_current",
                cron="5 0 * * *",
                task=reform_current_job,
                description=_("Reform programme: today's completion, computed for the new day"),
            ),
        ]
        known = {entry.name for entry in SCHEDULE}
        SCHEDULE.extend(entry for entry in entries if entry.name not in known)


def _load_built_in_catalogues(sender, using="default", **kwargs) -> None:
    """The reform catalogues that ship with Guozi are in the database after every migrate."""
    from .catalogues import load_built_in

    load_built_in()
