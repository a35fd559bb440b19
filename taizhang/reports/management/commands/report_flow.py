"""``manage.py report_flow --from YYYY-MM-DD --to YYYY-MM-DD [--format json|text] [--as USERNAME]``: 党员增减.

JSON: ``{"opening":N,"increase":{"<reason>":N},"decrease":{"<reason>":N},"closing":N}`` — opening is the
roster at the end of the day before ``--from``, closing at the end of ``--to`` (both as ``manage.py roster``
counts them); the reasons are stable English codes (``reports.flow``). The text format says it in Chinese.
"""

import json

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand, active_user, parse_day
from taizhang.reports.flow import flow_report
from taizhang.reports.text import flow_text


class Command(ProjectCommand):
    help = "Print the roster's increase and decrease by reason over a period (党员增减)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD, the first day of the period")
        parser.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD, the last day of the period")
        parser.add_argument("--format", dest="format", choices=["json", "text"], default="text")
        parser.add_argument("--as", dest="as_user", default=None, metavar="USERNAME",
                            help="count only the members this user may see (default: every committee)")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        start = parse_day(options["start"], option="--from", not_after_today=True)
        end = parse_day(options["end"], option="--to", not_after_today=True)
        if start > end:
            raise CommandError("--to：" + _("The end date (%(end)s) is before the start date (%(start)s).")
                               % {"end": end.isoformat(), "start": start.isoformat()})
        user = active_user(options["as_user"]) if options["as_user"] else None
        report = flow_report(user, start, end)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report, ensure_ascii=False, separators=(",", ":")))
            return
        self.stdout.write(flow_text(report, start, end))
