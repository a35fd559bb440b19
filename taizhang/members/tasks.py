"""Background tasks of the member ledger (django-tasks; ``manage.py db_worker`` runs them).

Arguments are plain ids (JSON); the work and its error handling live in ``imports``.
"""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from taizhang.members import imports


@task()
def check_import(run_id: int) -> None:
    """The dry run of an uploaded ledger file, recording progress on its ImportRun."""
    with translation.override(settings.LANGUAGE_CODE):
        imports.run_check(run_id)


@task()
def commit_import(run_id: int) -> None:
    """Write the valid rows of a checked ledger file in one transaction."""
    with translation.override(settings.LANGUAGE_CODE):
        imports.run_commit(run_id)
