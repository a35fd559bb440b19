"""The reminder schedule (issue 14): what is due, sent once per event and channel, opt-outs honoured, a changed
event sent again, e-mail through Django's mail settings, the command's dry run, the periodic task."""

import datetime
import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from taizhang.activities.content_services import study_item_create
from taizhang.activities.models import Activity, StudyKind, StudyRead
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.core import periodic
from taizhang.core.models import AuditEntry, PeriodicRun
from taizhang.members.models import Member
from taizhang.members.selectors import months_before
from taizhang.members.tests.factories import UserFactory, grant
from taizhang.reports import reminders
from taizhang.reports.models import Channel, Notice, ReminderKind, ReminderOptOut, ReminderSend, SendStatus
from taizhang.reports.notices import reminder_preferences_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def logins(cast):
    """Members with logins: 张伟明 (the cast's plain member, east) and 赵丽华 (west), both with e-mail."""
    cast.plain_member.email = "zhang@example.cn"
    cast.plain_member.save()
    zhao = UserFactory(username="zhao", email="zhao@example.cn")
    grant(zhao, "member", cast.committee)
    Member.objects.filter(pk=cast.members_by_name["赵丽华"].pk).update(user=zhao)
    cast.zhao = zhao
    return cast


@pytest.fixture
def quiet(settings):
    """Only activity reminders: the study day far away, no staff digest, no study items."""
    settings.REMINDER_STUDY_DAY_DAYS = -1


def _east_activity(cast, hours=24, **kwargs):
    seed_types(cast)
    start = timezone.localtime(timezone.now() + datetime.timedelta(hours=hours))
    return make_activity(cast.admin, cast.committee, day=start.date(), start=start.strftime("%H:%M"),
                         title="东部集体学习", audience_kind="branch", audience_branch=cast.east, **kwargs)


def _sent(kind=None):
    qs = ReminderSend.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    return sorted((s.event_key.split(":")[0], s.recipient.username, s.channel) for s in qs)


def test_activity_reminder_sent_once_per_channel(logins, quiet, monkeypatch):
    monkeypatch.setattr(reminders, "_worklist_reminders", lambda today: [])
    activity = _east_activity(logins)
    outcome = reminders.reminders_send()
    assert outcome.sent == 2 and outcome.failed == 0
    assert _sent() == [("activity", "plain_member", "email"), ("activity", "plain_member", "notice")]
    notice = Notice.objects.get(recipient=logins.plain_member)
    assert "东部集体学习" in notice.title and notice.link == f"/activities/{activity.pk}/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["zhang@example.cn"]
    assert "东部集体学习" in mail.outbox[0].subject and "东部集体学习" in mail.outbox[0].body
    assert ReminderSend.objects.filter(channel=Channel.EMAIL, status=SendStatus.SENT).count() == 1
    # a second run sends nothing new
    again = reminders.reminders_send()
    assert again.planned == [] and again.sent == 0
    assert len(mail.outbox) == 1 and Notice.objects.count() == 1
    assert AuditEntry.objects.filter(action="reminders.send").count() == 1


def test_a_moved_activity_is_a_new_event(logins, quiet, monkeypatch):
    monkeypatch.setattr(reminders, "_worklist_reminders", lambda today: [])
    activity = _east_activity(logins)
    reminders.reminders_send()
    later = activity.starts_at + datetime.timedelta(hours=2)
    Activity.objects.filter(pk=activity.pk).update(starts_at=later, ends_at=later + datetime.timedelta(hours=2))
    outcome = reminders.reminders_send()
    assert outcome.sent == 2
    assert Notice.objects.filter(recipient=logins.plain_member).count() == 2


def test_opt_out_is_honoured_per_kind_and_channel(logins, quiet, monkeypatch):
    monkeypatch.setattr(reminders, "_worklist_reminders", lambda today: [])
    reminder_preferences_set(actor=logins.plain_member, wanted={(ReminderKind.ACTIVITY, Channel.NOTICE)})
    assert ReminderOptOut.objects.filter(user=logins.plain_member, kind=ReminderKind.ACTIVITY,
                                         channel=Channel.EMAIL).exists()
    _east_activity(logins)
    reminders.reminders_send()
    assert _sent() == [("activity", "plain_member", "notice")] and mail.outbox == []
    assert AuditEntry.objects.filter(action="reminder_preferences.update").count() == 1


def test_activity_beyond_the_window_or_cancelled_is_not_reminded(logins, quiet, monkeypatch, settings):
    monkeypatch.setattr(reminders, "_worklist_reminders", lambda today: [])
    settings.REMINDER_ACTIVITY_HOURS = 12
    _east_activity(logins, hours=24)
    assert reminders.reminders_send(dry_run=True).planned == []


