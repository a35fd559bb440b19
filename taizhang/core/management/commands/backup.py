"""``manage.py backup PATH``: one archive with a consistent copy of the database, the uploaded files and a
manifest (row counts per table, checksums). See taizhang/core/backup.py and README "Backup and restore"."""

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from taizhang.core import backup
from taizhang.core.commands import ProjectCommand


class Command(ProjectCommand):
    help = "Back up the database and the uploaded files into one archive (.tar.gz)."

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="the archive to write, e.g. taizhang-2026-12-03.tar.gz")

    def handle(self, *args, **options):
        path = Path(options["path"]).expanduser()
        try:
            manifest = backup.create_backup(path)
        except backup.BackupError as exc:
            raise CommandError(exc.message) from exc
        files = sum(1 for name in manifest["members"] if name.startswith(backup.MEDIA_PREFIX))
        self.stdout.write(_("Backup written to %(path)s: %(tables)d tables, %(rows)d rows, %(files)d uploaded "
                            "files; audit chain head %(seq)d.")
                          % {"path": path, "tables": len(manifest["tables"]), "rows": sum(manifest["tables"].values()),
                             "files": files, "seq": manifest["audit_chain"]["seq"]})
        self.stdout.write(_("Keep TAIZHANG_FIELD_KEY and TAIZHANG_HASH_KEY safe, but never with this archive."))
