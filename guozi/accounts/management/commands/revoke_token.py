from django.core.management.base import BaseCommand, CommandError

from guozi.accounts import services
from guozi.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Revoke an API token, given the prefix shown on the tokens page (e.g. gz_AbC12)."

    def add_arguments(self, parser):
        parser.add_argument("prefix")
        parser.add_argument("--user", help="the token's user, when several share the prefix")

    def handle(self, *args, prefix, user, **options):
        prefix = prefix.rstrip("….")
        tokens = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True)
        if user:
            tokens = tokens.filter(user__username=user)
        tokens = list(tokens.select_related("user"))
        if not tokens:
            raise CommandError(f"No live token with prefix {prefix!r}.")
        if len(tokens) > 1:
            owners = ", ".join(sorted(token.user.username for token in tokens))
            raise CommandError(
                f"{len(tokens)} live tokens share the prefix {prefix!r} ({owners}); "
                "name the user with --user."
            )
        services.token_revoke(acting_user=None, token=tokens[0])
        self.stdout.write(f"Revoked token {prefix}… of {tokens[0].user.username}.")
