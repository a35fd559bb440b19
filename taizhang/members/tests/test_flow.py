"""The flow history (流入/流出): which events may be recorded when, what they change, corrections,
append-only storage, and roster counts as of any date."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from taizhang.core.models import AuditEntry
from taizhang.members import flow
from taizhang.members.models import EventKind, FlowEvent, LostContactCause, Member, MembershipType, Status
from taizhang.members.selectors import annotate_status, member_timeline, roster_counts
from taizhang.members.services import flow_correct_latest, flow_record_event
from taizhang.members.tests.factories import UserFactory, grant, make_committee, make_member
from taizhang.organisation.models import PartyGroup

pytestmark = pytest.mark.django_db

K = EventKind
S = Status
NOT_REGISTERED = flow.NOT_REGISTERED
ROSTER = {S.AWAITING, S.ACTIVE, S.OUTFLOW, S.LOST, S.SUSPENDED}
ALL_STATUSES = [NOT_REGISTERED, *S.values]

REGISTERED = datetime.date(2019, 3, 15)
EARLIER = datetime.date(2019, 6, 1)  # the event that brings the member into the status under test
LATER = datetime.date(2020, 1, 1)  # the event under test

# What the domain rules allow, written out by hand: kind -> statuses it may follow.
EXPECTED_ALLOWED = {
    K.REGISTERED: {NOT_REGISTERED, S.TRANSFERRED},
    K.REPORTED: {S.AWAITING},
    K.MOVED_BRANCH: ROSTER,
    K.LEFT_BEIJING: {S.ACTIVE, S.AWAITING},
    K.RETURNED: {S.OUTFLOW},
    K.TRANSFERRED_OUT: ROSTER,
    K.LOST_CONTACT: {S.ACTIVE, S.OUTFLOW, S.AWAITING},
    K.CONTACT_RESTORED: {S.LOST},
    K.CONTACTED: {S.ACTIVE, S.OUTFLOW, S.AWAITING},
    K.SUSPENDED: {S.ACTIVE, S.OUTFLOW, S.LOST, S.AWAITING},
    K.RESTORED: {S.SUSPENDED},
    K.PROBATION_COMPLETED: ROSTER - {S.SUSPENDED},
    K.DECEASED: ROSTER | {S.TRANSFERRED},
}
# None: the status stays what it was.
EXPECTED_RESULT = {
    K.REGISTERED: S.ACTIVE,
    K.REPORTED: S.ACTIVE,
    K.MOVED_BRANCH: None,
    K.LEFT_BEIJING: S.OUTFLOW,
    K.RETURNED: S.ACTIVE,
    K.TRANSFERRED_OUT: S.TRANSFERRED,
    K.LOST_CONTACT: S.LOST,
    K.CONTACT_RESTORED: S.ACTIVE,
    K.CONTACTED: None,
    K.SUSPENDED: S.SUSPENDED,
    K.RESTORED: S.ACTIVE,
    K.PROBATION_COMPLETED: None,
    K.DECEASED: S.DECEASED,
}

# The event (with what it needs) that brings an active member into each status.
REACH = {
    S.OUTFLOW: (K.LEFT_BEIJING, {}),
    S.LOST: (K.LOST_CONTACT, {"lost_contact_cause": LostContactCause.ABROAD}),
    S.SUSPENDED: (K.SUSPENDED, {"reason": "失联六个月以上"}),
    S.TRANSFERRED: (K.TRANSFERRED_OUT, {"reason": "转回原籍"}),
    S.DECEASED: (K.DECEASED, {"reason": "病故"}),
}


def today():
    return timezone.localdate()


def record(actor, member, kind, day, **kwargs):
    needs = {
        K.LOST_CONTACT: {"lost_contact_cause": LostContactCause.OUT_FOR_WORK},
        K.TRANSFERRED_OUT: {"reason": "组织关系转出"},
        K.SUSPENDED: {"reason": "停止党籍"},
        K.DECEASED: {"reason": "病故"},
    }.get(kind, {})
    return flow_record_event(actor=actor, member=member, kind=kind, effective_date=day, **(needs | kwargs))


def fresh(member) -> Member:
    return Member.objects.get(pk=member.pk)


def current_status(member) -> str:
    """The status recomputed from the member's latest effective event (what the projections must equal)."""
    latest = FlowEvent.objects.effective().filter(member=member).order_by("-effective_date", "-id").first()
    return latest.status_after if latest else flow.NOT_REGISTERED


