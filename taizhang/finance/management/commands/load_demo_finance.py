"""``manage.py load_demo_finance``: the demo committee's donation campaign. Needs ``load_demo``.
Idempotent; refused in production."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand, run_demo_loader
from taizhang.core.money import yuan
from taizhang.finance.demo import load_demo_finance
from taizhang.members.demo import DemoError


class Command(ProjectCommand):
    help = "Load the demo committee's money (never in production)."

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        summary, seconds = run_demo_loader(load_demo_finance, known_errors=(DemoError,))
        if summary is None:
            self.stdout.write(_("The demo money is already loaded."))
            return
        self.stdout.write(_("Demo money loaded (%(seconds).1f s): %(gifts)d gifts, %(total)s yuan in all, "
                            "%(late)s yuan of it after the deadline; %(expenses)d expenses in this year's budget.")
                          % {"seconds": seconds, "gifts": summary.gifts, "total": yuan(summary.total_fen),
                             "late": yuan(summary.late_fen), "expenses": summary.expenses})
