"""``manage.py points_recompute [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--committee NAME]``: bring the
attendance entries in line with the attendance ledger (correcting entries, never edits). Idempotent."""

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand, parse_day
from taizhang.organisation.models import Committee
from taizhang.points.services import points_recompute


class Command(ProjectCommand):
    help = "Recompute the points entries from attendance (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from")
        parser.add_argument("--to", dest="date_to")
        parser.add_argument("--committee", help="Committee name (default: every committee).")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        # attendance exists only for days that have come: a period starting after today is a mistake
        date_from = (parse_day(options["date_from"], option="--from", not_after_today=True)
                     if options["date_from"] is not None else None)
        date_to = parse_day(options["date_to"], option="--to") if options["date_to"] is not None else None
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
