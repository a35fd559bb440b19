"""``manage.py report_composition --as-of YYYY-MM-DD --by branch,age_band [--format json|text] [--as USERNAME]``:
the roster on a day counted by one or two dimensions (``reports.composition``), with totals.

Without ``--as`` every committee is counted, as ``manage.py roster`` counts; with it, what that user may see.
"""

import json

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand, active_user, parse_day
from taizhang.reports.composition import DIMENSIONS, composition, parse_by
from taizhang.reports.text import table_text


class Command(ProjectCommand):
    help = "Print the roster on a day counted by one or two dimensions (党员构成), with totals."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--by", dest="by", default="branch,age_band",
                            help=f"one or two of {', '.join(DIMENSIONS)}, comma-separated (default: branch,age_band)")
        parser.add_argument("--format", dest="format", choices=["json", "text"], default="text")
        parser.add_argument("--as", dest="as_user", default=None, metavar="USERNAME",
                            help="count only the members this user may see (default: every committee)")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        day = (parse_day(options["as_of"], option="--as-of", not_after_today=True) if options["as_of"] is not None
               else timezone.localdate())
        try:
            by = parse_by(options["by"])
        except ValueError as exc:
            raise CommandError(f"--by：{exc}") from exc
        user = active_user(options["as_user"]) if options["as_user"] else None
        table = composition(user, day, by=by)
        if options["format"] == "json":
            self.stdout.write(json.dumps(table.as_dict(), ensure_ascii=False, separators=(",", ":")))
            return
        title = _("Roster composition as of %(day)s, by %(by)s") % {
            "day": day.isoformat(), "by": " × ".join(str(d.label) for d in table.dimensions)}
        self.stdout.write(table_text(title, table))
