"""Background tasks of reports (django-tasks): the reminder schedule, enqueued by the worker when due
(setting ``PERIODIC_TASKS``, ``core.periodic``)."""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from taizhang.reports import reminders


@task()
def send_reminders_task() -> dict:
    """Send the reminders due now (``reminders.reminders_send``); safe to run twice (the send log)."""
    with translation.override(settings.LANGUAGE_CODE):
        outcome = reminders.reminders_send()
    return {"sent": outcome.sent, "failed": outcome.failed, "already_sent": outcome.raced}
