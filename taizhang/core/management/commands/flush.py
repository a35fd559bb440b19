"""``flush`` wipes the whole database; it runs in maintenance mode so the append-only triggers let it."""

from django.core.management.commands import flush

from taizhang.core.maintenance import maintenance_mode


class Command(flush.Command):
    def handle(self, **options):
        with maintenance_mode(options.get("database") or "default"):
            return super().handle(**options)
