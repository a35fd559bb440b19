"""What every project management command shares: Chinese messages for bad arguments, never a stack trace.

* ``ProjectCommand`` — the base class of every ``manage.py`` command of the project. Argument errors
  found by argparse (a missing option, an unknown option, a value outside the choices, a missing value)
  come out in Chinese naming the option, with exit status 2; a ``CommandError`` prints as
  ``错误：<message>`` with its exit status (1 unless said otherwise); a ``ValidationError`` or
  ``PermissionDenied`` raised by a service becomes such an error too.
* ``parse_day`` — a YYYY-MM-DD option, optionally refusing a day after today.
* ``active_user`` — the login an operator names (``--as``); the committee is
  ``organisation.commands.the_committee`` (core imports no domain app).
* ``PurgeFilesCommand`` — ``[--days N] [--dry-run]`` for the commands that delete stored files past their
  retention (``purge_export_files``, ``purge_import_files``).
"""

import datetime
import re
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    SystemCheckError,
    handle_default_options,
)
from django.db import connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _


def _argparse_message(message: str) -> str:
    """argparse's English error messages, said in Chinese (the option names stay as typed)."""
    def quoted(text):
        return text.strip().strip("'\"")

    patterns = [
        (r"the following arguments are required: (.+)",
         lambda m: _("Missing required argument: %(names)s.") % {"names": m[1]}),
        (r"unrecognized arguments: (.+)",
         lambda m: _("Unknown argument: %(names)s.") % {"names": m[1]}),
        (r"argument (.+?): invalid choice: (.+) \(choose from (.+)\)",
         lambda m: _("%(option)s: “%(value)s” is not allowed; choose one of %(choices)s.")
         % {"option": m[1], "value": quoted(m[2]), "choices": "、".join(quoted(c) for c in m[3].split(","))}),
        (r"argument (.+?): expected one argument",
         lambda m: _("%(option)s needs a value.") % {"option": m[1]}),
        (r"argument (.+?): expected at least one argument",
         lambda m: _("%(option)s needs a value.") % {"option": m[1]}),
        (r"argument (.+?): expected at most one argument",
         lambda m: _("%(option)s takes at most one value.") % {"option": m[1]}),
        (r"argument (.+?): ignored explicit argument (.+)",
         lambda m: _("%(option)s takes no value (“%(value)s” was given).") % {"option": m[1], "value": quoted(m[2])}),
        (r"argument (.+?): invalid (\w+) value: (.+)",
         lambda m: _("%(option)s: “%(value)s” is not a valid value.") % {"option": m[1], "value": quoted(m[3])}),
        (r"argument (.+?): not allowed with argument (.+)",
         lambda m: _("%(option)s cannot be used together with %(other)s.") % {"option": m[1], "other": m[2]}),
        (r"one of the arguments (.+) is required",
         lambda m: _("One of %(names)s is required.") % {"names": m[1]}),
        (r"ambiguous option: (\S+) could match (.+)",
         lambda m: _("%(option)s is ambiguous: it could be %(matches)s.") % {"option": m[1], "matches": m[2]}),
    ]
    for pattern, say in patterns:
        match = re.fullmatch(pattern, message.strip())
        if match:
            return say(match)
    return _("The arguments are not valid: %(message)s") % {"message": message}


class ChineseCommandParser(CommandParser):
    """A CommandParser whose errors are Chinese: printed with exit status 2 on the command line, raised
    as CommandError (returncode 2) from ``call_command``."""

    def error(self, message):
        translation.activate(settings.LANGUAGE_CODE)
        text = _argparse_message(message)
        if self.called_from_command_line:
            self.exit(2, _("Error: %(message)s") % {"message": text} + "\n"
                      + _("See “%(prog)s --help” for the arguments.") % {"prog": self.prog} + "\n")
        raise CommandError(text, returncode=2)


