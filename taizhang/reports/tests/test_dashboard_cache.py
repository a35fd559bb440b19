"""The dashboard's cache (issue 14: 300 ms at 200,000 members): every panel is cached under the generations of the
data it reads (``core.generations``), and every write that changes a panel's numbers renews them — shown here
through the services a user calls, panel by panel: activities and attendance, point entries, care visits and
subscriptions, the roster. Without a write, the second look reads no panel from the database."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from taizhang.activities.models import AttendanceStatus
from taizhang.activities.services import activity_cancel, attendance_correct, attendance_record
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.care import services as care
from taizhang.care.models import Occasion, Visit, VisitMode
from taizhang.core import generations
from taizhang.core.models import DataGeneration
from taizhang.members.models import EventKind, Member
from taizhang.members.services import flow_record_event
from taizhang.points.models import PointEntry
from taizhang.points.services import point_adjustment_create, point_adjustment_reverse
from taizhang.reports import dashboard

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _fresh_cache(cast):
    generations.renew_all([cast.committee.pk])  # as ``committee_create`` does (the factory writes by the ORM)
    cache.clear()
    yield
    cache.clear()


def rows(user, key) -> dict:
    board = dashboard.build(user)
    return {row[0]: row[1:] for row in next(p for p in board.panels if p.key == key).rows}


def points(user) -> list:
    return [n for _label, n in dashboard.points_buckets(user, user_committee(user), TODAY)[0]]


def user_committee(user):
    return dashboard.dashboard_committee(user)


def test_without_a_write_no_panel_is_read_again(cast):
    dashboard.build(cast.admin)  # computes and caches every panel
    with CaptureQueriesContext(connection) as second:
        dashboard.build(cast.admin)
    sql = " ".join(q["sql"] for q in second.captured_queries)
    tables = ("points_pointentry", "activities_attendance", "care_visit", "care_subscription", "members_rosterspell")
    assert not [t for t in tables if t in sql], sql  # only the generations, the committee and the budget are read


def test_activity_and_attendance_writes_renew_the_activity_panel(cast):
    seed_types(cast)
    day = TODAY - datetime.timedelta(days=2)
    month = dashboard.month_label(dashboard.month_start(day))
    assert rows(cast.admin, "activities")[month] == [0, 0]
    activity = make_activity(cast.admin, cast.committee, day=day)
    assert rows(cast.admin, "activities")[month] == [1, 0]
    member = cast.east_members[0]
    attendance = attendance_record(actor=cast.admin, activity=activity, member=member,
                                   status=AttendanceStatus.PRESENT)
    assert rows(cast.admin, "activities")[month] == [1, 1]
    assert rows(cast.east_secretary, "activities")[month] == [1, 1]
    attendance_correct(actor=cast.admin, attendance=attendance, status=AttendanceStatus.LEAVE,
                       absence_reason="illness", reason="记错了")
    assert rows(cast.admin, "activities")[month] == [1, 0]
    other = make_activity(cast.admin, cast.committee, day=day, start="14:00", title="主题党日")
    assert rows(cast.admin, "activities")[month] == [2, 0]
    activity_cancel(actor=cast.admin, activity=other, reason="下雨")
    assert rows(cast.admin, "activities")[month] == [1, 0]


def test_point_entries_renew_the_points_panel(cast):
    before = points(cast.admin)
    entry = point_adjustment_create(actor=cast.admin, member=cast.east_members[1], points=400, day=YESTERDAY,
                                    reason="表彰")
    after = points(cast.admin)
    assert after != before and sum(after) == sum(before)  # one member moved to a higher band
    assert points(cast.east_secretary)[-1] == 1
    point_adjustment_reverse(actor=cast.admin, entry=entry)
    assert points(cast.admin) == before


def test_bulk_inserted_entries_renew_the_points_panel_too(cast):
    """Entries written by the batch path (attendance, study, imports) go through ``bulk_create``."""
    before = points(cast.admin)
    committee = user_committee(cast.admin)
    PointEntry.objects.bulk_create([
        PointEntry(committee=committee, member=member, points=500, day=YESTERDAY, source="manual",
                   source_key=f"test:{member.pk}") for member in cast.west_members])
    assert points(cast.admin) != before


def test_care_writes_renew_the_care_panel(cast):
    elderly = Member.objects.get(name="李秀英")  # born 1958: the cast's one member aged 60+
    visited = rows(cast.admin, "care")
    visit = care.visit_record(actor=cast.admin, committee=cast.committee, visited_on=YESTERDAY, mode=VisitMode.HOME,
                              visitors="书记", members=[elderly], occasion=Occasion.BIRTHDAY)
    assert next(iter(rows(cast.admin, "care").values()))[0] == next(iter(visited.values()))[0] + 1
    care.visit_withdraw(actor=cast.admin, visit=Visit.objects.get(pk=visit.pk), reason="录错了")
    assert rows(cast.admin, "care") == visited
    paper = list(rows(cast.admin, "care").values())[1]
    subscription = care.subscription_add(actor=cast.admin, committee=cast.committee, year=TODAY.year, member=elderly)
    assert list(rows(cast.admin, "care").values())[1] == [paper[0] + 1, paper[1] - 1]
    care.subscription_cancel(actor=cast.admin, subscription=subscription, reason="不订了")
    assert list(rows(cast.admin, "care").values())[1] == paper


def test_roster_writes_renew_the_points_and_care_panels(cast):
    before = points(cast.admin)
    flow_record_event(actor=cast.admin, member=cast.east_members[1], kind=EventKind.TRANSFERRED_OUT,
                      effective_date=TODAY, reason="转回青岛")
    assert sum(points(cast.admin)) == sum(before) - 1


def test_a_committee_without_generations_is_never_cached(cast):
    """Data written behind the services' back (a bulk COPY) leaves no generation: then nothing is cached,
    until ``rebuild_projections`` renews them."""
    DataGeneration.objects.all().delete()
    dashboard.build(cast.admin)
    with CaptureQueriesContext(connection) as again:
        dashboard.build(cast.admin)
    assert "points_pointentry" in " ".join(q["sql"] for q in again.captured_queries)
    from django.core.management import call_command

    call_command("rebuild_projections", "--format", "json", stdout=__import__("io").StringIO())
    kinds = set(DataGeneration.objects.filter(committee=cast.committee).values_list("kind", flat=True))
    assert kinds == set(generations.KINDS)


def test_a_new_committee_starts_with_every_generation(cast):
    from taizhang.organisation.services import committee_create

    committee = committee_create(actor=None, name="新党委", founded_on=datetime.date(2020, 1, 1))
    assert set(DataGeneration.objects.filter(committee=committee).values_list("kind", flat=True)) == set(
        generations.KINDS)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        generations.changed("money", [1])