def status_of(member) -> str:
    return current_status(fresh(member))


def member_in(cast, status, *, probationary=False) -> Member:
    """A new east member whose current status is ``status`` (latest event on EARLIER or REGISTERED)."""
    extra = {}
    if probationary:
        extra = {
            "membership_type": MembershipType.PROBATIONARY,
            "join_date": datetime.date(2019, 3, 1),
            "full_membership_date": None,
        }
    member = make_member(cast.admin, cast.east, registered_on=REGISTERED, reported=status != S.AWAITING, **extra)
    if status == NOT_REGISTERED:
        flow_correct_latest(actor=cast.admin, member=member, event=member.events.get(), reason="登记错了人")
    elif status in REACH:
        kind, kwargs = REACH[status]
        flow_record_event(actor=cast.admin, member=member, kind=kind, effective_date=EARLIER, **kwargs)
    assert status_of(member) == status
    return fresh(member)


def test_hand_written_rules_match_the_state_machine():
    """A change to flow.TRANSITIONS must be a deliberate change of this table too."""
    assert set(flow.TRANSITIONS) == set(K) - {K.CORRECTION}
    for kind, (allowed, result) in flow.TRANSITIONS.items():
        assert set(allowed) == EXPECTED_ALLOWED[kind], kind
        assert result == EXPECTED_RESULT[kind], kind


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("kind", list(EXPECTED_ALLOWED))
def test_refusal_matrix(kind, status):
    refused = flow.refusal(status, kind)
    if status in EXPECTED_ALLOWED[kind] and status != S.DECEASED:
        assert refused is None
        assert kind in flow.allowed_kinds(status)
    else:
        assert refused, (kind, status)
        assert kind not in flow.allowed_kinds(status)


ALLOWED_CASES = [(kind, status) for kind, statuses in EXPECTED_ALLOWED.items() for status in sorted(statuses)]


@pytest.mark.parametrize(("kind", "status"), ALLOWED_CASES)
def test_every_allowed_transition_is_recorded(cast, kind, status):
    member = member_in(cast, status, probationary=kind == K.PROBATION_COMPLETED)
    events = member.events.count()
    extra = {"to_branch": cast.west} if kind == K.MOVED_BRANCH else {}
    event = record(cast.admin, member, kind, LATER, **extra)

    expected = EXPECTED_RESULT[kind] or status
    assert event.status_after == expected
    assert status_of(member) == expected
    assert annotate_status(Member.objects.filter(pk=member.pk)).get().status == expected
    assert member.events.count() == events + 1
    assert AuditEntry.objects.filter(action=f"flow.{kind}", object_id=str(event.pk), actor=cast.admin).exists()


NOTABLE_REFUSALS = [
    (K.LEFT_BEIJING, S.OUTFLOW),  # a second open outflow
    (K.RETURNED, S.ACTIVE),  # return without leaving
    (K.RETURNED, S.AWAITING),
    (K.CONTACT_RESTORED, S.ACTIVE),  # not lost
    (K.LOST_CONTACT, S.LOST),
    (K.RESTORED, S.ACTIVE),  # not suspended
    (K.SUSPENDED, S.SUSPENDED),
    (K.REGISTERED, S.ACTIVE),  # already registered
    (K.REGISTERED, S.OUTFLOW),
    (K.REPORTED, S.ACTIVE),
    (K.LEFT_BEIJING, S.TRANSFERRED),
    (K.CONTACTED, S.TRANSFERRED),
    (K.CONTACTED, NOT_REGISTERED),
    (K.LEFT_BEIJING, S.SUSPENDED),
    (K.PROBATION_COMPLETED, S.SUSPENDED),
    *[(kind, S.DECEASED) for kind in EXPECTED_ALLOWED],  # nothing after deceased
]


@pytest.mark.parametrize(("kind", "status"), NOTABLE_REFUSALS)
def test_notable_wrong_transitions_are_refused(cast, kind, status):
    member = member_in(cast, status, probationary=kind == K.PROBATION_COMPLETED)
    events, entries = member.events.count(), AuditEntry.objects.count()
    extra = {"to_branch": cast.west} if kind == K.MOVED_BRANCH else {}
    with pytest.raises(ValidationError) as exc:
        record(cast.admin, member, kind, LATER, **extra)
    assert "kind" in exc.value.message_dict
    assert member.events.count() == events
    assert AuditEntry.objects.count() == entries
    assert status_of(member) == status


