"""Background tasks of core (django-tasks; ``manage.py db_worker`` runs them). Arguments are plain ids."""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from taizhang.core import export_jobs


@task()
def run_export_job(job_id: int) -> None:
    """Write a large export for the user who asked for it (``export_jobs.export_job_run``)."""
    with translation.override(settings.LANGUAGE_CODE):
        export_jobs.export_job_run(job_id)
