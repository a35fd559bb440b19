"""``manage.py points_recompute [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--committee NAME]``: bring the
attendance entries in line with the attendance ledger (correcting entries, never edits). Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core.commands import parse_day
from taizhang.organisation.models import Committee
from taizhang.points.services import points_recompute


class Command(BaseCommand):
    help = "Recompute the points entries from attendance (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from")
        parser.add_argument("--to", dest="date_to")
        parser.add_argument("--committee", help="Committee name (default: every committee).")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        date_from = parse_day(options["date_from"]) if options["date_from"] else None
        date_to = parse_day(options["date_to"]) if options["date_to"] else None
        if date_from and date_to and date_to < date_from:
            raise CommandError(_("The end date is before the start date."))
        committees = Committee.objects.all()
        if options["committee"]:
            committees = committees.filter(name=options["committee"])
            if not committees.exists():
                raise CommandError(_("There is no committee named “%(name)s”.") % {"name": options["committee"]})
        for committee in committees:
            counts = points_recompute(committee=committee, date_from=date_from, date_to=date_to)
            self.stdout.write(_("%(name)s: %(added)d entries added, %(reversed)d reversed.")
                              % {"name": committee.name, **counts})
