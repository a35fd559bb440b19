"""``manage.py load_demo_activities``: the demo committee's activities, sign-ups and attendance.

Needs the members demo (``manage.py load_demo``). Idempotent (does nothing when the demo committee
already has activities) and refused in production.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.activities import demo
from taizhang.core.commands import ProjectCommand, run_demo_loader
from taizhang.members.demo import COMMITTEE_NAME, DemoError


class Command(ProjectCommand):
    help = "Load the demo committee's activities, sign-ups and attendance (never in production)."

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        summary, seconds = run_demo_loader(demo.load_demo_activities, known_errors=(DemoError,))
        if summary is None:
            self.stdout.write(_("The demo activities are already loaded (the committee “%(name)s” has activities); "
                                "nothing was changed.") % {"name": COMMITTEE_NAME})
            return
        c = summary.counts
        self.stdout.write("\n".join([
            _("Demo activities loaded: %(name)s (%(seconds).1f s).") % {"name": summary.committee.name,
                                                                       "seconds": seconds},
            _("Activities: %(activities)d (cancelled: %(cancelled)d); sign-ups: %(signups)d (still on a waiting "
              "list: %(waitlisted)d)") % c,
            _("Attendance records: %(attendance)d (present: %(present)d)") % c,
        ]))
