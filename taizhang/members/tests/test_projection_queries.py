"""The roster questions read from the projection cost a fixed number of queries: as many members,
flow events and activities as you like (ARCHITECTURE rule 10)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from taizhang.activities import reports
from taizhang.activities.models import AudienceKind
from taizhang.activities.selectors import expected_counts, expected_per_member
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.members.models import EventKind, Member
from taizhang.members.selectors import roster_counts
from taizhang.members.services import flow_correct_latest, flow_record_event
from taizhang.members.tests.factories import make_member
from taizhang.points import selectors as points

D = datetime.date
YEAR = 2024


def grow(cast, n: int, start: int = 0):
    """``n`` more members with histories (a move, an outflow, a voided transfer) and three more
    activities per member batch (committee, branch and picked audiences) in YEAR."""
    branches = [cast.east, cast.central, cast.west]
    for i in range(start, start + n):
        member = make_member(cast.admin, branches[i % 3], name=f"党员{i}", registered_on=D(2019, 1 + i % 12, 1))
        if i % 3 == 0:
            flow_record_event(actor=cast.admin, member=member, kind=EventKind.MOVED_BRANCH,
                              effective_date=D(2022, 3, 1), to_branch=branches[(i + 1) % 3])
        elif i % 3 == 1:
            flow_record_event(actor=cast.admin, member=member, kind=EventKind.LEFT_BEIJING,
                              effective_date=D(YEAR, 3, 1))
        else:
            wrong = flow_record_event(actor=cast.admin, member=member, kind=EventKind.TRANSFERRED_OUT,
                                      effective_date=D(2023, 5, 1), reason="录错了")
            flow_correct_latest(actor=cast.admin, member=member, event=wrong, reason="并未转出")
    for j in range(3):
        day = D(YEAR, 2 + (start + j) % 10, 12)
        make_activity(cast.admin, cast.committee, day=day, title=f"全体{start}-{j}")
        make_activity(cast.admin, cast.committee, day=day, title=f"东部{start}-{j}",
                      audience_kind=AudienceKind.BRANCH, audience_branch=cast.east)
        make_activity(cast.admin, cast.committee, day=day, title=f"点名{start}-{j}", audience_kind=AudienceKind.PICKED,
                      picked_members=list(Member.objects.order_by("-pk")[:4]))


def count_queries(fn) -> int:
    fn()  # once first: the users' roles are then cached, as on a page
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def questions(cast):
    from taizhang.activities.models import Activity

    activities = list(Activity.objects.filter(starts_at__year=YEAR))
    as_of = D(YEAR, 6, 30)
    return {
        "as-of counts, admin": lambda: roster_counts(cast.admin, as_of),
        "as-of counts, east secretary": lambda: roster_counts(cast.east_secretary, as_of),
        "应到 counts, admin": lambda: expected_counts(activities, user=cast.admin),
        "应到 counts, west secretary": lambda: expected_counts(activities, user=cast.west_secretary),
        "应到 per member": lambda: expected_per_member(activities, Member.objects.all()),
        "participation report": lambda: reports.participation(cast.admin, D(YEAR, 1, 1), D(YEAR, 12, 31)),
        "points participation": lambda: points.participation(cast.admin, cast.committee, YEAR,
                                                             today=D(YEAR, 12, 31)),
    }


@pytest.mark.django_db
def test_roster_questions_do_not_grow_with_members_or_activities(cast):
    seed_types(cast)
    grow(cast, 3)
    small = {label: count_queries(fn) for label, fn in questions(cast).items()}
    truth_small = roster_counts(cast.admin, D(YEAR, 6, 30))["total"]
    grow(cast, 15, start=3)
    large = {label: count_queries(fn) for label, fn in questions(cast).items()}
    assert roster_counts(cast.admin, D(YEAR, 6, 30))["total"] == truth_small + 15  # the data did grow
    assert large == small