def test_study_day_and_unread_items(logins, monkeypatch, settings):
    monkeypatch.setattr(reminders, "_worklist_reminders", lambda today: [])
    settings.REMINDER_STUDY_DAY_DAYS = 40  # the next study day is always within 40 days
    today = timezone.localdate()
    item = study_item_create(actor=logins.admin, committee=logins.committee, kind=StudyKind.MONTHLY,
                             title="上月学习", body="学习党章", month=months_before(today, 1).replace(day=1))
    StudyRead.objects.create(item=item, member=logins.members_by_name["赵丽华"])
    reminders.reminders_send()
    sent = _sent()
    assert ("study_day", "plain_member", "notice") in sent and ("study_day", "zhao", "notice") in sent
    assert ("study_unread", "plain_member", "notice") in sent
    assert ("study_unread", "zhao", "notice") not in sent  # read already
    assert reminders.reminders_send().sent == 0


def test_staff_digest_weekly(cast, settings):
    settings.REMINDER_STUDY_DAY_DAYS = -1
    cast.east_secretary.email = "east@example.cn"
    cast.east_secretary.save()
    reminders.reminders_send()
    digest = Notice.objects.get(recipient=cast.east_secretary, kind=ReminderKind.WORKLIST)
    assert digest.event_key.startswith("worklist:") and digest.link == "/reports/worklist/"
    assert "6" in digest.body  # e.g. “6 个月及以上未联系：…”
    assert not Notice.objects.filter(recipient=cast.plain_member, kind=ReminderKind.WORKLIST).exists()
    assert not Notice.objects.filter(recipient=cast.auditor).exists()
    assert any(m.to == ["east@example.cn"] for m in mail.outbox)
    assert reminders.reminders_send().sent == 0
    # the staff whose digest is out are not worked out again this week
    assert reminders._worklist_reminders(timezone.localdate()) == []


def test_failed_email_is_logged_not_raised(logins, quiet, monkeypatch, settings):
    monkeypatch.setattr(reminders, "_worklist_reminders", lambda today: [])

    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(reminders, "send_mail", refuse)
    _east_activity(logins)
    outcome = reminders.reminders_send()
    assert outcome.sent == 1 and outcome.failed == 1
    failed = ReminderSend.objects.get(channel=Channel.EMAIL)
    assert failed.status == SendStatus.FAILED and "refused" in failed.message
    assert reminders.reminders_send().planned == []  # never twice, even after a failure


def test_command_dry_run_writes_nothing(logins, quiet, monkeypatch):
    monkeypatch.setattr(reminders, "_worklist_reminders", lambda today: [])
    _east_activity(logins)
    out = StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "plain_member\tnotice" in text and "plain_member\temail" in text and "试运行" in text
    assert ReminderSend.objects.count() == 0 and Notice.objects.count() == 0 and mail.outbox == []
    out = StringIO()
    call_command("send_reminders", "--format", "json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["sent"] == 2 and not result["dry_run"] and len(result["planned"]) == 2
    out = StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    assert "plain_member" not in out.getvalue()


class FakeTask:
    enqueued = 0

    @classmethod
    def enqueue(cls):
        cls.enqueued += 1


def test_periodic_task_enqueued_once_per_due_time(db, settings):
    path = "taizhang.reports.tests.test_reminders.FakeTask"
    settings.PERIODIC_TASKS = [(path, 3600)]
    FakeTask.enqueued = 0
    now = timezone.now()
    assert periodic.enqueue_due(now) == [path]
    assert periodic.enqueue_due(now) == [] and periodic.enqueue_due(now + datetime.timedelta(minutes=59)) == []
    run = PeriodicRun.objects.get()
    assert run.next_run_at == now + datetime.timedelta(hours=1)
    assert periodic.enqueue_due(now + datetime.timedelta(hours=1)) == [path]
    assert FakeTask.enqueued == 2


def test_a_wrong_task_path_does_not_stop_the_worker(db, settings):
    settings.PERIODIC_TASKS = [("taizhang.nowhere.task", 60)]
    assert periodic.enqueue_due() == []


def test_the_task_runs_the_schedule(logins, quiet, monkeypatch, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(reminders, "_worklist_reminders", lambda today: [])
    from taizhang.reports.tasks import send_reminders_task

    _east_activity(logins)
    result = send_reminders_task.call()
    assert result == {"sent": 2, "failed": 0, "already_sent": 0}
