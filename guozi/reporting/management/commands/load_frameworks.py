"""`guozi load_frameworks [FILE ...]`: load framework files (the built-in ones without FILE)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guozi.lib.errors import DomainError
from guozi.reporting.definitions import DefinitionError
from guozi.reporting.frameworks import framework_load, load_built_in


class Command(BaseCommand):
    help = "Load form framework files (YAML); loading the same file twice changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="framework files; none: the built-in ones")

    def handle(self, *args, files, **options):
        try:
            if not files:
                versions = load_built_in()
            else:
                versions = [
                    framework_load(text=Path(f).read_text(encoding="utf-8"), source=Path(f).name)
                    for f in files
                ]
        except (DefinitionError, DomainError, OSError, UnicodeDecodeError) as error:
            raise CommandError(str(error)) from error
        for version in versions:
            self.stdout.write(
                _("%(form)s version %(version)s, in force from %(start)s")
                % {
                    "form": version.form.code,
                    "version": version.version,
                    "start": version.valid_from,
                }
            )
