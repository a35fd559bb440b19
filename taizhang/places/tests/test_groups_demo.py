"""``groups_demo.load_demo``: the 书画 group with 20+ members (the association member noted, present at the
group's activities), 读书 and 摄影, last year's calligraphy contest with entries inside its audience, scores
and awards; idempotent. The members demo is loaded once for the module inside a transaction that is rolled
back at the end (the audit log is append-only)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from taizhang.activities.models import Attendance, AttendanceStatus
from taizhang.activities.selectors import expected_attendees
from taizhang.members.demo import COMMITTEE_NAME
from taizhang.organisation.models import Committee
from taizhang.places import groups_demo, groups_selectors
from taizhang.places.models import Contest, ContestEntry, GroupActivity, InterestGroup

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            call_command("load_demo", stdout=StringIO())
            first = groups_demo.load_demo()
            second = groups_demo.load_demo()
            yield first, second
            transaction.set_rollback(True)


def test_groups_contest_and_awards(loaded):
    first, second = loaded
    assert first == second  # idempotent
    assert first["groups"]["书画"] >= 20 and set(first["groups"]) == {"书画", "读书", "摄影"}
    committee = Committee.objects.get(name=COMMITTEE_NAME)
    assert groups_selectors.summary_counts(committee) == {"groups": first["groups"]}
    calligraphy = InterestGroup.objects.get(committee=committee, name="书画")
    noted = calligraphy.memberships.get(note__contains="书法家协会")
    assert noted.member == calligraphy.leader and noted.left_on is None
    contest = Contest.objects.select_related("activity").get(committee=committee)
    assert contest.activity.starts_at.year == timezone.localdate().year - 1
    assert GroupActivity.objects.filter(group=calligraphy, activity=contest.activity).exists()
    assert Attendance.objects.filter(activity=contest.activity, member=calligraphy.leader,
                                     status=AttendanceStatus.PRESENT).exists()
    entries = ContestEntry.objects.filter(contest=contest)
    assert entries.count() >= 10
    audience = set(expected_attendees(contest.activity).values_list("pk", flat=True))
    assert set(entries.values_list("member_id", flat=True)) <= audience
    assert entries.filter(award__name="一等奖").exists() and entries.filter(award__isnull=False).count() >= 10
    assert all(row.place for row in groups_selectors.contest_results(contest))
    reading = InterestGroup.objects.get(committee=committee, name="读书")
    assert reading.memberships.filter(left_on__isnull=False).exists()  # one reader left and came back
