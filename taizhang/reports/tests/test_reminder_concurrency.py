"""Two workers running the reminder schedule at the same moment send each event once per channel, and two
workers looking for due periodic tasks enqueue it once (PostgreSQL: concurrent transactions for real)."""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.core import periodic
from taizhang.core.tests.threads import run_at_once
from taizhang.reports import reminders
from taizhang.reports.models import Notice, ReminderSend

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_event_once(cast, settings, monkeypatch):
    settings.REMINDER_STUDY_DAY_DAYS = -1
    monkeypatch.setattr(reminders, "_worklist_reminders", lambda today: [])
    cast.plain_member.email = "zhang@example.cn"
    cast.plain_member.save()
    seed_types(cast)
    start = timezone.localtime(timezone.now() + datetime.timedelta(hours=20))
    make_activity(cast.admin, cast.committee, day=start.date(), start=start.strftime("%H:%M"), title="集体学习")
    outcomes = []

    def send():
        outcomes.append(reminders.reminders_send())

    run_at_once(send, 4)
    assert sum(o.sent for o in outcomes) == 2  # one notice, one e-mail
    assert sum(o.raced for o in outcomes) == sum(len(o.planned) for o in outcomes) - 2
    assert ReminderSend.objects.count() == 2 and Notice.objects.count() == 1 and len(mail.outbox) == 1


class Counter:
    n = 0

    @classmethod
    def enqueue(cls):
        cls.n += 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_enqueue_a_due_task_once(settings):
    settings.PERIODIC_TASKS = [("taizhang.reports.tests.test_reminder_concurrency.Counter", 600)]
    Counter.n = 0
    now = timezone.now()
    run_at_once(lambda: periodic.enqueue_due(now), 4)  # the first time: one creates the row
    assert Counter.n == 1
    later = now + datetime.timedelta(seconds=600)
    run_at_once(lambda: periodic.enqueue_due(later), 4)
    assert Counter.n == 2
