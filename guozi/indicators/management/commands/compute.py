"""`guozi compute [--period P ...] [--form CODE ...] [--all]`: compute indicators again."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guozi.indicators.services import DEFAULT_FRAMEWORK, compute, refresh_statistics
from guozi.jobs.progress import cli_progress
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period


class Command(BaseCommand):
    help = (
        "Compute every indicator, roll-up and health-check ratio: for the given periods, or for "
        "every period with reports (--all)."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--period", action="append", default=[], help="e.g. 2026-07")
        parser.add_argument("--form", action="append", default=[], help="e.g. fast_report")
        parser.add_argument("--all", action="store_true", help="every period with reports")
        parser.add_argument("--framework", default=DEFAULT_FRAMEWORK, help="e.g. sasac")

    def handle(self, *args, period, form, all, framework, **options):
        if not period and not all:
            raise CommandError(_("Name the periods with --period, or use --all."))
        try:
            periods = [Period.parse(p) for p in period] if period else None
        except ValueError as error:
            raise CommandError(str(error)) from error
        started = time.monotonic()
        try:
            runs = compute(periods=periods, forms=form or None, progress=cli_progress(self.stderr))
        except DomainError as error:
            raise CommandError(error.message) from error
        if all:
            refresh_statistics()
        self.stdout.write(
            _("%(runs)s computations (%(rows)s reports) in %(seconds).1f s.")
            % {
                "runs": len(runs),
                "rows": sum(run.reports for run in runs),
                "seconds": time.monotonic() - started,
            }
        )
