"""Test helpers for activities: the standard types and activities made through the real services.

    types = seed_types(cast)                      # the 16 standard types of cast.committee
    activity = make_activity(cast.admin, cast.committee, day=date(2026, 6, 12))
    branch_meeting = make_activity(cast.east_secretary, cast.committee, type_name="党员大会",
                                   organiser_branch=cast.east, audience_kind="branch", audience_branch=cast.east)
"""

import datetime

from django.utils import timezone

from taizhang.activities.models import ActivityType, AudienceKind
from taizhang.activities.services import activity_create, activity_types_seed

# A study day in the past of the test run (so attendance may be recorded) and after the cast's
# members were registered (2018-03-01).
DAY = datetime.date(2026, 6, 12)


def at(day: datetime.date, hhmm: str = "09:30") -> datetime.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def seed_types(cast) -> dict:
    activity_types_seed(actor=cast.admin, committee=cast.committee)
    return {t.name: t for t in ActivityType.objects.filter(committee=cast.committee)}


def make_activity(actor, committee, *, type_name: str = "集体学习", day: datetime.date = DAY, start: str = "09:30",
                  minutes: int = 120, title: str = "集体学习：学习党章", audience_kind: str = AudienceKind.COMMITTEE,
                  **kwargs):
    activity_create_kwargs = {
        "actor": actor,
        "committee": committee,
        "activity_type": ActivityType.objects.get(committee=committee, name=type_name),
        "title": title,
        "starts_at": at(day, start),
        "ends_at": at(day, start) + datetime.timedelta(minutes=minutes),
        "place": "党员之家活动室",
        "audience_kind": audience_kind,
    }
    activity_create_kwargs.update(kwargs)
    return activity_create(**activity_create_kwargs)
