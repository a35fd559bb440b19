"""Periodic tasks for the background worker (django-tasks has no scheduler of its own).

The setting ``PERIODIC_TASKS`` lists ``(dotted path of a django-tasks task, interval in seconds)``; the
worker (``manage.py db_worker``) calls ``enqueue_due`` every few seconds. The time each task is next due is
kept in the database (``core.PeriodicRun``), and a task is enqueued only by the worker whose conditional
UPDATE moved that time forward — so however many workers run, on however many hosts, each due time is
enqueued once. (The tasks are also written to be harmless when run twice: the reminders' send log has a
unique constraint on event, recipient and channel.) A dotted path, so core imports no domain app.
"""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from taizhang.core.models import PeriodicRun

logger = logging.getLogger(__name__)


def check_seconds() -> float:
    """How often a worker looks for due periodic tasks (setting ``PERIODIC_CHECK_SECONDS``)."""
    return float(getattr(settings, "PERIODIC_CHECK_SECONDS", 30))


def periodic_tasks() -> list[tuple[str, int]]:
    return [(path, int(seconds)) for path, seconds in getattr(settings, "PERIODIC_TASKS", [])]


def _claim(name: str, every: int, now: datetime.datetime) -> bool:
    """Move ``name``'s due time past ``now`` if it is due; True for the one caller that moved it."""
    next_run = now + datetime.timedelta(seconds=every)
    moved = PeriodicRun.objects.filter(name=name, next_run_at__lte=now).update(next_run_at=next_run, last_run_at=now)
    if moved:
        return True
    if PeriodicRun.objects.filter(name=name).exists():
        return False
    try:  # first time: the row is created already claimed (the unique name: one creator wins)
        with transaction.atomic():
            PeriodicRun.objects.create(name=name, next_run_at=next_run, last_run_at=now)
        return True
    except IntegrityError:
        return False


def enqueue_due(now: datetime.datetime | None = None) -> list[str]:
    """Enqueue every periodic task that is due now (each at most once however many workers call this);
    the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for path, every in periodic_tasks():
        if _claim(path, every, now):
            try:
                import_string(path).enqueue()
            except Exception:  # a wrong path or a queue error must not stop the worker: log it, try next time
                logger.exception("periodic task %s could not be enqueued", path)
                PeriodicRun.objects.filter(name=path).update(next_run_at=now + datetime.timedelta(seconds=min(every, 60)))
                continue
            enqueued.append(path)
    return enqueued


def run_forever(stop) -> None:
    """The worker's scheduler loop (a daemon thread of ``db_worker``): ``enqueue_due`` every
    ``check_seconds`` until the event ``stop`` is set. Errors are logged, never raised: a database that is
    briefly away must not end the worker."""
    from django.db import close_old_connections, connection

    while not stop.is_set():
        try:
            close_old_connections()
            for name in enqueue_due():
                logger.info("enqueued periodic task %s", name)
        except Exception:
            logger.exception("periodic tasks could not be checked")
        finally:
            connection.close()
        stop.wait(check_seconds())
