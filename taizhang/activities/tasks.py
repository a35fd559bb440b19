"""Background tasks of activities (django-tasks), enqueued by the worker when due (setting ``PERIODIC_TASKS``,
``core.periodic``)."""

from django_tasks import task

from taizhang.activities import tally_projection


@task()
def advance_tally_projection_task() -> dict:
    """Project the months that have become past (``tally_projection.advance_all``); until it runs, those months
    are read live. Harmless when run twice (a committee already up to date is skipped)."""
    return {str(pk): months for pk, months in tally_projection.advance_all().items()}
