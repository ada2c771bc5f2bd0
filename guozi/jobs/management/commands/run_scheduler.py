import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from guozi.jobs.schedule import SCHEDULE, next_run, run_due
from guozi.lib import clock

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Start the periodic jobs in guozi/jobs/schedule.py when they are due (China time)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Check once, then exit.")
        parser.add_argument(
            "--interval", type=float, default=30, help="Seconds between checks (default 30)."
        )

    def handle(self, *args, once: bool, interval: float, verbosity: int, **options):
        if interval <= 0:
            raise CommandError("--interval must be positive.")
        stop = threading.Event()
        if not once:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            if verbosity:
                now = clock.now()
                for entry in SCHEDULE:
                    self.stdout.write(
                        f"scheduler: {entry.name} ({entry.cron}), next at "
                        f"{next_run(entry, now):%Y-%m-%d %H:%M} China time"
                    )
        while True:
            try:
                started = run_due(clock.now())
            except Exception:
                if once:
                    raise
                # A database hiccup must not stop the scheduler; the next check tries again.
                log.exception("scheduler check failed")
                started = []
            for entry, job in started:
                if verbosity:
                    self.stdout.write(f"scheduler: started {entry.name} as job {job.id}")
            if once or stop.wait(interval):
                return
            close_old_connections()