def test_deceased_member_offers_no_further_events(cast):
    member = member_in(cast, S.DECEASED)
    assert flow.allowed_kinds(S.DECEASED) == []
    with pytest.raises(ValidationError):
        flow_correct_latest(actor=cast.admin, member=member, event=member.events.latest("id"), reason="")


def test_awaiting_member_reports_and_becomes_active(cast):
    member = make_member(cast.admin, cast.east, registered_on=REGISTERED, reported=False)
    assert status_of(member) == S.AWAITING
    record(cast.admin, member, K.REPORTED, EARLIER)
    assert status_of(member) == S.ACTIVE


def test_transferred_member_can_register_again_awaiting_report(cast):
    member = member_in(cast, S.TRANSFERRED)
    record(cast.admin, member, K.REGISTERED, LATER, details={"reported": False})
    assert status_of(member) == S.AWAITING


def test_correction_is_not_recorded_as_an_ordinary_event(cast):
    with pytest.raises(ValidationError):
        record(cast.admin, cast.me, K.CORRECTION, LATER)


# --- dates ---------------------------------------------------------------------------------------


def test_event_date_in_the_future_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        record(cast.admin, cast.me, K.CONTACTED, today() + datetime.timedelta(days=1))
    assert list(exc.value.message_dict) == ["effective_date"]


def test_event_today_is_accepted(cast):
    event = record(cast.admin, cast.me, K.CONTACTED, today())
    assert event.effective_date == today()
    assert fresh(cast.me).current_event_id == event.pk and fresh(cast.me).last_contact_date == today()


def test_event_before_the_committee_was_founded_is_refused(cast):
    member = member_in(cast, NOT_REGISTERED)
    with pytest.raises(ValidationError) as exc:
        record(cast.admin, member, K.REGISTERED, datetime.date(2017, 8, 31))
    assert list(exc.value.message_dict) == ["effective_date"]


def test_registration_before_the_committee_was_founded_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        make_member(cast.admin, cast.east, registered_on=datetime.date(2017, 8, 31))
    assert list(exc.value.message_dict) == ["registered_on"]  # the registration form's own field
    assert "登记日期" in exc.value.message_dict["registered_on"][0]
    make_member(cast.admin, cast.east, registered_on=datetime.date(2017, 9, 1))


def test_registration_in_the_future_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        make_member(cast.admin, cast.east, registered_on=today() + datetime.timedelta(days=1))
    assert exc.value.message_dict == {"registered_on": ["登记日期不能晚于今天。"]}


def test_founding_date_is_the_committees_own(db):
    committee = make_committee(name="后成立的党委", founded_on=datetime.date(2018, 6, 1))
    admin = UserFactory(username="late_admin")
    grant(admin, "committee_admin", committee)
    with pytest.raises(ValidationError) as exc:
        make_member(admin, committee.east, registered_on=datetime.date(2018, 5, 31))
    assert list(exc.value.message_dict) == ["registered_on"]
    member = make_member(admin, committee.east, registered_on=datetime.date(2018, 6, 1))
    assert current_status(member) == S.ACTIVE


def test_event_before_the_latest_event_is_refused_but_the_same_day_is_accepted(cast):
    member = cast.me
    record(cast.admin, member, K.LEFT_BEIJING, LATER)
    with pytest.raises(ValidationError) as exc:
        record(cast.admin, member, K.RETURNED, LATER - datetime.timedelta(days=1))
    assert list(exc.value.message_dict) == ["effective_date"]
    record(cast.admin, member, K.RETURNED, LATER)
    assert status_of(member) == S.ACTIVE


# --- what each kind needs and changes ------------------------------------------------------------


def test_lost_contact_needs_a_cause_and_keeps_it(cast):
    with pytest.raises(ValidationError) as exc:
        flow_record_event(actor=cast.admin, member=cast.me, kind=K.LOST_CONTACT, effective_date=LATER)
    assert list(exc.value.message_dict) == ["lost_contact_cause"]
    event = record(cast.admin, cast.me, K.LOST_CONTACT, LATER, lost_contact_cause=LostContactCause.RESIDENCE_CHANGED)
    assert FlowEvent.objects.get(pk=event.pk).lost_contact_cause == LostContactCause.RESIDENCE_CHANGED


