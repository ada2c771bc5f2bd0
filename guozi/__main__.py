"""`guozi` console script and `python -m guozi`: the project's manage.py."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guozi.settings")
    from django.core.management import execute_from_command_line

    from guozi.lib.context import set_channel

    set_channel("cli")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
