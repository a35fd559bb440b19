"""Sign-up: capacity and the waiting list, duplicates, invitations, who may sign whom up, timing."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.activities.models import AudienceKind, MadeBy, SignUp, SignUpStatus
from taizhang.activities.selectors import live_signups
from taizhang.activities.services import activity_cancel, activity_update, signup_cancel, signup_create
from taizhang.activities.tests.factories import DAY, at, make_activity, seed_types
from taizhang.core.models import AuditEntry
from taizhang.members.models import EventKind
from taizhang.members.services import flow_record_event

pytestmark = pytest.mark.django_db

BEFORE = at(DAY - datetime.timedelta(days=5), "20:00")  # five days before the activity


def later(minutes: int) -> datetime.datetime:
    return BEFORE + datetime.timedelta(minutes=minutes)


@pytest.fixture
def visit(cast):
    seed_types(cast)
    return make_activity(cast.admin, cast.committee, type_name="参观红色教育基地/展览", title="参观香山革命纪念馆",
                         capacity=2)


def statuses(activity) -> dict:
    return dict(SignUp.objects.filter(activity=activity).values_list("member__name", "status"))


def test_capacity_then_waiting_list_in_order(cast, visit):
    a, b, c, d = cast.east_members[1], cast.east_members[2], cast.west_members[0], cast.central_members[0]
    assert signup_create(actor=cast.admin, activity=visit, member=a, now=later(1)).status == SignUpStatus.SIGNED_UP
    assert signup_create(actor=cast.admin, activity=visit, member=b, now=later(2)).status == SignUpStatus.SIGNED_UP
    assert signup_create(actor=cast.admin, activity=visit, member=c, now=later(3)).status == SignUpStatus.WAITLISTED
    assert signup_create(actor=cast.admin, activity=visit, member=d, now=later(4)).status == SignUpStatus.WAITLISTED
    assert [s.member.name for s in live_signups(cast.admin, visit)] == [a.name, b.name, c.name, d.name]
    assert AuditEntry.objects.filter(action="signup.create").count() == 4


def test_cancelling_promotes_the_first_on_the_waiting_list(cast, visit):
    a, b, c, d = cast.east_members[1], cast.east_members[2], cast.west_members[0], cast.central_members[0]
    signups = [signup_create(actor=cast.admin, activity=visit, member=m, now=later(i)) for i, m in enumerate([a, b, c, d])]
    signup_cancel(actor=cast.admin, signup=signups[0], now=later(10))
    assert statuses(visit) == {a.name: SignUpStatus.CANCELLED, b.name: SignUpStatus.SIGNED_UP,
                               c.name: SignUpStatus.SIGNED_UP, d.name: SignUpStatus.WAITLISTED}
    promoted = SignUp.objects.get(pk=signups[2].pk)
    assert promoted.promoted_at == later(10)
    assert AuditEntry.objects.filter(action="signup.promote", object_id=str(promoted.pk)).exists()
    # Leaving the waiting list frees no place: nobody else moves.
    signup_cancel(actor=cast.admin, signup=signups[3], now=later(11))
    assert SignUp.objects.filter(activity=visit, status=SignUpStatus.SIGNED_UP).count() == 2


def test_more_places_move_people_up_and_fewer_than_taken_is_refused(cast, visit):
    members = [cast.east_members[1], cast.east_members[2], cast.west_members[0], cast.central_members[0]]
    for i, m in enumerate(members):
        signup_create(actor=cast.admin, activity=visit, member=m, now=later(i))
    with pytest.raises(ValidationError) as exc:
        activity_update(actor=cast.admin, activity=visit, data={"capacity": 1})
    assert "capacity" in exc.value.message_dict
    activity_update(actor=cast.admin, activity=visit, data={"capacity": 3})
    assert SignUp.objects.filter(activity=visit, status=SignUpStatus.SIGNED_UP).count() == 3
    activity_update(actor=cast.admin, activity=visit, data={"capacity": None})
    assert not SignUp.objects.filter(activity=visit, status=SignUpStatus.WAITLISTED).exists()


def test_duplicate_sign_up_is_refused_but_a_cancelled_one_can_sign_up_again(cast, visit):
    member = cast.east_members[1]
    first = signup_create(actor=cast.admin, activity=visit, member=member, now=later(1))
    with pytest.raises(ValidationError) as exc:
        signup_create(actor=cast.admin, activity=visit, member=member, now=later(2))
    assert "member" in exc.value.message_dict and "李秀英" in exc.value.messages[0]
    assert SignUp.objects.filter(activity=visit, member=member).count() == 1
    signup_cancel(actor=cast.admin, signup=first, now=later(3))
    again = signup_create(actor=cast.admin, activity=visit, member=member, now=later(4))
    assert again.pk != first.pk and again.status == SignUpStatus.SIGNED_UP
    with pytest.raises(ValidationError):
        signup_cancel(actor=cast.admin, signup=first, now=later(5))


def test_only_invited_members_may_sign_up(cast):
    seed_types(cast)
    east_meeting = make_activity(cast.east_secretary, cast.committee, type_name="党员大会", organiser_branch=cast.east,
                                 audience_kind=AudienceKind.BRANCH, audience_branch=cast.east)
    with pytest.raises(ValidationError) as exc:
        signup_create(actor=cast.admin, activity=east_meeting, member=cast.west_members[0], now=BEFORE)
    assert "member" in exc.value.message_dict
    signup_create(actor=cast.admin, activity=east_meeting, member=cast.east_members[1], now=BEFORE)
    # Transferred out: no longer on the roster, so no longer invited.
    leaver = cast.east_members[2]
    flow_record_event(actor=cast.admin, member=leaver, kind=EventKind.TRANSFERRED_OUT,
                      effective_date=datetime.date(2026, 5, 1), reason="组织关系转回青岛")
    with pytest.raises(ValidationError):
        signup_create(actor=cast.admin, activity=east_meeting, member=leaver, now=BEFORE)


def test_sign_up_closes_at_the_start_and_not_for_cancelled_activities(cast, visit):
    with pytest.raises(ValidationError) as exc:
        signup_create(actor=cast.admin, activity=visit, member=cast.east_members[1], now=visit.starts_at)
    assert "activity" in exc.value.message_dict
    signup = signup_create(actor=cast.admin, activity=visit, member=cast.east_members[1], now=later(1))
    with pytest.raises(ValidationError):
        signup_cancel(actor=cast.admin, signup=signup, now=visit.starts_at + datetime.timedelta(minutes=1))
    activity_cancel(actor=cast.admin, activity=visit, reason="场馆闭馆")
    with pytest.raises(ValidationError):
        signup_create(actor=cast.admin, activity=visit, member=cast.east_members[2], now=later(2))


def test_members_sign_up_themselves_staff_sign_up_for_others(cast, visit):
    own = signup_create(actor=cast.plain_member, activity=visit, member=cast.me, now=later(1))
    assert own.made_by == MadeBy.SELF and own.recorded_by == cast.plain_member
    elderly = cast.members_by_name["李秀英"]
    for_her = signup_create(actor=cast.east_secretary, activity=visit, member=elderly, now=later(2))
    assert for_her.made_by == MadeBy.STAFF and for_her.recorded_by == cast.east_secretary
    with pytest.raises(PermissionDenied):
        signup_create(actor=cast.plain_member, activity=visit, member=cast.east_members[2], now=later(3))
    with pytest.raises(PermissionDenied):
        signup_create(actor=cast.west_secretary, activity=visit, member=cast.east_members[2], now=later(3))
    with pytest.raises(PermissionDenied):
        signup_cancel(actor=cast.plain_member, signup=for_her, now=later(4))
    with pytest.raises(PermissionDenied):
        signup_create(actor=cast.study, activity=visit, member=cast.east_members[2], now=later(3))
    signup_cancel(actor=cast.plain_member, signup=own, now=later(5))
    assert SignUp.objects.get(pk=own.pk).cancelled_by == cast.plain_member
