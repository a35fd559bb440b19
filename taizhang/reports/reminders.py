"""The reminder schedule (工作提醒): what is due to be sent now, and sending it.

``due_reminders`` lists every reminder the rules ask for right now, each with a stable event key:

* ``activity:<id>:<start>`` — an activity starting within REMINDER_ACTIVITY_HOURS, to the members on the
  roster in its audience and those signed up (a moved start time is a new event: a new reminder);
* ``study_day:<date>`` — the monthly study day within REMINDER_STUDY_DAY_DAYS, to every member on the roster;
* ``study_unread:<item id>`` — a study item past its date (``worklist.study_items_past_date``), to the members
  of its audience who have not read it;
* ``worklist:<year>-W<week>`` — the staff's weekly digest of their worklist (only items with something to do).

Only users who log in can be reminded (members without a login are in the staff's worklist instead).
``reminders_send`` sends each on each channel the recipient has not opted out of (``ReminderOptOut``):
the in-app notice and, for users with an address, e-mail (Django's mail settings). Each send first inserts its
``ReminderSend`` row; the unique constraint on (event key, recipient, channel) refuses a second row, so an
event is never sent twice on a channel — not on a second run, not when two workers run at the same moment
(the second insert waits for the first and then fails). A notice is written in the same transaction as its
row; an e-mail goes out after its row is committed and the row then says ``sent`` or ``failed`` (at most
once: a worker killed in between leaves it ``pending``, never a second mail).
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.activities.models import Activity, SignUp, SignUpStatus, StudyItem
from taizhang.core.audit import audit_log
from taizhang.members import audience
from taizhang.members.models import ROSTER_STATUSES, Member, Status
from taizhang.members.selectors import annotate_status
from taizhang.reports import worklist as wl
from taizhang.reports.models import Channel, Notice, ReminderKind, ReminderOptOut, ReminderSend, SendStatus
from taizhang.reports.notices import wechat_text

logger = logging.getLogger(__name__)

STAFF_ROLES = ("committee_admin", "branch_secretary", "study_member", "treasurer")


@dataclass
class Reminder:
    recipient: object  # a User
    kind: str
    event_key: str
    title: str
    body: str = ""
    link: str = ""


@dataclass
class Outcome:
    planned: list = field(default_factory=list)  # [(Reminder, channel)] not sent before and not opted out
    sent: int = 0
    failed: int = 0
    raced: int = 0  # refused by the unique constraint: another run sent it first


def _logins(members):
    """{user id: (user, member)} of the members who log in (active logins only)."""
    rows = members.filter(user__isnull=False, user__is_active=True).select_related("user")
    return {m.user_id: (m.user, m) for m in rows}


def _activity_reminders(now: datetime.datetime) -> list[Reminder]:
    until = now + datetime.timedelta(hours=settings.REMINDER_ACTIVITY_HOURS)
    activities = (Activity.objects.filter(cancelled=False, starts_at__gt=now, starts_at__lte=until)
                  .select_related("audience_group").order_by("starts_at", "id"))
    reminders = []
    for activity in activities:
        signed = Member.objects.filter(pk__in=SignUp.objects.filter(
            activity=activity, status__in=[SignUpStatus.SIGNED_UP, SignUpStatus.WAITLISTED]).values("member_id"))
        people = _logins(audience.members_on(activity)) | _logins(signed)
        start = timezone.localtime(activity.starts_at)
        key = f"activity:{activity.pk}:{start.isoformat(timespec='minutes')}"
        title = _("Activity on %(when)s: %(title)s") % {"when": start.strftime("%m-%d %H:%M"), "title": activity.title}
        body = _("%(title)s, %(when)s, at %(place)s.") % {
            "title": activity.title, "when": start.strftime("%Y-%m-%d %H:%M"), "place": activity.place or "—"}
        link = reverse("activities:detail", args=[activity.pk])
        reminders += [Reminder(user, ReminderKind.ACTIVITY, key, title, body, link) for user, _m in people.values()]
    return reminders


def _study_day_reminders(today: datetime.date) -> list[Reminder]:
    day = wl.next_study_day(today)
    if (day - today).days > settings.REMINDER_STUDY_DAY_DAYS:
        return []
    members = annotate_status(Member.objects.all()).filter(status__in=[s for s in ROSTER_STATUSES if s != Status.SUSPENDED])
    people = _logins(members)
    start, end = wl.day_bounds(day)
    planned = {}
    for activity in Activity.objects.filter(cancelled=False, starts_at__gte=start, starts_at__lt=end).order_by("starts_at"):
        planned.setdefault(activity.committee_id, []).append(activity.title)
    key = f"study_day:{day.isoformat()}"
    title = _("Study day: %(day)s") % {"day": day.isoformat()}
    reminders = []
    for user, member in people.values():
        titles = planned.get(member.committee_id)
        body = (_("The monthly study day is %(day)s. Planned: %(what)s.") % {"day": day.isoformat(), "what": "、".join(titles)}
                if titles else _("The monthly study day is %(day)s.") % {"day": day.isoformat()})
        reminders.append(Reminder(user, ReminderKind.STUDY_DAY, key, title, body, reverse("activities:list")))
    return reminders


def _study_unread_reminders(today: datetime.date) -> list[Reminder]:
    items = (StudyItem.objects.filter(wl.study_past_date_q(today)).select_related("audience_group")
             .order_by("published_at", "id"))
    reminders = []
    for item in items:
        unread = audience.members_on(item).exclude(study_reads__item=item)
        for user, _m in _logins(unread).values():
            reminders.append(Reminder(user, ReminderKind.STUDY_UNREAD, f"study_unread:{item.pk}",
                                      _("Not read yet: %(title)s") % {"title": item.title},
                                      _("A study item for you is waiting to be read."),
                                      reverse("content:study_detail", args=[item.pk])))
    return reminders


def _worklist_reminders(today: datetime.date) -> list[Reminder]:
    year, week, _day = today.isocalendar()
    key = f"worklist:{year}-W{week:02d}"
    # staff whose digest of the week is out already, or who want none, are not worked out again every hour
    done = ReminderSend.objects.filter(event_key=key).values("recipient_id")
    off = (ReminderOptOut.objects.filter(kind=ReminderKind.WORKLIST).values("user_id")
           .annotate(n=Count("pk")).filter(n__gte=len(Channel.values)).values("user_id"))
    staff = (get_user_model().objects.filter(is_active=True, role_assignments__role__in=STAFF_ROLES)
             .exclude(pk__in=done).exclude(pk__in=off).distinct().order_by("pk"))
    reminders = []
    for user in staff:
        if not wl.may_see_worklist(user):
            continue
        todo = [item for item in wl.worklist(user, today) if item.level != "success"]
        if not todo:
            continue
        lines = [f"· {item.title}" + (f"：{item.count}" if item.key != "study_day" else "") for item in todo]
        reminders.append(Reminder(user, ReminderKind.WORKLIST, key,
                                  _("Worklist for the week: %(n)s items") % {"n": len(todo)},
                                  "\n".join(lines), reverse("reports:worklist")))
    return reminders


def due_reminders(now: datetime.datetime | None = None) -> list[Reminder]:
    """Every reminder the rules ask for at ``now`` (sent or not)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return (_activity_reminders(now) + _study_day_reminders(today) + _study_unread_reminders(today)
            + _worklist_reminders(today))


