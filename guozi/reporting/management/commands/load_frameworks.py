"""`guozi load_frameworks [FILE ...]`: load framework files (the built-in ones without FILE):
forms (a file with `form:`) and indicator frameworks (a file with `framework:`)."""

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guozi.indicators import frameworks as indicator_frameworks
from guozi.lib.errors import DomainError
from guozi.reporting.definitions import DefinitionError
from guozi.reporting.frameworks import framework_load, load_built_in

INDICATOR_FRAMEWORK = re.compile(r"^framework:", re.MULTILINE)


class Command(BaseCommand):
    help = (
        "Load framework files (YAML) of forms and of indicators; loading the same file twice "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="framework files; none: the built-in ones")

    def handle(self, *args, files, **options):
        indicators = []
        try:
            if not files:
                versions = load_built_in()
                indicators = indicator_frameworks.load_built_in()
            else:
                versions = []
                for name in files:
                    text = Path(name).read_text(encoding="utf-8")
                    if INDICATOR_FRAMEWORK.search(text):
                        indicators.append(
                            indicator_frameworks.framework_load(text=text, source=Path(name).name)
                        )
                    else:
                        versions.append(framework_load(text=text, source=Path(name).name))
        except (DefinitionError, DomainError, OSError, UnicodeDecodeError) as error:
            raise CommandError(str(error)) from error
        for loaded in indicators:
            self.stdout.write(
                _("indicator framework %(code)s version %(version)s, in force from %(start)s")
                % {"code": loaded.code, "version": loaded.version, "start": loaded.valid_from}
            )
        for version in versions:
            self.stdout.write(
                _("%(form)s version %(version)s, in force from %(start)s")
                % {
                    "form": version.form.code,
                    "version": version.version,
                    "start": version.valid_from,
                }
            )
