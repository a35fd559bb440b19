"""``manage.py restore PATH``: restore a ``backup`` archive into an empty database (and file store).

Refuses a damaged archive (a member that does not match its checksum), a backup of the other kind of
database and a database that already holds data; then reports what it restored, table by table, and
whether the audit chain verifies. Exit status 1 when anything was refused or does not match."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from taizhang.core import backup
from taizhang.core.commands import ProjectCommand


class Command(ProjectCommand):
    help = "Restore a backup archive into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="the archive written by manage.py backup")

    def handle(self, *args, **options):
        try:
            report = backup.restore_backup(options["path"])
        except backup.BackupError as exc:
            raise CommandError(exc.message) from exc
        verbose = options["verbosity"] >= 2
        for table, rows in sorted(report.tables.items()):
            if verbose or rows:
                self.stdout.write(f"  {table}: {rows}")
        self.stdout.write(_("Restored the backup of %(created)s: %(tables)d tables, %(rows)d rows, %(files)d "
                            "uploaded files.")
                          % {"created": report.manifest.get("created_at", "?"), "tables": len(report.tables),
                             "rows": sum(report.tables.values()), "files": report.files})
        if report.pending_migrations:
            self.stdout.write(_("The backup is from an older version: run manage.py migrate now."))
        problems = [_("%(table)s has %(found)s rows, the backup %(expected)s.")
                    % {"table": t, "found": found, "expected": expected} for t, expected, found in report.mismatches]
        if not report.chain_ok:
            problems.append(_("The audit chain does not verify (is TAIZHANG_HASH_KEY the key of the backed-up "
                              "installation?): %(reason)s") % {"reason": report.chain_reason})
        if problems:
            raise CommandError("；".join(problems))
        self.stdout.write(_("Every table matches the manifest and the audit chain verifies."))
