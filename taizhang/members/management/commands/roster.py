"""``manage.py roster --as-of YYYY-MM-DD [--format json|text]``: the roster as it stood on a day.

Counts come from the flow history (``selectors.roster_counts``), so any past day can be asked.
"""

import json
import unicodedata

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand, active_user, parse_day
from taizhang.members.selectors import roster_counts


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, cells: int) -> str:
    return text + " " * max(cells - _width(text), 0)


def format_text(counts: dict) -> str:
    sections = [
        (_("By branch"), counts["by_branch"]),
        (_("By category"), counts["by_category"]),
        (_("By status"), counts["by_status"]),
    ]
    labels = [label for _title, rows in sections for label in rows] + [_("Total")]
    label_cells = max(_width(label) for label in labels) + 2
    number_cells = max(len(str(counts["total"])), 3)
    rule = "-" * (label_cells + number_cells + 2)
    lines = [_("Roster as of %(day)s") % {"day": counts["as_of"]}, rule]
    lines.append("  " + _pad(_("Total"), label_cells) + str(counts["total"]).rjust(number_cells))
    for title, rows in sections:
        lines += [rule, title]
        if not rows:
            lines.append("  " + _("(none)"))
        for label, n in rows.items():
            lines.append("  " + _pad(label, label_cells) + str(n).rjust(number_cells))
    return "\n".join(lines)


class Command(ProjectCommand):
    help = "Print roster counts (total, by branch, category and status) as of a day, from the flow history."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--format", dest="format", choices=["json", "text"], default="text")
        parser.add_argument(
            "--as", dest="as_user", default=None, metavar="USERNAME",
            help="count only the members this user may see (default: the whole database, as the operator)",
        )

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        day = (parse_day(options["as_of"], option="--as-of", not_after_today=True) if options["as_of"] is not None
               else timezone.localdate())  # the flow history knows nothing about days to come
        user = None
        if options["as_user"]:
            user = active_user(options["as_user"])
        counts = roster_counts(user, day)
        if options["format"] == "json":
            result = {key: counts[key] for key in ("as_of", "total", "by_branch", "by_category", "by_status")}
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(format_text(counts))
