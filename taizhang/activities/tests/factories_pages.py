"""Helpers for the activity page tests: activities placed relative to the real clock (the pages
never pass ``now`` to the services), built through the real services."""

import datetime

from django.utils import timezone

from taizhang.activities.tests.factories import make_activity


def minutes_from_now(minutes: int) -> datetime.datetime:
    return timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=minutes)


def activity_at(actor, committee, starts_at: datetime.datetime, *, minutes: int = 120, **kwargs):
    return make_activity(actor, committee, starts_at=starts_at, ends_at=starts_at + datetime.timedelta(minutes=minutes),
                         **kwargs)


def future(actor, committee, *, days: int = 7, **kwargs):
    return activity_at(actor, committee, minutes_from_now(days * 24 * 60), **kwargs)


def body(response) -> str:
    return response.content.decode()
