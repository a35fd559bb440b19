"""``manage.py activity_summary --from YYYY-MM-DD --to YYYY-MM-DD [--format json|text] [--committee NAME]``.

The seed's kind of summary: activities (not cancelled) that started in the period, counted by type,
and the number of present attendances at them. JSON:
``{"from": "2017-09-01", "to": "2021-08-31", "by_type": {"集体学习": 16, ...}, "attendances": N}``.
"""

import json

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.activities.selectors import activity_summary
from taizhang.core.commands import ProjectCommand, parse_day
from taizhang.organisation.commands import committee_named


class Command(ProjectCommand):
    help = "Count the activities of a period by type, and the attendances at them."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD (first day, included)")
        parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD (last day, included)")
        parser.add_argument("--format", dest="format", choices=["json", "text"], default="text")
        parser.add_argument("--committee", dest="committee", default=None,
                            help="the committee's name (default: every committee)")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        # activities *held* in the period: a period that starts after today has none
        date_from = parse_day(options["date_from"], option="--from", not_after_today=True)
        date_to = parse_day(options["date_to"], option="--to")
        if date_to < date_from:
            raise CommandError(_("The end date %(to)s is before the start date %(from)s.")
                               % {"to": date_to.isoformat(), "from": date_from.isoformat()})
        committee = committee_named(options["committee"]) if options["committee"] else None
        summary = activity_summary(date_from, date_to, committee=committee)
        if options["format"] == "json":
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        lines = [_("Activities from %(from)s to %(to)s") % {"from": summary["from"], "to": summary["to"]}]
        if not summary["by_type"]:
            lines.append("  " + _("(none)"))
        for name, n in summary["by_type"].items():
            lines.append("  " + _("%(type)s: %(n)d") % {"type": name, "n": n})
        lines.append(_("Total: %(n)d activities, %(attendances)d attendances")
                     % {"n": sum(summary["by_type"].values()), "attendances": summary["attendances"]})
        self.stdout.write("\n".join(lines))