def test_cause_is_ignored_on_other_events(cast):
    event = record(cast.admin, cast.me, K.CONTACTED, LATER, lost_contact_cause=LostContactCause.ABROAD)
    assert FlowEvent.objects.get(pk=event.pk).lost_contact_cause is None


@pytest.mark.parametrize("kind", [K.TRANSFERRED_OUT, K.SUSPENDED, K.DECEASED])
def test_grave_events_need_a_reason(cast, kind):
    with pytest.raises(ValidationError) as exc:
        flow_record_event(actor=cast.admin, member=cast.me, kind=kind, effective_date=LATER, reason="  ")
    assert list(exc.value.message_dict) == ["reason"]


def test_move_branch_changes_the_members_branch_and_keeps_the_history(cast):
    member = cast.me
    group = PartyGroup.objects.create(branch=cast.east, name="望京党小组")
    Member.objects.filter(pk=member.pk).update(party_group=group)
    event = record(cast.admin, member, K.MOVED_BRANCH, LATER, to_branch=cast.west)
    member = fresh(member)
    assert member.branch == cast.west
    assert member.party_group is None  # the old branch's group no longer applies
    assert (event.from_branch, event.branch_after) == (cast.east, cast.west)
    assert status_of(member) == S.ACTIVE


def test_move_branch_needs_a_branch(cast):
    with pytest.raises(ValidationError) as exc:
        record(cast.admin, cast.me, K.MOVED_BRANCH, LATER)
    assert list(exc.value.message_dict) == ["to_branch"]


def test_move_to_the_same_branch_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        record(cast.admin, cast.me, K.MOVED_BRANCH, LATER, to_branch=cast.east)
    assert list(exc.value.message_dict) == ["to_branch"]


def test_move_to_another_committees_branch_is_refused(cast):
    other = make_committee(name="另一个党委")
    with pytest.raises(ValidationError) as exc:
        record(cast.admin, cast.me, K.MOVED_BRANCH, LATER, to_branch=other.west)
    assert list(exc.value.message_dict) == ["to_branch"]
    assert fresh(cast.me).branch == cast.east


def test_to_branch_is_ignored_on_other_events(cast):
    record(cast.admin, cast.me, K.CONTACTED, LATER, to_branch=cast.west)
    assert fresh(cast.me).branch == cast.east


def test_probation_completed_makes_a_full_member(cast):
    member = member_in(cast, S.ACTIVE, probationary=True)
    record(cast.admin, member, K.PROBATION_COMPLETED, LATER)
    member = fresh(member)
    assert member.membership_type == MembershipType.FULL
    assert member.full_membership_date == LATER
    assert member.party_age is not None


def test_probation_completed_is_refused_for_a_full_member(cast):
    with pytest.raises(ValidationError) as exc:
        record(cast.admin, cast.me, K.PROBATION_COMPLETED, LATER)
    assert list(exc.value.message_dict) == ["kind"]


def test_probation_cannot_end_before_the_join_date(cast):
    member = make_member(
        cast.admin,
        cast.east,
        registered_on=REGISTERED,
        membership_type=MembershipType.PROBATIONARY,
        join_date=datetime.date(2019, 6, 1),
        full_membership_date=None,
    )
    with pytest.raises(ValidationError) as exc:
        record(cast.admin, member, K.PROBATION_COMPLETED, datetime.date(2019, 5, 1))
    assert list(exc.value.message_dict) == ["effective_date"]


def test_probation_cannot_end_more_than_two_years_after_joining(cast):
    member = make_member(
        cast.admin,
        cast.east,
        registered_on=REGISTERED,
        membership_type=MembershipType.PROBATIONARY,
        join_date=datetime.date(2017, 1, 1),
        full_membership_date=None,
    )
    with pytest.raises(ValidationError):
        record(cast.admin, member, K.PROBATION_COMPLETED, LATER)


def test_registration_sets_the_last_contact_date(cast):
    assert cast.me.last_contact_date == datetime.date(2018, 3, 1)


