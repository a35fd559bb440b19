"""In-app notices (站内通知) and the reminder preferences: reads and writes.

The bell's count is one indexed count of the user's unread notices (``Notice``'s partial index on
``recipient`` where ``read_at`` is empty); a user only ever sees, reads and marks their own notices.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.audit import audit_log
from taizhang.reports.models import Channel, Notice, ReminderKind, ReminderOptOut


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


def notices_for(user):
    """The user's own notices, newest first."""
    return Notice.objects.filter(recipient=user).order_by("-created_at", "-id")


def notice_mark_read(*, actor, notice_id: int) -> int:
    """Mark one of ``actor``'s notices read (another user's notice: nothing happens); rows changed."""
    return Notice.objects.filter(pk=notice_id, recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


def notice_mark_all_read(*, actor) -> int:
    return Notice.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


def absolute(link: str, base: str = "") -> str:
    """``link`` (a path) as a full address: the request's (``base``) or the setting TAIZHANG_SITE_URL's."""
    if not link or link.startswith(("http://", "https://")):
        return link
    base = (base or getattr(settings, "SITE_URL", "")).rstrip("/")
    return f"{base}{link}" if base else link


def wechat_text(notice, base: str = "") -> str:
    """A ready text for the committee's WeChat group: plain text (no markup), the title in 【】, the
    details, and the address to open."""
    parts = [f"【{notice.title}】"]
    if notice.body:
        parts.append(notice.body.strip())
    if notice.link:
        parts.append(_("Details: %(link)s") % {"link": absolute(notice.link, base)})
    return "\n".join(parts)


# --- preferences ------------------------------------------------------------------------------------------


def preferences(user) -> dict:
    """{(kind, channel): on} for every kind and channel (on unless the user opted out)."""
    off = set(ReminderOptOut.objects.filter(user=user).values_list("kind", "channel"))
    return {(k, c): (k, c) not in off for k in ReminderKind.values for c in Channel.values}


def reminder_preferences_set(*, actor, wanted: set) -> None:
    """Save ``actor``'s choices: ``wanted`` is the set of (kind, channel) they want; every other pair is an
    opt-out. Audited with the old and new opt-outs."""
    with transaction.atomic():
        before = set(ReminderOptOut.objects.select_for_update().filter(user=actor).values_list("kind", "channel"))
        after = {(k, c) for k in ReminderKind.values for c in Channel.values} - set(wanted)
        if before == after:
            return
        ReminderOptOut.objects.filter(user=actor).exclude(
            pk__in=[o.pk for o in ReminderOptOut.objects.filter(user=actor) if (o.kind, o.channel) in after]).delete()
        ReminderOptOut.objects.bulk_create(
            [ReminderOptOut(user=actor, kind=k, channel=c) for k, c in sorted(after - before)])
        audit_log(actor=actor, action="reminder_preferences.update", obj=actor,
                  old={"opted_out": sorted(f"{k}:{c}" for k, c in before)},
                  new={"opted_out": sorted(f"{k}:{c}" for k, c in after)})
