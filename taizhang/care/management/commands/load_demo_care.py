"""``manage.py load_demo_care``: the demo committee's care (needs ``load_demo``). Idempotent; refused in production."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.care.demo import load_demo_care
from taizhang.core.commands import ProjectCommand, run_demo_loader
from taizhang.members.demo import DemoError


class Command(ProjectCommand):
    help = "Load the demo committee's care of elderly members (never in production)."

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        summary, seconds = run_demo_loader(load_demo_care, known_errors=(DemoError,))
        if summary is None:
            self.stdout.write(_("The demo care data is already loaded."))
            return
        self.stdout.write(_("Demo care loaded (%(seconds).1f s): %(subs)d newspaper subscriptions, %(visits)d visits, "
                            "%(items)d store items.")
                          % {"seconds": seconds, "subs": summary.subscriptions, "visits": summary.visits,
                             "items": summary.items})
