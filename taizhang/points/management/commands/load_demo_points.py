"""``manage.py load_demo_points``: the demo committee's points rules, entries, study records and
external scores. Needs ``load_demo`` (and ``load_demo_activities`` for attendance entries). Idempotent;
refused in production."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand, run_demo_loader
from taizhang.members.demo import DemoError
from taizhang.points.demo import load_demo_points


class Command(ProjectCommand):
    help = "Load the demo committee's points (never in production)."

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        summary, seconds = run_demo_loader(load_demo_points, known_errors=(DemoError,))
        self.stdout.write(_("Demo points loaded (%(seconds).1f s): %(rules)d rules added, %(added)d entries added, "
                            "%(reversed)d reversed, %(records)d study records, %(imports)d score imports.")
                          % {"seconds": seconds, "rules": summary.rules, "added": summary.added,
                             "reversed": summary.reversed, "records": summary.records, "imports": summary.imports})
