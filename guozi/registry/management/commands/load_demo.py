"""`guozi load_demo [--seed N] [--scale N] [--months M] [--reset]`: the Liaoning demo portfolio
and its monthly fast reports."""

import time
import unicodedata
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from guozi.accounts.models import Role
from guozi.briefings import demo as briefings_demo
from guozi.indicators import demo as indicators_demo
from guozi.ledgers import demo as ledgers_demo
from guozi.lib.errors import DomainError
from guozi.registry import demo
from guozi.reporting import demo as reports_demo


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


class Command(BaseCommand):
    help = (
        "Load the Liaoning demo portfolio: supervisors, about 1,500 fictional enterprises with "
        "their history, one demo user per role, and 36 months of fast reports."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help="random seed; the same seed gives the same registry",
        )
        parser.add_argument(
            "--scale",
            type=int,
            metavar="N",
            help="generate N enterprises of the same shape (for benchmarks)",
        )
        parser.add_argument(
            "--months",
            type=int,
            metavar="M",
            default=None,
            help=(
                "fast reports for the M months up to the last closed one (0: the registry only; "
                f"default {reports_demo.DEFAULT_MONTHS}, or 0 with --scale)"
            ),
        )
        parser.add_argument(
            "--tasks",
            type=int,
            metavar="T",
            default=0,
            help="with --scale: T reform tasks per enterprise, with their updates (benchmarks)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the reports, the registry and the demo users first",
        )

    def handle(self, *args, seed, scale, months, tasks, reset, **options):
        started = time.monotonic()
        total = scale if scale is not None else demo.DEFAULT_TOTAL
        if months is None:  # a scaled registry is for benchmarks: reports only when asked for
            months = 0 if scale is not None else reports_demo.DEFAULT_MONTHS
        reports = computed = None
        registers = []
        try:
            reports_demo.check_months(months)
            with transaction.atomic():
                if reset:
                    briefings_demo.reset()
                    indicators_demo.reset()
                    ledgers_demo.reset()
                    reports_demo.reset()
                loaded = demo.load_demo(seed=seed, total=total, reset_first=reset)
                registry_seconds = time.monotonic() - started
                if months:
                    reports = reports_demo.load_reports(seed=seed, months=months)
                    computed = indicators_demo.compute_demo()
                    items = ledgers_demo.load_demo_items(seed=seed)
                if months or (scale is not None and tasks):
                    registers = ledgers_demo.load_registers(seed=seed, scale=scale, tasks=tasks)
                if months:
                    registers.append(briefings_demo.summary(briefings_demo.load_tour()))
        except DomainError as error:
            raise CommandError(error.message) from error
        _settle()
        levels = Counter(item.ownership_level for item in loaded.plan.enterprises)
        self.stdout.write(
            _(
                "Liaoning demo portfolio (seed %(seed)s): %(n)s enterprises (%(provincial)s "
                "provincial, %(municipal)s municipal, %(central)s central ones observed), "
                "%(links)s management links, %(stakes)s equity links, in %(seconds).1f s."
            )
            % {
                "seed": seed,
                "n": loaded.enterprises,
                "provincial": levels["provincial"],
                "municipal": levels["municipal"],
                "central": levels["central"],
                "links": loaded.management_links,
                "stakes": loaded.equity_links,
                "seconds": registry_seconds,
            }
        )
        if reports:
            self.stdout.write(reports_demo.summary(reports))
            self.stdout.write(indicators_demo.summary(computed))
            self.stdout.write(ledgers_demo.summary(items))
        for line in registers:
            self.stdout.write(line)
        into, absorbed, merged_on = demo.MERGER
        moved, source, target, moved_on = demo.TRANSFER
        self.stdout.write(
            _("History: %(into)s absorbed %(absorbed)s on %(day)s.")
            % {"into": into, "absorbed": absorbed, "day": merged_on}
        )
        self.stdout.write(
            _("History: %(moved)s moved from %(source)s to %(target)s on %(day)s.")
            % {"moved": moved, "source": source, "target": target, "day": moved_on}
        )
        self.stdout.write("")
        self.stdout.write(_("Demo users:"))
        rows = [[_("user"), _("role"), _("node"), _("password")]]
        rows += [
            [name, str(Role(role).label), node, password]
            for name, role, node, password in loaded.users
        ]
        for line in _table(rows):
            self.stdout.write("  " + line)
        if not settings.GUOZI_TODAY:
            self.stdout.write("")
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "GUOZI_TODAY is not set: the demo is meant to run on %(day)s. Start the "
                        "server with GUOZI_TODAY=%(day)s."
                    )
                    % {"day": demo.DEMO_TODAY.isoformat()}
                )
            )


def _settle() -> None:
    """After a bulk load, PostgreSQL has no statistics on the new rows and autovacuum is about
    to scan them all; vacuum and analyse now, so that the first work on the demo is neither
    planned blind nor competing with that scan."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
