"""`guozi validate_reports [--form CODE] [--from P] [--to P]`: run every rule again."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guozi.jobs.progress import cli_progress
from guozi.lib.periods import Period
from guozi.reporting.models import Form, Submission
from guozi.reporting.validation import validate_range


class Command(BaseCommand):
    help = "Validate the stored reports of a form over a range of periods (default: all)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--form", default="fast_report")
        parser.add_argument("--from", dest="first", help="first period, e.g. 2024-01")
        parser.add_argument("--to", dest="last", help="last period, e.g. 2026-07")

    def handle(self, *args, form, first, last, **options):
        found = Form.objects.filter(code=form).first()
        if found is None:
            raise CommandError(_("No such form: %(form)s") % {"form": form})
        stored = sorted(set(Submission.objects.filter(form=found).values_list("period", flat=True)))
        try:
            periods = [Period.parse(p) for p in stored]
            if first:
                periods = [p for p in periods if p >= Period.parse(first)]
            if last:
                periods = [p for p in periods if p <= Period.parse(last)]
        except ValueError as error:
            raise CommandError(str(error)) from error
        started = time.monotonic()
        count = validate_range(found, periods, progress=cli_progress(self.stderr))
        self.stdout.write(
            _("%(count)s reports in %(periods)s periods validated in %(seconds).1f s.")
            % {"count": count, "periods": len(periods), "seconds": time.monotonic() - started}
        )
