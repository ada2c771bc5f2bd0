"""`guozi reform_snapshots [--since YYYY-MM]`: compute the monthly completion snapshots of the
reform programme, every month since the first assignment (the default) or from a month on."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guozi.ledgers.reform.snapshots import rebuild
from guozi.lib.context import set_channel


class Command(BaseCommand):
    help = "Backfill the reform programme's monthly completion snapshots."

    def add_arguments(self, parser):
        parser.add_argument("--since", metavar="YYYY-MM", help="only the months from this one on")

    def handle(self, *args, since, **options):
        set_channel("cli")
        first = None
        if since:
            try:
                first = date.fromisoformat(f"{since}-01")
            except ValueError as error:
                raise CommandError(_("Give the month as YYYY-MM.")) from error
        written = rebuild(since=first)
        self.stdout.write(
            _("%(months)s months; %(enterprise)s enterprise rows and %(rollup)s roll-up rows "
              "written.")
            % {
                "months": written["months"],
                "enterprise": written["enterprise_rows"],
                "rollup": written["rollup_rows"],
            }
        )  # fmt: skip
