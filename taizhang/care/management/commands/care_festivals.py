"""``manage.py care_festivals YEAR [--format json]``: the Gregorian dates of the year's three festivals,
``{"year": 2026, "春节": "2026-02-17", "中秋": "2026-09-25", "重阳": "2026-10-18"}``."""

import json

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.care import festivals
from taizhang.care.models import Occasion
from taizhang.core.commands import ProjectCommand

KEYS = {Occasion.SPRING_FESTIVAL: "春节", Occasion.MID_AUTUMN: "中秋", Occasion.DOUBLE_NINTH: "重阳"}


class Command(ProjectCommand):
    help = "The Gregorian dates of a year's Spring Festival, Mid-Autumn and Double Ninth."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        year = options["year"]
        if not festivals.FIRST_YEAR <= year <= festivals.LAST_YEAR:
            raise CommandError(_("Choose a year between %(first)s and %(last)s.")
                               % {"first": festivals.FIRST_YEAR, "last": festivals.LAST_YEAR})
        days = festivals.festivals(year)
        if options["format"] == "json":
            self.stdout.write(json.dumps({"year": year, **{KEYS[o]: d.isoformat() for o, d in days}},
                                         ensure_ascii=False))
            return
        for occasion, day in days:
            self.stdout.write(f"{Occasion(occasion).label} {day.isoformat()}")
