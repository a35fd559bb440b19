"""``manage.py load_demo``: load the invented demo committee, its members and the demo logins.

Idempotent (does nothing when the demo committee exists) and refused in production.
"""

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.members import demo


class Command(BaseCommand):
    help = "Load the demo committee, members and logins (never in production)."

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        if settings.PRODUCTION:
            raise CommandError(_("The demo data is never loaded in production (TAIZHANG_ENV=production)."))
        started = time.monotonic()
        try:
            summary = demo.load_demo()
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:  # e.g. a demo user name is already taken by a real login
            raise CommandError(_("The demo data could not be loaded: %(reason)s") % {"reason": "；".join(exc.messages)}) from exc
        if summary is None:
            self.stdout.write(
                _("The demo data is already loaded (the committee “%(name)s” exists); nothing was changed.")
                % {"name": demo.COMMITTEE_NAME}
            )
            return
        c = summary.counts
        lines = [
            _("Demo data loaded: %(name)s (%(seconds).1f s).") % {"name": summary.committee.name,
                                                                 "seconds": time.monotonic() - started},
            _("Branches: %(branches)d, Beijing districts: %(districts)d, party groups: %(party_groups)d") % c,
            _("Members: %(members)d (on the roster today: %(on_roster)d; aged 60 or over: %(elderly)d; "
              "probationary: %(probationary)d)") % c,
            _("Flow events: %(flow_events)d, behaviour notes: %(notes)d, tags: %(tags)d, households: %(households)d") % c,
            _("Logins: %(logins)d (password: %(password)s)") % {"logins": c["logins"], "password": demo.DEMO_PASSWORD},
        ]
        self.stdout.write("\n".join(lines))
