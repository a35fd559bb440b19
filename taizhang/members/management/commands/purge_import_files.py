"""``manage.py purge_import_files [--days N] [--dry-run]``: delete uploaded import files past their retention.

Uploaded spreadsheets carry full citizen ID numbers. The import deletes its file as soon as it is committed,
fails or is discarded; this command (run it daily from cron) deletes whatever is left after
``IMPORT_FILE_RETENTION_DAYS`` (default 7): checks never imported, interrupted runs nobody retried, points
imports never confirmed, files whose run was never saved. Each deletion is in the audit log.
"""

from django.utils.translation import gettext_noop

from taizhang.core.commands import PurgeFilesCommand
from taizhang.members import imports


class Command(PurgeFilesCommand):
    help = "Delete uploaded import files older than IMPORT_FILE_RETENTION_DAYS (default 7)."
    setting = "IMPORT_FILE_RETENTION_DAYS"
    minimum_days = 1  # a check waiting to be imported needs its file
    days_message = gettext_noop("--days must be a whole number of days (1 or more), not “%(value)s”.")
    too_few_message = gettext_noop("Import files are kept at least 1 day (a check waiting to be imported needs its "
                                   "file); %(days)d was given.")
    dry_run_message = gettext_noop("%(n)d uploaded import files are older than %(days)d days (dry run: nothing was "
                                   "deleted).")
    done_message = gettext_noop("Deleted %(n)d uploaded import files older than %(days)d days.")

    def purge(self, *, older_than, dry_run):
        return imports.import_files_purge(older_than=older_than, dry_run=dry_run,
                                          username="manage.py purge_import_files")
