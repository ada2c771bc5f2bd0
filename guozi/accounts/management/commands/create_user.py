import getpass
import os
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from guozi.accounts import services
from guozi.accounts.models import ENTERPRISE_ROLES, Role
from guozi.lib import clock
from guozi.lib.errors import DomainError
from guozi.registry.models import Supervisor
from guozi.registry.selectors import find_by_identifier


class Command(BaseCommand):
    help = (
        "Create a user, optionally with a first membership: how an installation gets its first "
        "security administrator. The password comes from GUOZI_PASSWORD or is asked for."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
        parser.add_argument("--role", choices=Role.values)
        parser.add_argument("--supervisor", help="supervisor code, for a supervisor role")
        parser.add_argument("--enterprise", help="enterprise id or USCC, for an enterprise role")
        parser.add_argument("--valid-from", type=date.fromisoformat, help="default: today")

    def handle(self, *args, **options):
        role = options["role"]
        supervisor = enterprise = None
        if role in ENTERPRISE_ROLES:
            enterprise = find_by_identifier(options["enterprise"] or "")
            if enterprise is None:
                raise CommandError(f"Role {role} needs --enterprise with a known id or USCC.")
        elif role:
            supervisor = Supervisor.objects.filter(code=options["supervisor"] or "").first()
            if supervisor is None:
                raise CommandError(f"Role {role} needs --supervisor with a known code.")
        password = os.environ.get("GUOZI_PASSWORD") or self._ask_password()
        try:
            user = self._create(options, password, role, supervisor, enterprise)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Created user {user.username}" + (f" ({role})." if role else "."))

    @transaction.atomic
    def _create(self, options, password, role, supervisor, enterprise):
        user = services.user_create(
            acting_user=None,
            username=options["username"],
            password=password,
            display_name=options["display_name"],
            email=options["email"],
            language=options["language"],
        )
        if role:
            services.membership_create(
                acting_user=None,
                user=user,
                role=role,
                supervisor=supervisor,
                enterprise=enterprise,
                valid_from=options["valid_from"] or clock.today(),
            )
        return user

    def _ask_password(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password again: "):
            raise CommandError("The two passwords differ.")
        return first
