"""``manage.py study_days YEAR [--format json|text] [--skip-holidays]``: the monthly study days of a year.

With the settings STUDY_DAY_OF_MONTH (12) and STUDY_DAY_SKIP_HOLIDAYS (off). JSON:
``{"year": 2026, "days": ["2026-01-12", ...]}``; when holidays are skipped it also says whether the
holiday data was available (``holidays_skipped``) and, when not, why (``note``).
"""

import json
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from taizhang.activities.studyday import HolidayDataUnavailable, configured_study_days
from taizhang.core.commands import ProjectCommand


class Command(ProjectCommand):
    help = "Print the monthly study days of a year (the 12th; a weekend moves to the following Monday)."

    def add_arguments(self, parser):
        parser.add_argument("year", help="YYYY")
        parser.add_argument("--format", dest="format", choices=["json", "text"], default="text")
        parser.add_argument("--skip-holidays", action="store_true", default=False,
                            help="also move past statutory holidays (default: the STUDY_DAY_SKIP_HOLIDAYS setting)")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        text = (options["year"] or "").strip()
        if not re.fullmatch(r"\d{4}", text) or int(text) < 1:
            raise CommandError(_("The year must be written with four digits (for example 2026), not “%(value)s”.")
                               % {"value": text})
        year = int(text)
        skip = options["skip_holidays"] or settings.STUDY_DAY_SKIP_HOLIDAYS
        note = ""
        try:
            try:
                days = configured_study_days(year, skip_holidays=skip)
            except HolidayDataUnavailable as exc:
                note = exc.message
                days = configured_study_days(year, skip_holidays=False)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc

        if options["format"] == "json":
            result = {"year": year, "days": [d.isoformat() for d in days]}
            if skip:
                result["holidays_skipped"] = not note
                if note:
                    result["note"] = note
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        lines, day_of_month = [], settings.STUDY_DAY_OF_MONTH
        for month, day in enumerate(days, start=1):
            line = f"{day.isoformat()} {WEEKDAYS[day.weekday()]}"
            if (day.month, day.day) != (month, day_of_month):
                line += " " + _("(moved from day %(d)d of the month)") % {"d": day_of_month}
            lines.append(line)
        self.stdout.write("\n".join(lines))
        if note:
            self.stderr.write(note)
