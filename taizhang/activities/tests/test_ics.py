"""The iCalendar feed: signed token, content, scoping, revocation."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from taizhang.activities import ics
from taizhang.activities.services import activity_cancel
from taizhang.activities.tests.factories import make_activity, seed_types

pytestmark = pytest.mark.django_db


@pytest.fixture
def soon(cast):
    seed_types(cast)
    today = timezone.localdate()
    return {
        "committee": make_activity(cast.admin, cast.committee, day=today + datetime.timedelta(days=3),
                                   title="集体学习：二十大精神"),
        "east": make_activity(cast.east_secretary, cast.committee, type_name="党员大会", title="东部党员大会",
                              day=today + datetime.timedelta(days=5), organiser_branch=cast.east,
                              audience_kind="branch", audience_branch=cast.east),
        "west": make_activity(cast.west_secretary, cast.committee, type_name="支部委员会", title="西部支部委员会",
                              day=today + datetime.timedelta(days=6), organiser_branch=cast.west,
                              audience_kind="branch", audience_branch=cast.west),
        "old": make_activity(cast.admin, cast.committee, day=today - datetime.timedelta(days=60), title="很久以前"),
        "recent": make_activity(cast.admin, cast.committee, day=today - datetime.timedelta(days=10), title="十天前"),
    }


def feed(client, user):
    response = client.get(reverse("activity_reports:ics", args=[ics.feed_token(user)]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def events(calendar):
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


@pytest.mark.parametrize("who, titles", [
    ("plain_member", {"集体学习：二十大精神", "东部党员大会", "十天前"}),
    ("east_secretary", {"集体学习：二十大精神", "东部党员大会", "十天前"}),
    ("west_secretary", {"集体学习：二十大精神", "西部支部委员会", "十天前"}),
    ("admin", {"集体学习：二十大精神", "东部党员大会", "西部支部委员会", "十天前"}),
    ("outsider", set()),
    ("auditor", set()),
])
def test_feed_lists_what_the_user_is_invited_to(client, cast, soon, who, titles):
    assert set(events(feed(client, getattr(cast, who)))) == titles


def test_event_content(client, cast, soon):
    event = events(feed(client, cast.plain_member))["东部党员大会"]
    activity = soon["east"]
    assert str(event["uid"]) == f"activity-{activity.pk}@taizhang"
    assert event.decoded("dtstart") == activity.starts_at
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert event.decoded("dtend") == activity.ends_at
    assert str(event["location"]) == "党员之家活动室"
    assert "党员大会" in str(event["description"]) and cast.east.name in str(event["description"])
    assert str(event["status"]) == "CONFIRMED"


def test_uid_is_stable_and_cancelled_activities_say_so(client, cast, soon):
    before = str(events(feed(client, cast.plain_member))["集体学习：二十大精神"]["uid"])
    activity_cancel(actor=cast.admin, activity=soon["committee"], reason="天气原因")
    event = events(feed(client, cast.plain_member))["集体学习：二十大精神"]
    assert str(event["uid"]) == before and str(event["status"]) == "CANCELLED"
    assert "天气原因" in str(event["description"])


def test_feed_needs_no_login(client, cast, soon):
    client.logout()
    assert "东部党员大会" in events(feed(client, cast.plain_member))


@pytest.mark.parametrize("token", ["nonsense", "abc:def", "eyJ1IjoxfQ:1abc:xyz"])
def test_tampered_token_is_404(client, cast, token):
    assert client.get(reverse("activity_reports:ics", args=[token])).status_code == 404


def test_a_token_for_another_user_cannot_be_forged(client, cast, soon):
    token = ics.feed_token(cast.plain_member)
    payload, rest = token.split(":", 1)
    other = ics.feed_token(cast.admin).split(":", 1)[0]
    assert client.get(reverse("activity_reports:ics", args=[f"{other}:{rest}"])).status_code == 404


def test_changing_the_password_revokes_the_link(client, cast, soon):
    token = ics.feed_token(cast.plain_member)
    cast.plain_member.set_password("Another-Passw0rd!")
    cast.plain_member.save()
    assert client.get(reverse("activity_reports:ics", args=[token])).status_code == 404
    assert client.get(reverse("activity_reports:ics", args=[ics.feed_token(cast.plain_member)])).status_code == 200


def test_inactive_user_is_404(client, cast, soon):
    token = ics.feed_token(cast.plain_member)
    cast.plain_member.is_active = False
    cast.plain_member.save()
    assert client.get(reverse("activity_reports:ics", args=[token])).status_code == 404


@pytest.mark.parametrize("who", ["admin", "plain_member", "outsider", "auditor"])
def test_calendar_page_shows_the_own_link(client, cast, who):
    user = getattr(cast, who)
    client.force_login(user)
    response = client.get(reverse("activity_reports:calendar"))
    html = response.content.decode()
    assert response.status_code == 200
    assert ics.feed_token(user) in html and "webcal://" in html


def test_calendar_page_needs_login(client, cast):
    response = client.get(reverse("activity_reports:calendar"))
    assert response.status_code == 302


def test_feed_query_count_does_not_grow(client, cast, soon):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("activity_reports:ics", args=[ics.feed_token(cast.plain_member)])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        make_activity(cast.admin, cast.committee, day=timezone.localdate() + datetime.timedelta(days=10 + i),
                      title=f"新活动{i}")
    assert count() == before


def test_feed_token_is_stable_over_time(cast):
    import time
    from unittest import mock

    token = ics.feed_token(cast.plain_member)
    with mock.patch("time.time", return_value=time.time() + 3 * 86400):
        assert ics.feed_token(cast.plain_member) == token
