"""``manage.py places_summary [--committee NAME] [--format json|text]``: 党员之家 in counts only (never a talk's
content): ``{"rooms": N, "bookings_this_month": N, "groups": {"<group>": members}, "loans_out": N,
"overdue": N, "talks_this_year": N}``."""

import json

from django.conf import settings
from django.utils import translation

from taizhang.core.commands import ProjectCommand
from taizhang.organisation.commands import the_committee
from taizhang.places.summary import places_summary, summary_text


class Command(ProjectCommand):
    help = "党员之家 in counts: rooms, this month's bookings, group members, loans, overdue books, this year's talks."

    def add_arguments(self, parser):
        parser.add_argument("--committee", help="the committee's name (needed when there are several)")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        data = places_summary(the_committee(options["committee"]))
        self.stdout.write(json.dumps(data, ensure_ascii=False) if options["format"] == "json" else summary_text(data))
