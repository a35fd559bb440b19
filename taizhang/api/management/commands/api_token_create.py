"""``manage.py api_token_create USERNAME [--name N] [--days D] [--write]``: make a personal access token for a
user (as that user, audited like the token page) and print it — once. For scripts, the README's examples and
the API fuzzing in CI (scripts/api_fuzz.sh)."""

from taizhang.api.tokens import api_token_create, max_days
from taizhang.core.commands import ProjectCommand, active_user


class Command(ProjectCommand):
    help = "Make an API token for a user and print it (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="what the token is for")
        parser.add_argument("--days", type=int, default=None, help="days it is valid (default and most: the setting)")
        parser.add_argument("--write", action="store_true", help="read-write (default: read only)")

    def handle(self, *args, **options):
        user = active_user(options["username"], option="username")
        _row, token = api_token_create(actor=user, name=options["name"], days=options["days"] or max_days(),
                                       read_only=not options["write"])
        self.stdout.write(token)
