from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guozi.accounts.models import User
from guozi.jobs.progress import cli_progress
from guozi.registry import imports

PROGRESS_BYTES = 200_000  # files from this size (about 2,000 rows) show a progress bar


def acting_user(username: str | None):
    """The user named by --user, or None: the system."""
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}.")
    return user


def day_option(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} is a date, YYYY-MM-DD, not {value!r}.") from None


def file_argument(value: str) -> Path:
    path = Path(value)
    if not path.is_file():
        raise CommandError(f"No file {value!r}.")
    try:
        imports.file_format(path.name)
    except imports.UnreadableFile as exc:
        raise CommandError(str(exc)) from None
    return path


def progress_for(command: BaseCommand, path: Path):
    return cli_progress(command.stderr) if path.stat().st_size >= PROGRESS_BYTES else None


def report(command: BaseCommand, result: imports.ImportResult) -> None:
    """Every warning and error as `file:sheet:row:column: value — reason`, then the outcome;
    exit status 1 when the file had errors."""
    for problem in result.warnings:
        command.stderr.write(f"warning: {problem}")
    for problem in result.errors:
        command.stderr.write(f"error: {problem}")
    if result.errors:
        raise CommandError(result.describe(), returncode=1)
    command.stdout.write(result.describe())


class Command(BaseCommand):
    help = (
        "Check a file of enterprises (.xlsx or .csv, one row each) and import it: everything "
        "in one transaction, or nothing when any row has an error."
    )
    # A data command: the system checks (URLs, admin, ...) would only add a second.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx or .csv file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show the changes; write nothing"
        )
        parser.add_argument(
            "--user", help="import as this user (a registry editor); default: the system"
        )
        parser.add_argument(
            "--valid-from",
            help="the day new and changed parents and stakes take effect (default: today)",
        )

    def handle(self, *args, path, dry_run, user, valid_from, **options):
        path = file_argument(path)
        result = imports.import_enterprises(
            acting_user=acting_user(user),
            path=path,
            dry_run=dry_run,
            valid_from=day_option(valid_from, "--valid-from"),
            progress=progress_for(self, path),
        )
        report(self, result)
