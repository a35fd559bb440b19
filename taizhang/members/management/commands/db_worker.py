"""``db_worker`` from django-tasks-db, which first marks interrupted the imports a killed worker left behind,
and which also enqueues the periodic tasks when they are due (``core.periodic``, setting ``PERIODIC_TASKS``).

(``django_tasks_db`` comes after the project's apps in INSTALLED_APPS so that this command is the one run.)
"""

import threading

from django.utils import translation
from django_tasks_db.management.commands import db_worker

from taizhang.core import periodic
from taizhang.core.commands import ProjectCommand
from taizhang.members import imports


class Command(ProjectCommand, db_worker.Command):
    help = ("Run the background worker (long imports, exports, reminders); first mark imports whose worker died "
            "as interrupted; enqueue the periodic tasks when due.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--no-periodic", action="store_false", dest="periodic",
                            help="Do not enqueue the periodic tasks (PERIODIC_TASKS) from this worker.")

    def handle(self, *args, **options):
        with translation.override("zh-hans"):
            marked = imports.import_runs_recover()
        if marked and options.get("verbosity", 1):
            self.stdout.write(translation.gettext("%(n)d interrupted imports were marked; they can be retried.")
                              % {"n": marked})
        if options.pop("periodic", True) and periodic.periodic_tasks() and not options.get("batch"):
            stop = threading.Event()
            threading.Thread(target=periodic.run_forever, args=(stop,), name="periodic-tasks", daemon=True).start()
        return super().handle(*args, **options)
