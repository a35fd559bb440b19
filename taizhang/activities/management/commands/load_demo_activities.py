"""``manage.py load_demo_activities``: the demo committee's activities, sign-ups and attendance.

Needs the members demo (``manage.py load_demo``). Idempotent (does nothing when the demo committee
already has activities) and refused in production.
"""

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.activities import demo
from taizhang.members.demo import COMMITTEE_NAME, DemoError


class Command(BaseCommand):
    help = "Load the demo committee's activities, sign-ups and attendance (never in production)."

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        if settings.PRODUCTION:
            raise CommandError(_("The demo data is never loaded in production (TAIZHANG_ENV=production)."))
        started = time.monotonic()
        try:
            summary = demo.load_demo_activities()
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(_("The demo data could not be loaded: %(reason)s") % {"reason": "；".join(exc.messages)}) from exc
        if summary is None:
            self.stdout.write(_("The demo activities are already loaded (the committee “%(name)s” has activities); "
                                "nothing was changed.") % {"name": COMMITTEE_NAME})
            return
        c = summary.counts
        self.stdout.write("\n".join([
            _("Demo activities loaded: %(name)s (%(seconds).1f s).") % {"name": summary.committee.name,
                                                                       "seconds": time.monotonic() - started},
            _("Activities: %(activities)d (cancelled: %(cancelled)d); sign-ups: %(signups)d (still on a waiting "
              "list: %(waitlisted)d)") % c,
            _("Attendance records: %(attendance)d (present: %(present)d)") % c,
        ]))