@pytest.mark.parametrize("kind", [K.CONTACTED, K.REPORTED, K.RETURNED, K.CONTACT_RESTORED, K.RESTORED])
def test_contact_events_move_the_last_contact_date(cast, kind):
    before = {K.REPORTED: S.AWAITING, K.RETURNED: S.OUTFLOW, K.CONTACT_RESTORED: S.LOST, K.RESTORED: S.SUSPENDED}
    member = member_in(cast, before.get(kind, S.ACTIVE))
    record(cast.admin, member, kind, LATER)
    assert fresh(member).last_contact_date == LATER


@pytest.mark.parametrize("kind", [K.LEFT_BEIJING, K.LOST_CONTACT, K.MOVED_BRANCH])
def test_other_events_leave_the_last_contact_date(cast, kind):
    member = member_in(cast, S.ACTIVE)
    extra = {"to_branch": cast.central} if kind == K.MOVED_BRANCH else {}
    record(cast.admin, member, kind, LATER, **extra)
    assert fresh(member).last_contact_date == REGISTERED


# --- corrections ---------------------------------------------------------------------------------


def correct(cast, member, event, reason="录入错误"):
    return flow_correct_latest(actor=cast.admin, member=fresh(member), event=event, reason=reason)


def test_correction_reverts_the_status(cast):
    member = cast.me
    wrong = record(cast.admin, member, K.LEFT_BEIJING, LATER)
    correction = correct(cast, member, wrong)
    assert correction.corrects == wrong
    assert correction.effective_date == wrong.effective_date
    assert status_of(member) == S.ACTIVE
    assert AuditEntry.objects.filter(action="flow.correction", object_id=str(correction.pk)).exists()
    # after the correction the member can leave again
    record(cast.admin, member, K.LEFT_BEIJING, LATER)
    assert status_of(member) == S.OUTFLOW


def test_correction_reverts_a_branch_move(cast):
    member = cast.me
    wrong = record(cast.admin, member, K.MOVED_BRANCH, LATER, to_branch=cast.west)
    correct(cast, member, wrong)
    assert fresh(member).branch == cast.east
    assert status_of(member) == S.ACTIVE


def test_correction_reverts_probation_completed(cast):
    member = member_in(cast, S.ACTIVE, probationary=True)
    wrong = record(cast.admin, member, K.PROBATION_COMPLETED, LATER)
    correct(cast, member, wrong)
    member = fresh(member)
    assert member.membership_type == MembershipType.PROBATIONARY
    assert member.full_membership_date is None


def test_correction_of_the_registration_takes_the_member_off_the_roster(cast):
    member = make_member(cast.admin, cast.east, registered_on=REGISTERED)
    correct(cast, member, member.events.get())
    assert status_of(member) == NOT_REGISTERED
    assert member.pk not in [m.pk for m in annotate_status(Member.objects.all()).filter(status__in=list(ROSTER))]


def test_only_the_latest_event_can_be_corrected(cast):
    member = cast.me
    first = record(cast.admin, member, K.LEFT_BEIJING, EARLIER)
    record(cast.admin, member, K.RETURNED, LATER)
    with pytest.raises(ValidationError) as exc:
        correct(cast, member, first)
    assert list(exc.value.message_dict) == ["kind"]
    assert status_of(member) == S.ACTIVE


def test_an_event_of_another_member_cannot_be_corrected(cast):
    other_event = record(cast.admin, cast.east_members[1], K.CONTACTED, LATER)
    with pytest.raises(ValidationError):
        correct(cast, cast.me, other_event)


def test_a_correction_cannot_be_corrected_nor_the_voided_event_again(cast):
    member = cast.me
    wrong = record(cast.admin, member, K.LEFT_BEIJING, LATER)
    correction = correct(cast, member, wrong)
    with pytest.raises(ValidationError) as exc:
        correct(cast, member, correction)
    assert list(exc.value.message_dict) == ["kind"]
    with pytest.raises(ValidationError):
        correct(cast, member, wrong)
    assert status_of(member) == S.ACTIVE


def test_correction_needs_a_reason(cast):
    wrong = record(cast.admin, cast.me, K.LEFT_BEIJING, LATER)
    with pytest.raises(ValidationError) as exc:
        correct(cast, cast.me, wrong, reason=" ")
    assert list(exc.value.message_dict) == ["reason"]
    assert status_of(cast.me) == S.OUTFLOW


