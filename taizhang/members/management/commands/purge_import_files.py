"""``manage.py purge_import_files [--days N] [--dry-run]``: delete uploaded import files past their retention.

Uploaded spreadsheets carry full citizen ID numbers. The import deletes its file as soon as it is committed,
fails or is discarded; this command (run it daily from cron) deletes whatever is left after
``IMPORT_FILE_RETENTION_DAYS`` (default 7): checks never imported, interrupted runs nobody retried, points
imports never confirmed, files whose run was never saved. Each deletion is in the audit log.
"""

import datetime

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand
from taizhang.members import imports


class Command(ProjectCommand):
    help = "Delete uploaded import files older than IMPORT_FILE_RETENTION_DAYS (default 7)."

    def add_arguments(self, parser):
        parser.add_argument("--days", help="keep files younger than this many days (default: the setting)")
        parser.add_argument("--dry-run", action="store_true", help="only list what would be deleted")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        days = options["days"]
        if days is None:
            days = settings.IMPORT_FILE_RETENTION_DAYS
        elif not str(days).strip().isdigit():
            raise CommandError(_("--days must be a whole number of days (1 or more), not “%(value)s”.")
                               % {"value": days})
        days = int(days)
        if days < 1:
            raise CommandError(_("Import files are kept at least 1 day (a check waiting to be imported needs its "
                                 "file); %(days)d was given.") % {"days": days})
        older_than = timezone.now() - datetime.timedelta(days=days)
        names = imports.import_files_purge(older_than=older_than, dry_run=options["dry_run"],
                                           username="manage.py purge_import_files")
        if options["dry_run"]:
            for name in names:
                self.stdout.write(name)
            self.stdout.write(_("%(n)d uploaded import files are older than %(days)d days (dry run: nothing was "
                                "deleted).") % {"n": len(names), "days": days})
            return
        self.stdout.write(_("Deleted %(n)d uploaded import files older than %(days)d days.")
                          % {"n": len(names), "days": days})
