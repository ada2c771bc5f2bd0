from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guozi.lib import clock
from guozi.registry import exports
from guozi.registry.models import Enterprise, Supervisor

from .import_enterprises import day_option


class Command(BaseCommand):
    help = (
        "Write enterprises to an .xlsx or .csv file in the import's columns (format from the "
        "file name); the file imports back unchanged."
    )
    # A data command: the system checks (URLs, admin, ...) would only add a second.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx or .csv file to write")
        parser.add_argument("--supervisor", help="only this supervisor's enterprises (its code)")
        parser.add_argument(
            "--as-of", help="parents and stakes as on this day, YYYY-MM-DD (default: today)"
        )

    def handle(self, *args, path, supervisor, as_of, **options):
        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in exports.FORMATS:
            raise CommandError("The file name must end in .xlsx or .csv.")
        enterprises = Enterprise.objects.all()
        if supervisor:
            found = Supervisor.objects.filter(code=supervisor).first()
            if found is None:
                raise CommandError(f"No supervisor with the code {supervisor!r}.")
            enterprises = enterprises.filter(supervisor=found)
        day = day_option(as_of, "--as-of") or clock.today()
        count = exports.export_enterprises(enterprises, path, fmt=fmt, day=day)
        self.stdout.write(f"Wrote {count} enterprises to {path} (as of {day}).")