def _planned(reminders: list[Reminder]) -> list[tuple[Reminder, str]]:
    """(reminder, channel) pairs not opted out, with an address, and not in the send log yet."""
    if not reminders:
        return []
    user_ids = {r.recipient.pk for r in reminders}
    off = set(ReminderOptOut.objects.filter(user_id__in=user_ids).values_list("user_id", "kind", "channel"))
    done = set(ReminderSend.objects.filter(event_key__in={r.event_key for r in reminders}, recipient_id__in=user_ids)
               .values_list("event_key", "recipient_id", "channel"))
    planned = []
    for r in reminders:
        for channel in Channel.values:
            if (r.recipient.pk, r.kind, channel) in off or (r.event_key, r.recipient.pk, channel) in done:
                continue
            if channel == Channel.EMAIL and not r.recipient.email:
                continue
            planned.append((r, channel))
    return planned


def _send_one(reminder: Reminder, channel: str) -> str:
    """Log and send one; ``"sent"``, ``"failed"`` or ``"raced"`` (the log already had it)."""
    try:
        with transaction.atomic():
            log = ReminderSend.objects.create(recipient=reminder.recipient, kind=reminder.kind,
                                              event_key=reminder.event_key, channel=channel,
                                              status=SendStatus.SENT if channel == Channel.NOTICE else SendStatus.PENDING)
            if channel == Channel.NOTICE:
                Notice.objects.get_or_create(recipient=reminder.recipient, event_key=reminder.event_key, defaults={
                    "kind": reminder.kind, "title": reminder.title[:200], "body": reminder.body,
                    "link": reminder.link})
    except IntegrityError:
        return "raced"
    if channel == Channel.NOTICE:
        return "sent"
    text = wechat_text(Notice(title=reminder.title, body=reminder.body, link=reminder.link))
    try:
        send_mail(f"[{_('Taizhang')}] {reminder.title}", text, None, [reminder.recipient.email])
    except Exception as exc:  # the SMTP server refused or is away: logged on the row, not raised
        logger.warning("reminder e-mail to user %s failed: %s", reminder.recipient.pk, exc)
        ReminderSend.objects.filter(pk=log.pk).update(status=SendStatus.FAILED, message=str(exc)[:500])
        return "failed"
    ReminderSend.objects.filter(pk=log.pk).update(status=SendStatus.SENT)
    return "sent"


def reminders_send(*, now: datetime.datetime | None = None, dry_run: bool = False) -> Outcome:
    """Send what is due now and not sent before (``dry_run``: only say what that is; nothing is written)."""
    outcome = Outcome(planned=_planned(due_reminders(now)))
    if dry_run:
        return outcome
    for reminder, channel in outcome.planned:
        result = _send_one(reminder, channel)
        if result == "sent":
            outcome.sent += 1
        elif result == "failed":
            outcome.failed += 1
        else:
            outcome.raced += 1
    if outcome.sent or outcome.failed:
        audit_log(actor=None, action="reminders.send", object_type="reports.remindersend",
                  object_repr=_("Reminders"), username="system",
                  new={"sent": outcome.sent, "failed": outcome.failed, "already_sent": outcome.raced})
    return outcome


def describe(reminder: Reminder, channel: str) -> str:
    """One line of the dry run."""
    return f"{reminder.event_key}\t{reminder.recipient.get_username()}\t{channel}\t{reminder.title}"

