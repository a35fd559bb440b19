"""The activity report's and the points participation's tallies are cached under the generations of the data
they read (``tallies.fetch_cached``): a second look computes nothing, and every write that changes a number —
attendance, an activity created or cancelled, a type renamed, a flow event, a point entry — or an activity that
starts meanwhile, shows at once."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from taizhang.activities import reports
from taizhang.activities.models import ActivityType, AttendanceStatus
from taizhang.activities.services import activity_cancel, activity_type_update, attendance_record
from taizhang.activities.tests.factories import at, make_activity, seed_types
from taizhang.core import generations
from taizhang.members.models import EventKind
from taizhang.members.services import flow_record_event
from taizhang.points import selectors as points
from taizhang.points.services import point_adjustment_create

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
START = TODAY - datetime.timedelta(days=20)


@pytest.fixture(autouse=True)
def _cached(cast):
    generations.renew_all([cast.committee.pk])  # as committee_create does (the factory writes by the ORM)
    seed_types(cast)
    cache.clear()
    yield
    cache.clear()


def totals(user, now=None):
    data = reports.participation(user, START, TODAY, now=now)
    return data.total.expected, data.total.present, len(data.members)


def test_a_second_look_reads_no_tally(cast):
    make_activity(cast.admin, cast.committee, day=TODAY - datetime.timedelta(days=5))
    first = totals(cast.admin)
    with CaptureQueriesContext(connection) as again:
        assert totals(cast.admin) == first
    assert not [q for q in again.captured_queries if "activities_attendance" in q["sql"]]


def test_writes_show_at_once(cast):
    day = TODAY - datetime.timedelta(days=5)
    activity = make_activity(cast.admin, cast.committee, day=day)
    expected, present, _rows = totals(cast.admin)
    assert (expected, present) == (6, 0)
    attendance_record(actor=cast.admin, activity=activity, member=cast.east_members[0],
                      status=AttendanceStatus.PRESENT)
    assert totals(cast.admin)[:2] == (6, 1)
    assert totals(cast.east_secretary)[:2] == (3, 1)
    flow_record_event(actor=cast.admin, member=cast.west_members[0], kind=EventKind.TRANSFERRED_OUT,
                      effective_date=day - datetime.timedelta(days=1), reason="转回青岛")
    assert totals(cast.admin)[:2] == (5, 1)
    other = make_activity(cast.admin, cast.committee, day=day, start="14:00", title="主题党日")
    assert totals(cast.admin)[:2] == (10, 1)
    activity_cancel(actor=cast.admin, activity=other, reason="下雨")
    assert totals(cast.admin)[:2] == (5, 1)


def test_an_activity_that_starts_later_counts_once_it_has_started(cast):
    starts = at(TODAY - datetime.timedelta(days=1), "15:00")
    make_activity(cast.admin, cast.committee, day=TODAY - datetime.timedelta(days=1), start="15:00")
    before = starts - datetime.timedelta(hours=1)
    assert totals(cast.admin, now=before)[0] == 0
    assert totals(cast.admin, now=starts + datetime.timedelta(minutes=1))[0] == 6  # no write between the two
    assert totals(cast.admin, now=before)[0] == 0


def test_the_tally_by_type_follows_a_renamed_type(cast):
    make_activity(cast.admin, cast.committee, day=TODAY - datetime.timedelta(days=5))
    assert [row["name"] for row in reports.by_type(cast.admin, START, TODAY)] == ["集体学习"]
    activity_type = ActivityType.objects.get(committee=cast.committee, name="集体学习")
    activity_type_update(actor=cast.admin, activity_type=activity_type, data={"name": "集中学习"})
    assert [row["name"] for row in reports.by_type(cast.admin, START, TODAY)] == ["集中学习"]


def test_points_participation_follows_a_point_entry(cast):
    def my_points():
        rows, _branches, _config = points.participation(cast.admin, cast.committee, TODAY.year, page=(0, 50))
        return {row.member.pk: row.points for row in rows[0:50]}

    before = my_points()
    assert my_points() == before
    member = cast.east_members[1]
    point_adjustment_create(actor=cast.admin, member=member, points=7, day=TODAY, reason="表彰")
    assert my_points()[member.pk] == before[member.pk] + 7
