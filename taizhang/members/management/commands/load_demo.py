"""``manage.py load_demo``: load the invented demo committee, its members and the demo logins.

Idempotent (does nothing when the demo committee exists) and refused in production.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand, run_demo_loader
from taizhang.members import demo


class Command(ProjectCommand):
    help = "Load the demo committee, members and logins (never in production)."

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        summary, seconds = run_demo_loader(demo.load_demo, known_errors=(demo.DemoError,))
        if summary is None:
            self.stdout.write(
                _("The demo data is already loaded (the committee “%(name)s” exists); nothing was changed.")
                % {"name": demo.COMMITTEE_NAME}
            )
            return
        c = summary.counts
        lines = [
            _("Demo data loaded: %(name)s (%(seconds).1f s).") % {"name": summary.committee.name,
                                                                 "seconds": seconds},
            _("Branches: %(branches)d, Beijing districts: %(districts)d, party groups: %(party_groups)d") % c,
            _("Members: %(members)d (on the roster today: %(on_roster)d; aged 60 or over: %(elderly)d; "
              "probationary: %(probationary)d)") % c,
            _("Flow events: %(flow_events)d, behaviour notes: %(notes)d, tags: %(tags)d, households: %(households)d") % c,
            _("Logins: %(logins)d (password: %(password)s)") % {"logins": c["logins"], "password": demo.DEMO_PASSWORD},
        ]
        self.stdout.write("\n".join(lines))