def test_timeline_keeps_the_voided_event_and_marks_it(cast):
    wrong = record(cast.admin, cast.me, K.LEFT_BEIJING, LATER)
    correction = correct(cast, cast.me, wrong)
    timeline = member_timeline(fresh(cast.me))
    assert [e.pk for e in timeline][:2] == [correction.pk, wrong.pk]
    assert {e.pk: e.is_voided for e in timeline} == {correction.pk: False, wrong.pk: True, timeline[-1].pk: False}


def test_correcting_a_contact_event_restores_the_last_contact_date(cast):
    wrong = record(cast.admin, cast.me, K.CONTACTED, LATER)
    correct(cast, cast.me, wrong)
    assert fresh(cast.me).last_contact_date == datetime.date(2018, 3, 1)


def test_event_entered_with_a_wrong_date_can_be_re_entered_with_the_right_date(cast):
    wrong = record(cast.admin, cast.me, K.LEFT_BEIJING, LATER)
    correct(cast, cast.me, wrong, reason="日期录错了")
    record(cast.admin, cast.me, K.LEFT_BEIJING, EARLIER)
    assert status_of(cast.me) == S.OUTFLOW
    assert roster_counts(cast.admin, day=LATER)["by_status"].get(str(S.OUTFLOW.label)) == 1


# --- append-only ---------------------------------------------------------------------------------


def test_saving_an_existing_event_is_refused(cast):
    event = cast.me.events.get()
    event.status_after = S.DECEASED
    with pytest.raises(TypeError):
        event.save()
    assert FlowEvent.objects.get(pk=event.pk).status_after == S.ACTIVE


def test_queryset_update_and_delete_of_events_are_refused(cast):
    with pytest.raises(TypeError):
        FlowEvent.objects.filter(member=cast.me).update(status_after=S.DECEASED)
    with pytest.raises(TypeError):
        FlowEvent.objects.filter(member=cast.me).delete()
    with pytest.raises(TypeError):
        cast.me.events.all().delete()
    assert FlowEvent.objects.filter(member=cast.me).count() == 1


def test_deleting_one_event_is_refused(cast):
    event = cast.me.events.get()
    with pytest.raises((TypeError, DatabaseError)), transaction.atomic():
        event.delete()
    assert FlowEvent.objects.filter(pk=event.pk).exists()


def test_a_member_with_events_cannot_be_deleted(cast):
    from django.db.models import ProtectedError

    with pytest.raises((ProtectedError, TypeError, DatabaseError)), transaction.atomic():
        fresh(cast.me).delete()
    assert FlowEvent.objects.filter(member=cast.me).exists()


# --- roster as of a date -------------------------------------------------------------------------


@pytest.fixture
def other():
    """A committee of its own, so roster counts hold only the members a test registers."""
    committee = make_committee(name="测试计数党委")
    admin = UserFactory(username="count_admin")
    grant(admin, "committee_admin", committee)
    committee.admin = admin
    return committee


def counts(committee, day):
    return roster_counts(day=day, committee=committee)


def label(status):
    return str(S(status).label)


D = datetime.date


def test_roster_counts_follow_the_flow_over_time(other):
    member = make_member(other.admin, other.east, registered_on=D(2019, 3, 15))
    record(other.admin, member, K.LEFT_BEIJING, D(2019, 6, 1))
    record(other.admin, member, K.RETURNED, D(2019, 9, 1))
    record(other.admin, member, K.TRANSFERRED_OUT, D(2020, 1, 1))

    assert counts(other, D(2019, 3, 14))["total"] == 0
    on_registration = counts(other, D(2019, 3, 15))
    assert on_registration["total"] == 1
    assert on_registration["by_status"] == {label(S.ACTIVE): 1}
    assert on_registration["by_branch"] == {other.east.name: 1}
    assert counts(other, D(2019, 5, 31))["by_status"] == {label(S.ACTIVE): 1}
    assert counts(other, D(2019, 6, 1))["by_status"] == {label(S.OUTFLOW): 1}  # away, still on the roster
    assert counts(other, D(2019, 8, 31))["by_status"] == {label(S.OUTFLOW): 1}
    assert counts(other, D(2019, 9, 1))["by_status"] == {label(S.ACTIVE): 1}
    assert counts(other, D(2019, 12, 31))["total"] == 1
    assert counts(other, D(2020, 1, 1))["total"] == 0
    assert counts(other, today())["total"] == 0
    assert counts(other, D(2019, 7, 1))["as_of"] == "2019-07-01"


