"""Notices (站内通知), reminder opt-outs and the reminder send log (工作提醒, issue 14).

* ``Notice`` — an in-app notice for one user (the bell in the navigation bar counts the unread ones).
  ``event_key`` names what it is about (e.g. ``activity:12:2026-12-12T09:30``), so a changed event makes a
  new key and a new notice, and an unchanged one never a second.
* ``ReminderOptOut`` — a user's "no" to one kind of reminder on one channel (everything is on by default;
  the row is the exception).
* ``ReminderSend`` — every send of the reminder schedule (``reports.reminders``), one row per recipient,
  event and channel; the unique constraint makes a second send of the same event on the same channel
  impossible, also when two workers run the schedule at the same moment.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    ACTIVITY = "activity", _("Upcoming activity")
    STUDY_DAY = "study_day", _("Study day")
    STUDY_UNREAD = "study_unread", _("Unread study item")
    WORKLIST = "worklist", _("Worklist digest (staff)")


class Channel(models.TextChoices):
    NOTICE = "notice", _("In-app notice")
    EMAIL = "email", _("E-mail")


class SendStatus(models.TextChoices):
    PENDING = "pending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (no address)")


class Notice(models.Model):
    """One in-app notice for ``recipient``: a title, a short text, a link to act and a ready text for the
    WeChat group. Unread while ``read_at`` is empty."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="notices")
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    event_key = models.CharField(_("event"), max_length=200)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event_key"], name="reports_notice_once_per_event"),
        ]
        indexes = [
            # the bell's count: the unread notices of one user (a partial index, so the count reads only them)
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="reports_notice_unread_idx"),
            models.Index(fields=["recipient", "-created_at", "-id"], name="reports_notice_list_idx"),
        ]

    def __str__(self):
        return self.title


class ReminderOptOut(models.Model):
    """``user`` does not want reminders of ``kind`` on ``channel``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="reminder_opt_outs")
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)

    class Meta:
        verbose_name = _("reminder opt-out")
        verbose_name_plural = _("reminder opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="reports_optout_unique"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.channel}"


class ReminderSend(models.Model):
    """One send of the reminder schedule: who, what kind, which event, which channel, when, and how it went.
    Never two rows for one (event key, recipient, channel): the constraint, not a check in Python."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    event_key = models.CharField(_("event"), max_length=200)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=SendStatus.choices, default=SendStatus.PENDING)
    message = models.CharField(_("message"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_key", "recipient", "channel"], name="reports_send_once"),
        ]

    def __str__(self):
        return f"{self.event_key} → {self.recipient_id} ({self.channel})"
