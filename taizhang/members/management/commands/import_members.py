"""``manage.py import_members PATH [--commit] [--as USERNAME] [--format json]``: import the ledger from a spreadsheet.

A dry run unless ``--commit``. Exit status: 0 when the file was read (even with row errors), 1 for a bad
``--as`` (unknown user, or missing with ``--commit``), 2 when the file cannot be read at all (a Chinese
message on stderr). See README.md "Management commands" and ``taizhang.members.imports``.
"""

import json
import os

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand, active_user
from taizhang.core.permissions import EDIT, has_scope
from taizhang.members import imports


class Command(ProjectCommand):
    help = "Check (dry run) or import (--commit) members from an .xlsx or .csv ledger file."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx or .csv file")
        parser.add_argument("--commit", action="store_true", help="write the valid rows (default: dry run)")
        parser.add_argument("--as", dest="as_user", default=None, metavar="USERNAME",
                            help="act as this user (scope and audit); required with --commit")
        parser.add_argument("--format", dest="format", choices=["json", "text"], default="text")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        path = options["path"]
        user = None
        if options["as_user"]:
            user = active_user(options["as_user"])
            if not has_scope(user, EDIT):
                raise CommandError(_("Your role cannot add or change members, so it cannot import them."))
        elif options["commit"]:
            raise CommandError(_("--commit needs --as USERNAME: the audit log records who imported the file."))
        if not os.path.isfile(path):
            raise CommandError(_("The file “%(path)s” does not exist.") % {"path": path}, returncode=2)
        source = imports.Source.from_path(path)
        try:
            if options["commit"]:
                report = imports.commit(source, user=user)
            else:
                report = imports.check(source, user=user)
        except imports.ImportConflict as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(_("The file “%(path)s” cannot be read: %(error)s") % {"path": path, "error": exc.strerror},
                               returncode=2) from exc
        if report.file_error:
            raise CommandError(report.file_error, returncode=2)
        if options["format"] == "json":
            result = {
                "rows": report.rows, "created": report.created, "updated": report.updated,
                "unchanged": report.unchanged, "errors": report.errors, "unknown_columns": report.unknown_columns,
            }
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        verb = _("Imported") if options["commit"] else _("Dry run (nothing written)")
        self.stdout.write(
            _("%(verb)s: %(rows)d rows; %(created)d new, %(updated)d changed, %(unchanged)d unchanged, "
              "%(errors)d with errors.") % {"verb": verb, **report.counts()}
        )
        if report.unknown_columns:
            self.stdout.write(_("Columns not imported: %(columns)s") % {"columns": "、".join(report.unknown_columns)})
        for error in report.errors:
            self.stdout.write(
                _("Row %(row)d, %(column)s “%(value)s”: %(message)s") % error
            )