def test_a_corrected_event_counts_on_no_date(other):
    member = make_member(other.admin, other.east, registered_on=D(2019, 3, 15))
    wrong = record(other.admin, member, K.TRANSFERRED_OUT, D(2019, 6, 1))
    flow_correct_latest(actor=other.admin, member=fresh(member), event=wrong, reason="转错了人")
    away = make_member(other.admin, other.west, registered_on=D(2019, 3, 15))
    wrong_outflow = record(other.admin, away, K.LEFT_BEIJING, D(2019, 7, 1))
    flow_correct_latest(actor=other.admin, member=fresh(away), event=wrong_outflow, reason="没有外出")

    for day in [D(2019, 3, 15), D(2019, 6, 1), D(2019, 7, 1), D(2020, 1, 1), today()]:
        result = counts(other, day)
        assert result["total"] == 2, day
        assert result["by_status"] == {label(S.ACTIVE): 2}, day


def test_a_corrected_registration_counts_on_no_date(other):
    member = make_member(other.admin, other.east, registered_on=D(2019, 3, 15))
    flow_correct_latest(actor=other.admin, member=fresh(member), event=member.events.get(), reason="重复登记")
    for day in [D(2019, 3, 15), D(2020, 1, 1), today()]:
        assert counts(other, day)["total"] == 0


def test_by_branch_follows_moves_over_time(other):
    mover = make_member(other.admin, other.east, registered_on=D(2019, 3, 15))
    make_member(other.admin, other.central, registered_on=D(2019, 3, 15))
    record(other.admin, mover, K.MOVED_BRANCH, D(2019, 6, 1), to_branch=other.west)
    record(other.admin, mover, K.MOVED_BRANCH, D(2019, 9, 1), to_branch=other.central)

    assert counts(other, D(2019, 4, 1))["by_branch"] == {other.east.name: 1, other.central.name: 1}
    assert counts(other, D(2019, 7, 1))["by_branch"] == {other.west.name: 1, other.central.name: 1}
    assert counts(other, D(2019, 9, 1))["by_branch"] == {other.central.name: 2}
    assert counts(other, today())["by_branch"] == {other.central.name: 2}


def test_by_category_and_awaiting_members(other):
    make_member(other.admin, other.east, registered_on=D(2019, 3, 15), category="resident", reported=False)
    make_member(other.admin, other.east, registered_on=D(2019, 3, 15), category="working")
    result = counts(other, today())
    assert result["total"] == 2
    assert result["by_status"] == {label(S.AWAITING): 1, label(S.ACTIVE): 1}
    assert sum(result["by_category"].values()) == 2 and len(result["by_category"]) == 2


def test_todays_status_agrees_with_the_status_as_of_today(other):
    """Today's status (read through the latest-event pointer) equals the as-of computation for today."""
    a = make_member(other.admin, other.east, registered_on=D(2019, 3, 15))
    b = make_member(other.admin, other.west, registered_on=D(2019, 3, 15), reported=False)
    c = make_member(other.admin, other.central, registered_on=D(2019, 3, 15))
    record(other.admin, a, K.LEFT_BEIJING, D(2019, 6, 1))
    record(other.admin, a, K.MOVED_BRANCH, D(2019, 7, 1), to_branch=other.central)
    wrong = record(other.admin, b, K.LOST_CONTACT, today())
    flow_correct_latest(actor=other.admin, member=fresh(b), event=wrong, reason="联系上了")
    record(other.admin, c, K.TRANSFERRED_OUT, D(2020, 1, 1))
    record(other.admin, c, K.REGISTERED, D(2021, 1, 1))

    members = Member.objects.filter(committee=other)
    now = {m.pk: (m.status, m.branch_on) for m in annotate_status(members)}
    as_of = {m.pk: (m.status, m.branch_on) for m in annotate_status(members, today())}
    assert now == as_of
    assert now[a.pk] == (S.OUTFLOW, other.central.pk)
    assert now[b.pk] == (S.AWAITING, other.west.pk)
    assert now[c.pk] == (S.ACTIVE, other.central.pk)
    assert counts(other, None) == counts(other, today())
    assert {m.pk: current_status(m) for m in members} == {pk: s for pk, (s, _b) in now.items()}
