"""``manage.py load_demo_places``: the demo committee's 党员之家 (needs ``load_demo`` and
``load_demo_activities``): the four rooms with a month of bookings, books and loans, archive documents, the
interest groups with last year's calligraphy contest, and some talks. Idempotent; refused in production."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand, run_demo_loader
from taizhang.members.demo import COMMITTEE_NAME, DemoError
from taizhang.organisation.models import Committee
from taizhang.places import groups_demo, rooms_demo, talks_demo
from taizhang.places.summary import places_summary, summary_text


def load_demo_places() -> dict:
    for area in (rooms_demo, groups_demo, talks_demo):
        area.load_demo()
    return places_summary(Committee.objects.get(name=COMMITTEE_NAME))


class Command(ProjectCommand):
    help = "Load the demo committee's 党员之家: rooms, bookings, books, archive, interest groups, a contest, talks."

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        summary, seconds = run_demo_loader(load_demo_places, known_errors=(DemoError,))
        self.stdout.write(_("Demo places loaded (%(seconds).1f s): %(summary)s")
                          % {"seconds": seconds, "summary": summary_text(summary)})
