from django.core.management.base import BaseCommand, CommandError

from guozi.accounts import services
from guozi.accounts.models import User


class Command(BaseCommand):
    help = "Create an API token for a user and print its key (shown this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        token, key = services.token_create(acting_user=None, user=user, name=name)
        self.stderr.write(f"Token {token.prefix}… for {username}; the key is shown this once:")
        self.stdout.write(key)
