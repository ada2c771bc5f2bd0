from django.core.management.base import BaseCommand, CommandError

from guozi.accounts import services
from guozi.accounts.models import User


class Command(BaseCommand):
    help = "Clear the failed sign-ins that locked a user out."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        cleared = services.user_unlock(acting_user=None, user=user)
        self.stdout.write(f"Cleared {cleared} failed sign-in record(s) of {username}.")
