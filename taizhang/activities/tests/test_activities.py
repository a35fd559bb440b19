"""Activity types and activities: the standard types, validation, who may organise, who sees what."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.activities.models import STANDARD_ACTIVITY_TYPES, Activity, ActivityType, AudienceKind
from taizhang.activities.selectors import activity_queryset, expected_attendees
from taizhang.activities.services import (
    activity_cancel,
    activity_type_create,
    activity_type_update,
    activity_types_seed,
    activity_update,
)
from taizhang.activities.tests.factories import DAY, at, make_activity, seed_types
from taizhang.core.models import AuditEntry
from taizhang.members.models import EventKind, Member
from taizhang.members.services import flow_record_event
from taizhang.members.tests.factories import make_member
from taizhang.organisation.services import party_group_create

pytestmark = pytest.mark.django_db


# --- activity types ------------------------------------------------------------------------------


def test_seed_creates_the_standard_types_with_their_expected_frequencies(cast):
    types = seed_types(cast)
    assert list(ActivityType.objects.filter(committee=cast.committee).values_list("name", flat=True)) == [
        name for name, _org, _n in STANDARD_ACTIVITY_TYPES
    ]
    assert len(types) == 16
    expected = {"支部委员会": 12, "党小组会": 12, "党员大会": 4, "主题党日": 12, "党课": 1, "组织生活会": 1, "民主评议": 1}
    assert {name: t.expected_per_year for name, t in types.items() if t.expected_per_year} == expected
    assert types["支部委员会"].counts_as_org_life and not types["志愿值守"].counts_as_org_life
    assert AuditEntry.objects.filter(action="activity_type.create").count() == 16


def test_seed_is_idempotent_and_keeps_edits(cast):
    types = seed_types(cast)
    activity_type_update(actor=cast.admin, activity_type=types["主题党日"], data={"expected_per_year": 6})
    assert activity_types_seed(actor=cast.admin, committee=cast.committee) == []
    assert ActivityType.objects.filter(committee=cast.committee).count() == 16
    assert ActivityType.objects.get(pk=types["主题党日"].pk).expected_per_year == 6


@pytest.mark.parametrize("who", ["east_secretary", "study", "plain_member", "outsider"])
def test_only_committee_managers_change_types(cast, who):
    with pytest.raises(PermissionDenied):
        activity_types_seed(actor=getattr(cast, who), committee=cast.committee)
    with pytest.raises(PermissionDenied):
        activity_type_create(actor=getattr(cast, who), committee=cast.committee, name="读书会")


def test_type_validation_names_the_field(cast):
    seed_types(cast)
    with pytest.raises(ValidationError) as exc:
        activity_type_create(actor=cast.admin, committee=cast.committee, name="集体学习")
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        activity_type_create(actor=cast.admin, committee=cast.committee, name="  ", expected_per_year=-1)
    assert set(exc.value.message_dict) == {"name", "expected_per_year"}
    created = activity_type_create(actor=cast.admin, committee=cast.committee, name="读书会", expected_per_year=4)
    assert created.expected_per_year == 4 and created.active


# --- activities --------------------------------------------------------------------------------------


def test_create_writes_the_activity_and_its_audit_entry(cast):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee, capacity=30)
    assert activity.date == DAY and activity.organiser_branch is None and activity.capacity == 30
    entry = AuditEntry.objects.get(action="activity.create", object_id=str(activity.pk))
    assert entry.new_values["title"] == "集体学习：学习党章"
    assert entry.new_values["activity_type"] == "集体学习"


def test_activity_validation_names_each_field(cast):
    seed_types(cast)
    with pytest.raises(ValidationError) as exc:
        make_activity(cast.admin, cast.committee, title=" ", minutes=0, capacity=0)
    assert {"title", "ends_at", "capacity"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        make_activity(cast.admin, cast.committee, day=datetime.date(2017, 8, 31))
    assert "starts_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_activity(cast.admin, cast.committee, audience_kind=AudienceKind.BRANCH)
    assert "audience_branch" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_activity(cast.admin, cast.committee, audience_kind=AudienceKind.PICKED)
    assert "picked_members" in exc.value.message_dict
    assert not Activity.objects.exists()


def test_a_naive_time_is_read_as_beijing_time(cast):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee,
                             starts_at=datetime.datetime(2026, 6, 12, 9, 30), ends_at=datetime.datetime(2026, 6, 12, 11))
    assert activity.starts_at == at(DAY, "09:30")


def test_who_may_organise(cast):
    seed_types(cast)
    # A branch secretary organises for their own branch, not for the committee or another branch.
    meeting = make_activity(cast.east_secretary, cast.committee, type_name="党员大会", organiser_branch=cast.east,
                            audience_kind=AudienceKind.BRANCH, audience_branch=cast.east)
    assert meeting.organiser_branch == cast.east
    with pytest.raises(PermissionDenied):
        make_activity(cast.east_secretary, cast.committee)
    with pytest.raises(PermissionDenied):
        make_activity(cast.east_secretary, cast.committee, organiser_branch=cast.west,
                      audience_kind=AudienceKind.BRANCH, audience_branch=cast.west)
    for who in ("study", "plain_member", "outsider", "sysadmin"):
        with pytest.raises(PermissionDenied):
            make_activity(getattr(cast, who), cast.committee)
    # A branch cannot invite the whole committee or another branch's members.
    with pytest.raises(ValidationError) as exc:
        make_activity(cast.east_secretary, cast.committee, organiser_branch=cast.east)
    assert "audience_kind" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_activity(cast.east_secretary, cast.committee, organiser_branch=cast.east,
                      audience_kind=AudienceKind.PICKED, picked_members=[cast.east_members[1], cast.west_members[0]])
    assert "赵丽华" in str(exc.value.message_dict["picked_members"])


def test_activity_queryset_is_scoped(cast):
    seed_types(cast)
    committee_wide = make_activity(cast.admin, cast.committee)
    east = make_activity(cast.east_secretary, cast.committee, type_name="党员大会", organiser_branch=cast.east,
                         audience_kind=AudienceKind.BRANCH, audience_branch=cast.east)
    west = make_activity(cast.west_secretary, cast.committee, type_name="党员大会", organiser_branch=cast.west,
                         audience_kind=AudienceKind.BRANCH, audience_branch=cast.west)

    def seen(who, purpose="view"):
        return set(activity_queryset(getattr(cast, who), purpose).values_list("pk", flat=True))

    assert seen("admin") == seen("study") == {committee_wide.pk, east.pk, west.pk}
    assert seen("east_secretary") == {committee_wide.pk, east.pk}
    assert seen("west_secretary") == {committee_wide.pk, west.pk}
    assert seen("plain_member") == {committee_wide.pk, east.pk}  # cast.me is in the east branch
    assert seen("outsider") == seen("auditor") == seen("sysadmin") == set()
    assert seen("east_secretary", "edit") == {east.pk}
    assert seen("admin", "edit") == {committee_wide.pk, east.pk, west.pk}
    assert seen("study", "edit") == set()


def test_expected_attendees_are_the_audience_on_the_roster_that_day(cast):
    seed_types(cast)
    newcomer = make_member(cast.admin, cast.east, registered_on=datetime.date(2024, 1, 10), name="孙志强")
    before = make_activity(cast.admin, cast.committee, day=datetime.date(2023, 6, 12))
    after = make_activity(cast.admin, cast.committee, day=datetime.date(2024, 6, 12))
    everyone = {m.pk for m in cast.members}
    assert set(expected_attendees(before).values_list("pk", flat=True)) == everyone
    assert set(expected_attendees(after).values_list("pk", flat=True)) == everyone | {newcomer.pk}

    # Transferred out in 2025: expected in 2024, not in 2026.
    leaver = cast.west_members[1]
    flow_record_event(actor=cast.admin, member=leaver, kind=EventKind.TRANSFERRED_OUT,
                      effective_date=datetime.date(2025, 3, 1), reason="组织关系转回青岛")
    later = make_activity(cast.admin, cast.committee, day=datetime.date(2026, 6, 12))
    assert leaver.pk in set(expected_attendees(after).values_list("pk", flat=True))
    assert leaver.pk not in set(expected_attendees(later).values_list("pk", flat=True))

    # A branch audience uses the branch the member was in on the day.
    mover = cast.east_members[2]
    flow_record_event(actor=cast.admin, member=mover, kind=EventKind.MOVED_BRANCH,
                      effective_date=datetime.date(2025, 1, 1), to_branch=cast.west, reason="搬家")
    east_2024 = make_activity(cast.admin, cast.committee, type_name="党员大会", day=datetime.date(2024, 6, 15),
                              audience_kind=AudienceKind.BRANCH, audience_branch=cast.east)
    east_2026 = make_activity(cast.admin, cast.committee, type_name="党员大会", day=datetime.date(2026, 6, 13),
                              audience_kind=AudienceKind.BRANCH, audience_branch=cast.east)
    assert mover.pk in set(expected_attendees(east_2024).values_list("pk", flat=True))
    assert mover.pk not in set(expected_attendees(east_2026).values_list("pk", flat=True))
    # With a user, only the members that user may see now (the mover is in the west branch today).
    assert set(expected_attendees(after, user=cast.west_secretary).values_list("pk", flat=True)) == {
        m.pk for m in cast.west_members
    } | {mover.pk}


def test_party_group_and_picked_audiences(cast):
    seed_types(cast)
    group = party_group_create(actor=cast.admin, branch=cast.east, name="朝阳党小组")
    Member.objects.filter(pk__in=[cast.east_members[0].pk, cast.east_members[1].pk]).update(party_group=group)
    group_meeting = make_activity(cast.east_secretary, cast.committee, type_name="党小组会", organiser_branch=cast.east,
                                  audience_kind=AudienceKind.PARTY_GROUP, audience_group=group)
    assert set(expected_attendees(group_meeting).values_list("pk", flat=True)) == {
        cast.east_members[0].pk, cast.east_members[1].pk}
    picked = make_activity(cast.east_secretary, cast.committee, type_name="支部委员会", organiser_branch=cast.east,
                           audience_kind=AudienceKind.PICKED, picked_members=[cast.east_members[2]])
    assert list(expected_attendees(picked).values_list("pk", flat=True)) == [cast.east_members[2].pk]


def test_update_and_cancel_are_audited(cast):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee)
    activity_update(actor=cast.admin, activity=activity, data={"place": "党员之家读书角", "title": "集体学习：学习条例"})
    entry = AuditEntry.objects.get(action="activity.update")
    assert entry.old_values == {"place": "党员之家活动室", "title": "集体学习：学习党章"}
    with pytest.raises(ValidationError) as exc:
        activity_update(actor=cast.admin, activity=activity, data={"ends_at": at(DAY, "09:00")})
    assert "ends_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        activity_update(actor=cast.admin, activity=activity, data={"committee": cast.committee})
    assert "committee" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        activity_update(actor=cast.east_secretary, activity=activity, data={"place": "别处"})
    with pytest.raises(ValidationError) as exc:
        activity_cancel(actor=cast.admin, activity=activity, reason="")
    assert "cancel_reason" in exc.value.message_dict
    activity_cancel(actor=cast.admin, activity=activity, reason="因天气原因取消")
    activity.refresh_from_db()
    assert activity.cancelled and activity.cancel_reason == "因天气原因取消"
    assert AuditEntry.objects.filter(action="activity.cancel", object_id=str(activity.pk)).exists()
    with pytest.raises(ValidationError):
        activity_update(actor=cast.admin, activity=activity, data={"place": "别处"})
