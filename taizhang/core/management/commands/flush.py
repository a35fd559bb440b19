"""``flush`` wipes the whole database; it runs in maintenance mode so the append-only triggers let it."""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand
from taizhang.core.maintenance import maintenance_mode


class Command(ProjectCommand, flush.Command):
    def handle(self, **options):
        database = options.get("database") or "default"
        if database not in settings.DATABASES:
            raise CommandError(_("--database: there is no database called “%(name)s” in the settings.")
                               % {"name": database})
        with maintenance_mode(database):
            return super().handle(**options)
