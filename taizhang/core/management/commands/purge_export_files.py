"""``manage.py purge_export_files [--days N] [--dry-run]``: delete background export files past their retention.

A large export is written by the worker to Django's storage for the user who asked (``core.export_jobs``); it
holds personal data, so its file is deleted once it is ``EXPORT_FILE_RETENTION_DAYS`` (default 3) old. Run
it daily from cron, beside ``purge_import_files``. Files in the exports folder that no job refers to (a
worker that died after writing) go too once as old. The jobs stay in their users' 我的导出 list, marked
deleted; each deletion is in the audit log.
"""

from django.utils.translation import gettext_noop

from taizhang.core import export_jobs
from taizhang.core.commands import PurgeFilesCommand


class Command(PurgeFilesCommand):
    help = "Delete background export files older than EXPORT_FILE_RETENTION_DAYS (default 3)."
    setting = "EXPORT_FILE_RETENTION_DAYS"
    days_message = gettext_noop("--days must be a whole number of days (0 or more), not “%(value)s”.")
    dry_run_message = gettext_noop("%(n)d export files are older than %(days)d days (dry run: nothing was deleted).")
    done_message = gettext_noop("Deleted %(n)d export files older than %(days)d days.")

    def purge(self, *, older_than, dry_run):
        return export_jobs.export_files_purge(older_than=older_than, dry_run=dry_run,
                                              username="manage.py purge_export_files")
