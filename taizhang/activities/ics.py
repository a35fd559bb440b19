"""iCalendar (.ics) feed of the activities a user is invited to, and its signed feed token.

Calendar apps cannot log in, so the feed URL carries a token signed with the site's secret
(``django.core.signing``, own salt) over the user's pk and a keyed hash of the user's password hash:
changing the password revokes every link handed out before. No model, no stored secret.

The activities are those ``selectors.activity_queryset(user)`` shows the user (a member: what they
are invited to, signed up for or attended; staff: their VIEW scope), from 30 days ago on. Cancelled
ones stay in the feed with STATUS:CANCELLED so calendars remove them.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from taizhang.activities.selectors import activity_queryset
from taizhang.core.permissions import VIEW

SALT = "taizhang.activities.ics"
PAST_DAYS = 30
UID_DOMAIN = "taizhang"


def _password_tag(user) -> str:
    return salted_hmac(SALT, user.password or "").hexdigest()[:16]


def feed_token(user) -> str:
    """The signed token of ``user``'s feed (stable until the password changes).

    A plain ``Signer``, not ``signing.dumps``: the latter stamps the time, so the link would change
    every second and a link copied from the page would never match the one shown next time.
    """
    return signing.Signer(salt=SALT).sign_object({"u": user.pk, "p": _password_tag(user)}, compress=True)


def user_for_token(token: str):
    """The active user a token belongs to, or None (tampered, foreign, revoked or inactive)."""
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), str):
        return None
    user = get_user_model().objects.filter(pk=data["u"], is_active=True).first()
    if user is None or not constant_time_compare(data["p"], _password_tag(user)):
        return None
    return user


def feed_activities(user, *, now=None):
    now = now or timezone.now()
    return (
        activity_queryset(user, VIEW)
        .filter(ends_at__gte=now - datetime.timedelta(days=PAST_DAYS))
        .select_related("committee")
        .order_by("starts_at", "pk")
    )


def activity_uid(activity) -> str:
    return f"activity-{activity.pk}@{UID_DOMAIN}"


def build_calendar(user, *, now=None) -> bytes:
    """The .ics file of ``user``'s activities."""
    calendar = Calendar()
    calendar.add("prodid", "-//Taizhang//Activities//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Organisational life"))
    calendar.add("x-wr-timezone", timezone.get_current_timezone_name())
    stamp = now or timezone.now()
    for activity in feed_activities(user, now=now):
        event = Event()
        event.add("uid", activity_uid(activity))
        event.add("dtstamp", stamp)
        event.add("dtstart", timezone.localtime(activity.starts_at))
        event.add("dtend", timezone.localtime(activity.ends_at))
        event.add("summary", activity.title)
        if activity.place:
            event.add("location", activity.place)
        organiser = activity.organiser_branch.name if activity.organiser_branch_id else activity.committee.name
        lines = [
            _("Type: %(type)s") % {"type": activity.activity_type.name},
            _("Organised by: %(organiser)s") % {"organiser": organiser},
        ]
        if activity.cancelled:
            lines.append(_("Cancelled: %(reason)s") % {"reason": activity.cancel_reason or "—"})
        event.add("description", "\n".join(lines))
        event.add("categories", [activity.activity_type.name])
        event.add("status", "CANCELLED" if activity.cancelled else "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
