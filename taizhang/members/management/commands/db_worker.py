"""``db_worker`` from django-tasks-db, which first marks interrupted the imports a killed worker left behind.

(``django_tasks_db`` comes after the project's apps in INSTALLED_APPS so that this command is the one run.)
"""

from django.utils import translation
from django_tasks_db.management.commands import db_worker

from taizhang.core.commands import ProjectCommand
from taizhang.members import imports


class Command(ProjectCommand, db_worker.Command):
    help = "Run the background worker (long imports); first mark imports whose worker died as interrupted."

    def handle(self, *args, **options):
        with translation.override("zh-hans"):
            marked = imports.import_runs_recover()
        if marked and options.get("verbosity", 1):
            self.stdout.write(translation.gettext("%(n)d interrupted imports were marked; they can be retried.")
                              % {"n": marked})
        return super().handle(*args, **options)
