"""`guozi load_reform_catalogue FILE [FILE ...]`: load a supervisor's own reform catalogue."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guozi.ledgers.reform.catalogues import catalogue_load
from guozi.lib.context import set_channel
from guozi.lib.errors import DomainError


class Command(BaseCommand):
    help = "Load reform task catalogues (YAML); every problem of a file is reported with its place."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, files, **options):
        set_channel("cli")
        for path in files:
            if not path.is_file():
                raise CommandError(_("No such file: %(path)s") % {"path": path})
            try:
                loaded = catalogue_load(text=path.read_text(encoding="utf-8"), source=path.name)
            except DomainError as error:
                raise CommandError(error.message) from error
            self.stdout.write(
                _("Loaded %(name)s, version %(version)s: %(tasks)s tasks.")
                % {"name": loaded.name, "version": loaded.version, "tasks": loaded.tasks.count()}
            )
