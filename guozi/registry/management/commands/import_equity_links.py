from django.core.management.base import BaseCommand

from guozi.registry import imports

from .import_enterprises import acting_user, file_argument, progress_for, report


class Command(BaseCommand):
    help = (
        "Check a file of equity links (columns held, holder, holder_kind, pct, valid_from, "
        "valid_to) and add them: all in one transaction, or none when any row has an error."
    )
    # A data command: the system checks (URLs, admin, ...) would only add a second.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx or .csv file")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--user", help="import as this user (a registry editor); default: the system"
        )

    def handle(self, *args, path, dry_run, user, **options):
        path = file_argument(path)
        result = imports.import_equity_links(
            acting_user=acting_user(user),
            path=path,
            dry_run=dry_run,
            progress=progress_for(self, path),
        )
        report(self, result)