class ProjectCommand(BaseCommand):
    """Base class of the project's management commands (see the module docstring)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        translation.activate(settings.LANGUAGE_CODE)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = ChineseCommandParser  # CommandParser offers no parser_class hook
        return parser

    def execute(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        try:
            return super().execute(*args, **options)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc) or _("This is not allowed.")) from exc

    def run_from_argv(self, argv):
        """BaseCommand.run_from_argv, printing a CommandError as ``错误：…`` instead of ``CommandError: …``."""
        self._called_from_command_line = True
        parser = self.create_parser(argv[0], argv[1])
        options = parser.parse_args(argv[2:])
        cmd_options = vars(options)
        args = cmd_options.pop("args", ())
        handle_default_options(options)
        try:
            self.execute(*args, **cmd_options)
        except CommandError as exc:
            if options.traceback:
                raise
            if isinstance(exc, SystemCheckError):
                self.stderr.write(str(exc), lambda x: x)
            else:
                self.stderr.write(_("Error: %(message)s") % {"message": exc})
            sys.exit(exc.returncode)
        finally:
            try:
                connections.close_all()
            except ImproperlyConfigured:
                pass


def parse_day(value: str, *, option: str = "", not_after_today: bool = False) -> datetime.date:
    """A day written YYYY-MM-DD. ``option`` names the argument in the message; ``not_after_today``
    refuses a day after today (e.g. a roster "as of" a day that has not come yet)."""
    value = (value or "").strip()
    prefix = f"{option}：" if option else ""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise CommandError(prefix + _(
            "The date must be written as YYYY-MM-DD (for example 2026-11-24), not “%(value)s”.") % {"value": value})
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(prefix + _("“%(value)s” is not a date in the calendar.") % {"value": value}) from exc
    today = timezone.localdate()
    if not_after_today and day > today:
        raise CommandError(prefix + _("%(day)s is after today (%(today)s); give today or an earlier day.")
                           % {"day": day.isoformat(), "today": today.isoformat()})
    return day


def active_user(username: str, *, option: str = "--as"):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=(username or "").strip(), is_active=True).first()
    if user is None:
        raise CommandError(f"{option}：" + _("There is no active user named “%(name)s”.") % {"name": username})
    return user


def run_demo_loader(loader, *, known_errors=()):
    """Run a demo loader for a management command: never in production, its errors as a Chinese
    CommandError instead of a stack trace. Returns ``(summary, seconds)``; summary is None when the
    demo data was already there."""
    import time

    if settings.PRODUCTION:
        raise CommandError(_("The demo data is never loaded in production (TAIZHANG_ENV=production)."))
    started = time.monotonic()
    try:
        summary = loader()
    except known_errors as exc:
        raise CommandError(str(exc)) from exc
    except ValidationError as exc:  # e.g. a demo user name is already taken by a real login
        raise CommandError(_("The demo data could not be loaded: %(reason)s") % {"reason": "；".join(exc.messages)}) from exc
    return summary, time.monotonic() - started


class PurgeFilesCommand(ProjectCommand):
    """``--days N`` (default: the retention setting) and ``--dry-run`` around a service that deletes the files
    older than a moment and returns their names. A subclass names the ``setting``, the ``minimum_days`` and
    its messages, and implements ``purge``."""

    setting = ""
    minimum_days = 0
    days_message = ""  # --days is not a whole number: %(value)s
    too_few_message = ""  # fewer days than minimum_days: %(days)d
    dry_run_message = ""  # %(n)d files, %(days)d days
    done_message = ""  # %(n)d files, %(days)d days

    def add_arguments(self, parser):
        parser.add_argument("--days", help="keep files younger than this many days (default: the setting)")
        parser.add_argument("--dry-run", action="store_true", help="only list what would be deleted")

    def purge(self, *, older_than: datetime.datetime, dry_run: bool) -> list[str]:
        raise NotImplementedError

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        days = options["days"]
        if days is None:
            days = getattr(settings, self.setting)
        elif not str(days).strip().isdigit():
            raise CommandError(_(self.days_message) % {"value": days})
        days = int(days)
        if days < self.minimum_days:
            raise CommandError(_(self.too_few_message) % {"days": days})
        names = self.purge(older_than=timezone.now() - datetime.timedelta(days=days), dry_run=options["dry_run"])
        if options["dry_run"]:
            for name in names:
                self.stdout.write(name)
            self.stdout.write(_(self.dry_run_message) % {"n": len(names), "days": days})
            return
        self.stdout.write(_(self.done_message) % {"n": len(names), "days": days})
