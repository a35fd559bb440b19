"""应到 for many activities at once (``expected_per_member`` and the other named readings) is the same as
asking ``expected_attendees`` activity by activity, for every audience kind and every kind of flow history,
in one query."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from taizhang.activities import reports
from taizhang.activities.models import AudienceKind
from taizhang.activities.selectors import expected_attendees, expected_counts, expected_pairs, expected_per_member
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.activities.tests.python_tallies import compute_participation
from taizhang.members.models import EventKind, Member
from taizhang.members.services import flow_correct_latest, flow_record_event
from taizhang.members.tests.factories import make_member
from taizhang.organisation.services import party_group_create

D = datetime.date
DAYS = [D(2017, 10, 1), D(2018, 6, 12), D(2019, 3, 1), D(2019, 3, 2), D(2020, 6, 12), D(2021, 1, 1), D(2022, 6, 12),
        D(2023, 7, 1), D(2024, 6, 12), D(2025, 6, 12), D(2026, 6, 12)]


@pytest.fixture
def histories(cast):
    """The cast plus members who moved branch, left Beijing and came back, were transferred out, lost
    contact, and one whose wrong event was voided by a correction; two party groups."""
    seed_types(cast)
    east, west = cast.east, cast.west
    mover = cast.east_members[2]
    flow_record_event(actor=cast.admin, member=mover, kind=EventKind.MOVED_BRANCH, effective_date=D(2020, 1, 1),
                      to_branch=west, reason="搬家")
    traveller = cast.west_members[0]
    flow_record_event(actor=cast.admin, member=traveller, kind=EventKind.LEFT_BEIJING, effective_date=D(2021, 1, 1),
                      reason="回老家")
    flow_record_event(actor=cast.admin, member=traveller, kind=EventKind.RETURNED, effective_date=D(2022, 6, 12),
                      reason="回京")
    leaver = cast.west_members[1]
    flow_record_event(actor=cast.admin, member=leaver, kind=EventKind.TRANSFERRED_OUT, effective_date=D(2023, 7, 1),
                      reason="组织关系转回青岛")
    lost = cast.central_members[0]
    flow_record_event(actor=cast.admin, member=lost, kind=EventKind.LOST_CONTACT, effective_date=D(2024, 1, 1),
                      lost_contact_cause=1, reason="电话停机")
    late = make_member(cast.admin, east, registered_on=D(2019, 3, 2), name="孙志强")
    corrected = make_member(cast.admin, west, registered_on=D(2019, 3, 1), name="周敏")
    wrong = flow_record_event(actor=cast.admin, member=corrected, kind=EventKind.TRANSFERRED_OUT,
                              effective_date=D(2022, 1, 1), reason="录错了")
    flow_correct_latest(actor=cast.admin, member=corrected, event=wrong, reason="并未转出")
    # Two events on one day: the later one counts.
    flow_record_event(actor=cast.admin, member=late, kind=EventKind.LEFT_BEIJING, effective_date=D(2025, 6, 12),
                      reason="出差")
    flow_record_event(actor=cast.admin, member=late, kind=EventKind.RETURNED, effective_date=D(2025, 6, 12),
                      reason="当天返回")
    east_group = party_group_create(actor=cast.admin, branch=east, name="朝阳党小组")
    west_group = party_group_create(actor=cast.admin, branch=west, name="海淀党小组")
    Member.objects.filter(pk__in=[cast.east_members[0].pk, mover.pk, late.pk]).update(party_group=east_group)
    Member.objects.filter(pk__in=[traveller.pk, mover.pk]).update(party_group=west_group)
    Member.objects.filter(pk=mover.pk).update(party_group=west_group)
    activities = []
    for i, day in enumerate(DAYS):
        audiences = [
            {"audience_kind": AudienceKind.COMMITTEE},
            {"audience_kind": AudienceKind.BRANCH, "audience_branch": east},
            {"audience_kind": AudienceKind.BRANCH, "audience_branch": west},
            {"audience_kind": AudienceKind.PARTY_GROUP, "audience_group": east_group},
            {"audience_kind": AudienceKind.PARTY_GROUP, "audience_group": west_group},
            {"audience_kind": AudienceKind.PICKED, "picked_members": [mover, leaver, late, cast.me]},
        ]
        for j, audience in enumerate(audiences):
            activities.append(make_activity(cast.admin, cast.committee, day=day, title=f"活动{i}-{j}", **audience))
    return activities


def _one_by_one(activities, user=None):
    return {a.pk: set(expected_attendees(a, user=user).values_list("pk", flat=True)) for a in activities}


@pytest.mark.parametrize("who", [None, "admin", "east_secretary", "west_secretary", "plain_member", "outsider"])
def test_counts_match_expected_attendees_for_every_audience_and_history(cast, histories, who):
    user = getattr(cast, who) if who else None
    truth = _one_by_one(histories, user)
    assert any(truth.values()) or who == "outsider"
    assert expected_counts(histories, user=user) == {pk: len(ids) for pk, ids in truth.items()}


def test_pairs_and_member_counts_match_and_give_the_branch_on_the_day(cast, histories):
    truth = _one_by_one(histories)
    pairs = list(expected_pairs(histories, Member.objects.all()))
    assert {(a.pk, m) for a, m, _b in pairs} == {(pk, m) for pk, ids in truth.items() for m in ids}
    assert len(pairs) == sum(len(ids) for ids in truth.values())
    mover = cast.east_members[2]
    branch_on = {(a.date, a.audience_kind): b for a, m, b in pairs if m == mover.pk}
    assert branch_on[(D(2019, 3, 1), AudienceKind.COMMITTEE)] == cast.east.pk
    assert branch_on[(D(2020, 6, 12), AudienceKind.COMMITTEE)] == cast.west.pk
    per_member = dict(expected_per_member(histories, Member.objects.all()))
    for member in Member.objects.all():
        assert per_member.get(member.pk, 0) == sum(member.pk in ids for ids in truth.values()), member.name


def test_who_is_expected_on_the_edges(cast, histories):
    truth = _one_by_one(histories)
    by_day = {}
    for a in histories:
        by_day.setdefault((a.date, a.audience_kind, a.audience_branch_id or a.audience_group_id), truth[a.pk])
    leaver, traveller, late = cast.west_members[1], cast.west_members[0], Member.objects.get(name="孙志强")
    committee = AudienceKind.COMMITTEE
    assert leaver.pk in by_day[(D(2022, 6, 12), committee, None)]
    assert leaver.pk not in by_day[(D(2023, 7, 1), committee, None)]  # transferred out that day
    assert traveller.pk in by_day[(D(2021, 1, 1), committee, None)]  # away from Beijing is on the roster
    assert late.pk not in by_day[(D(2019, 3, 1), committee, None)]  # registered the day after
    assert late.pk in by_day[(D(2019, 3, 2), committee, None)]
    assert Member.objects.get(name="周敏").pk in by_day[(D(2022, 6, 12), committee, None)]  # voided transfer
    assert not by_day[(D(2017, 10, 1), committee, None)]  # before anyone was registered
    assert len(by_day[(D(2026, 6, 12), committee, None)]) == 7  # 8 registered, one transferred (lost stays on)


def test_one_query_whatever_the_number_of_activities(cast, histories):
    members = Member.objects.all()
    with CaptureQueriesContext(connection) as few:
        expected_counts(histories[:3], user=cast.admin)
    with CaptureQueriesContext(connection) as many:
        expected_counts(histories, user=cast.admin)
    assert len(few.captured_queries) == len(many.captured_queries) == 1
    with CaptureQueriesContext(connection) as few:
        expected_per_member(histories[:6], members)
    with CaptureQueriesContext(connection) as many:
        rows = expected_per_member(histories, members)
    assert rows and len(few.captured_queries) == len(many.captured_queries) <= 3  # intervals, groups, picks


def test_reports_use_the_same_reading(cast, histories):
    truth = _one_by_one(histories)
    past = [a.pk for a in histories]
    from taizhang.activities.models import Activity

    rows, branches = compute_participation(Activity.objects.filter(pk__in=past), Member.objects.all())
    expected = {r.member_id: r.expected for r in rows}
    for member in Member.objects.all():
        assert expected[member.pk] == sum(member.pk in ids for ids in truth.values()), member.name
    assert sum(t.expected for t in branches.values()) == sum(len(ids) for ids in truth.values())
    mover = cast.east_members[2]
    lines = reports.member_attendance(mover, D(2017, 1, 1), D(2026, 12, 31))
    assert {line["activity_id"] for line in lines if line["expected"]} == {
        pk for pk, ids in truth.items() if mover.pk in ids}
