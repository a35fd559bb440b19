"""``manage.py export_members PATH [--format xlsx|csv] [--as USERNAME]``: the ledger as a spreadsheet.

The same columns and values as the ledger page's export (``taizhang.members.exports``), so the file
imports back unchanged. Every member is written, whatever their status (transferred out and deceased
members too), sorted by name as the list sorts them.

* Without ``--as`` the operator exports the whole database with full ID and phone numbers (whoever can
  run ``manage.py`` can read the database and its keys anyway); the audit entry names the OS account.
* With ``--as USERNAME`` only the members that user may see are written, and their numbers are masked
  unless the user's role may reveal them — exactly as that user's download from the ledger page.

The file is written next to PATH under a temporary name and renamed at the end, so a failed export
never leaves half a file. Prints the number of rows written.
"""

import getpass
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from taizhang.core import exporting
from taizhang.core.commands import ProjectCommand, active_user
from taizhang.core.crypto import DecryptionError
from taizhang.core.permissions import DETAILS, has_capability
from taizhang.members import exports, selectors
from taizhang.members.filters import SORT_ORDER
from taizhang.members.models import Member

FORMATS = ("xlsx", "csv")


def _operator_name() -> str:
    try:
        return f"{getpass.getuser()} (manage.py)"
    except Exception:  # no user name in this environment (e.g. a container without a passwd entry)
        return "manage.py"


class Command(ProjectCommand):
    help = "Export the member ledger to an .xlsx or .csv file (the columns the import reads)."

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="the file to write, e.g. ledger.xlsx or ledger.csv")
        parser.add_argument("--format", dest="format", default=None, metavar="xlsx|csv",
                            help="default: from the file name's extension")
        parser.add_argument(
            "--as", dest="as_user", default=None, metavar="USERNAME",
            help="export only what this user may see, masked as for them (default: everything, unmasked)",
        )

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        path = Path(options["path"]).expanduser()
        self._check_path(path)
        fmt = self._format(options["format"], path)
        user = self._user(options["as_user"])

        if user is None:
            queryset = selectors.annotate_status(Member.objects.all())
        else:
            queryset = selectors.member_queryset(user, DETAILS)  # an export holds the whole record
        prepared = exports.prepare(queryset.order_by(*SORT_ORDER["name"]), user)
        rows = self._write(path, fmt, prepared)
        unmasked = user is None or exports.summary(prepared)["unmasked"]
        exports.log_export(
            actor=user,
            fmt=fmt,
            filters={"path": str(path)},
            rows=rows,
            unmasked=bool(rows) and unmasked,
            username="" if user else _operator_name(),
            source="command",
        )
        self.stdout.write(
            ngettext("%(rows)d row written to %(path)s", "%(rows)d rows written to %(path)s", rows)
            % {"rows": rows, "path": path}
        )

    def _format(self, given, path: Path) -> str:
        if given:
            fmt = given.strip().lower().lstrip(".")
            if fmt not in FORMATS:
                raise CommandError(
                    _("Unknown format “%(format)s”: use xlsx or csv.") % {"format": given}
                )
            return fmt
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError(
                _("Cannot tell the format from “%(path)s”: end the file name with .xlsx or .csv, "
                  "or add --format xlsx or --format csv.") % {"path": path}
            )
        return fmt

    def _check_path(self, path: Path):
        if path.is_dir():
            raise CommandError(_("“%(path)s” is a folder; give a file name, e.g. %(example)s.")
                               % {"path": path, "example": path / "ledger.xlsx"})
        folder = path.parent
        if not folder.is_dir():
            raise CommandError(_("The folder “%(folder)s” does not exist.") % {"folder": folder})
        if not os.access(folder, os.W_OK):
            raise CommandError(_("Cannot write in the folder “%(folder)s”.") % {"folder": folder})

    def _user(self, username):
        if not username:
            return None
        user = active_user(username)
        if not has_capability(user, "ledger.export"):
            raise CommandError(_("“%(name)s” may not export the member ledger.") % {"name": username})
        return user

    def _write(self, path: Path, fmt: str, prepared) -> int:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.close(fd)
        try:
            rows = exports.iter_rows(prepared)
            if fmt == "csv":
                count = exporting.write_csv(temporary, exports.HEADERS, rows)
            else:
                count = exporting.write_xlsx(temporary, exports.HEADERS, rows, sheet_name=_("Member ledger"),
                                             widths=exports.XLSX_WIDTHS)
            os.replace(temporary, path)
        except DecryptionError as exc:
            raise CommandError(
                _("A stored ID or phone number cannot be decrypted: is TAIZHANG_FIELD_KEY the key it was saved with?")
            ) from exc
        except OSError as exc:
            raise CommandError(_("Could not write “%(path)s”: %(reason)s") % {"path": path, "reason": exc.strerror or exc}) from exc
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return count
