"""``manage.py purge_export_files [--days N] [--dry-run]``: delete background export files past their retention.

A large export is written by the worker to Django's storage for the user who asked (``core.export_jobs``); it
holds personal data, so its file is deleted once it is ``EXPORT_FILE_RETENTION_DAYS`` (default 3) old. Run
it daily from cron, beside ``purge_import_files``. Files in the exports folder that no job refers to (a
worker that died after writing) go too once as old. The jobs stay in their users' 我的导出 list, marked
deleted; each deletion is in the audit log.
"""

import datetime

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from taizhang.core import export_jobs
from taizhang.core.commands import ProjectCommand


class Command(ProjectCommand):
    help = "Delete background export files older than EXPORT_FILE_RETENTION_DAYS (default 3)."

    def add_arguments(self, parser):
        parser.add_argument("--days", help="keep files younger than this many days (default: the setting)")
        parser.add_argument("--dry-run", action="store_true", help="only list what would be deleted")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        days = options["days"]
        if days is None:
            days = settings.EXPORT_FILE_RETENTION_DAYS
        elif not str(days).strip().isdigit():
            raise CommandError(_("--days must be a whole number of days (0 or more), not “%(value)s”.")
                               % {"value": days})
        days = int(days)
        older_than = timezone.now() - datetime.timedelta(days=days)
        names = export_jobs.export_files_purge(older_than=older_than, dry_run=options["dry_run"],
                                               username="manage.py purge_export_files")
        if options["dry_run"]:
            for name in names:
                self.stdout.write(name)
            self.stdout.write(_("%(n)d export files are older than %(days)d days (dry run: nothing was deleted).")
                              % {"n": len(names), "days": days})
            return
        self.stdout.write(_("Deleted %(n)d export files older than %(days)d days.") % {"n": len(names), "days": days})
