"""Attendance: the check-in window, idempotency, leave before the start, corrections, last contact, scoping."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from taizhang.activities.models import AbsenceReason, Attendance, AttendanceStatus, AudienceKind, CheckInMethod
from taizhang.activities.selectors import attendance_ledger, attendance_queryset
from taizhang.activities.services import (
    AttendanceEntry,
    activity_cancel,
    activity_update,
    attendance_check_in,
    attendance_correct,
    attendance_record,
    attendance_record_many,
)
from taizhang.activities.tests.factories import DAY, make_activity, seed_types
from taizhang.core.models import AuditEntry
from taizhang.members.models import EventKind, Member
from taizhang.members.services import flow_record_event
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db

PRESENT, ABSENT, LEAVE = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.LEAVE


def minutes(n: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


@pytest.fixture
def study(cast):
    seed_types(cast)
    return make_activity(cast.admin, cast.committee, type_name="每月一学", title="每月一学：学习党章")


def qr(cast, activity, when):
    return attendance_check_in(actor=cast.plain_member, activity=activity, member=cast.me, method=CheckInMethod.QR,
                               now=when)


# --- the check-in window ------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-20, -1, 0, 1, 20])
def test_qr_check_in_inside_the_window(cast, study, offset):
    result = qr(cast, study, study.starts_at + minutes(offset))
    assert not result.already
    row = Attendance.objects.get(activity=study, member=cast.me)
    assert (row.status, row.method, row.checked_in_at) == (PRESENT, CheckInMethod.QR, study.starts_at + minutes(offset))
    assert row.recorded_by == cast.plain_member


@pytest.mark.parametrize("offset", [-21, 21, 120])
def test_qr_check_in_outside_the_window_is_refused(cast, study, offset):
    with pytest.raises(ValidationError) as exc:
        qr(cast, study, study.starts_at + minutes(offset))
    assert "checked_in_at" in exc.value.message_dict
    assert not Attendance.objects.exists()


@override_settings(CHECKIN_BEFORE_MINUTES=30, CHECKIN_AFTER_MINUTES=5)
def test_the_window_is_a_setting(cast, study):
    qr(cast, study, study.starts_at - minutes(30))
    with pytest.raises(ValidationError):
        attendance_check_in(actor=cast.admin, activity=study, member=cast.east_members[1], method=CheckInMethod.STAFF,
                            now=study.starts_at - minutes(31))


def test_staff_check_in_any_time_after_the_window_opens(cast, study):
    elderly = cast.members_by_name["李秀英"]
    with pytest.raises(ValidationError):
        attendance_check_in(actor=cast.east_secretary, activity=study, member=elderly, method=CheckInMethod.STAFF,
                            now=study.starts_at - minutes(21))
    result = attendance_check_in(actor=cast.east_secretary, activity=study, member=elderly, method=CheckInMethod.STAFF,
                                 now=study.starts_at + minutes(90))
    assert result.attendance.method == CheckInMethod.STAFF and not result.already


def test_only_the_member_checks_in_by_qr(cast, study):
    with pytest.raises(PermissionDenied):
        attendance_check_in(actor=cast.east_secretary, activity=study, member=cast.me, method=CheckInMethod.QR,
                            now=study.starts_at)
    with pytest.raises(PermissionDenied):
        attendance_check_in(actor=cast.plain_member, activity=study, member=cast.east_members[1],
                            method=CheckInMethod.QR, now=study.starts_at)


# --- idempotency -----------------------------------------------------------------------------------


def test_second_check_in_says_already_and_writes_nothing(cast, study):
    first = qr(cast, study, study.starts_at - minutes(5))
    audits = AuditEntry.objects.filter(action__startswith="attendance.").count()
    second = qr(cast, study, study.starts_at + minutes(3))
    assert second.already and second.attendance.pk == first.attendance.pk
    assert "09:25" in second.message
    third = attendance_check_in(actor=cast.east_secretary, activity=study, member=cast.me, method=CheckInMethod.STAFF,
                                now=study.starts_at + minutes(30))
    assert third.already
    assert Attendance.objects.filter(activity=study, member=cast.me).count() == 1
    assert Attendance.objects.get(activity=study, member=cast.me).checked_in_at == study.starts_at - minutes(5)
    assert AuditEntry.objects.filter(action__startswith="attendance.").count() == audits == 1


def test_recording_the_same_sheet_twice_adds_no_rows(cast, study):
    sheet = [AttendanceEntry(m, PRESENT) for m in cast.east_members]
    after = study.ends_at + minutes(60)
    attendance_record_many(actor=cast.east_secretary, activity=study, entries=sheet, now=after)
    rows = attendance_record_many(actor=cast.east_secretary, activity=study, entries=sheet, now=after)
    assert [r.member_id for r in rows] == [m.pk for m in cast.east_members]
    assert Attendance.objects.filter(activity=study).count() == 3
    assert AuditEntry.objects.filter(action="attendance.record").count() == 3
    # Paper sheets entered after the activity have no check-in time.
    assert set(Attendance.objects.values_list("checked_in_at", flat=True)) == {None}
    # A contradicting line is refused: correct it instead.
    with pytest.raises(ValidationError) as exc:
        attendance_record(actor=cast.east_secretary, activity=study, member=cast.east_members[1], status=ABSENT,
                          absence_reason=AbsenceReason.ILLNESS, now=after)
    assert "status" in exc.value.message_dict


def test_a_sheet_is_all_or_nothing(cast, study):
    sheet = [AttendanceEntry(cast.east_members[1], PRESENT), AttendanceEntry(cast.east_members[2], PRESENT),
             AttendanceEntry(cast.west_members[0], PRESENT)]
    with pytest.raises(PermissionDenied):
        attendance_record_many(actor=cast.east_secretary, activity=study, entries=sheet, now=study.ends_at)
    bad = [AttendanceEntry(cast.east_members[1], PRESENT),
           AttendanceEntry(cast.east_members[2], ABSENT, AbsenceReason.OTHER, "")]
    with pytest.raises(ValidationError) as exc:
        attendance_record_many(actor=cast.east_secretary, activity=study, entries=bad, now=study.ends_at)
    assert "note" in exc.value.message_dict and "王建国" in exc.value.message_dict["note"][0]
    assert not Attendance.objects.exists()


# --- leave and absence --------------------------------------------------------------------------------


def test_leave_must_be_recorded_before_the_start(cast, study):
    elderly = cast.members_by_name["李秀英"]
    attendance_record(actor=cast.east_secretary, activity=study, member=elderly, status=LEAVE,
                      absence_reason=AbsenceReason.ILLNESS, note="住院", now=study.starts_at - minutes(1))
    with pytest.raises(ValidationError) as exc:
        attendance_record(actor=cast.east_secretary, activity=study, member=cast.east_members[2], status=LEAVE,
                          absence_reason=AbsenceReason.WORK, now=study.starts_at)
    assert "status" in exc.value.message_dict
    # Leave needs its reason; an absence is recorded only after the start.
    with pytest.raises(ValidationError) as exc:
        attendance_record(actor=cast.east_secretary, activity=study, member=cast.east_members[2], status=LEAVE,
                          now=study.starts_at - minutes(60))
    assert "absence_reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        attendance_record(actor=cast.east_secretary, activity=study, member=cast.east_members[2], status=ABSENT,
                          now=study.starts_at - minutes(60))
    assert "status" in exc.value.message_dict
    attendance_record(actor=cast.east_secretary, activity=study, member=cast.east_members[2], status=ABSENT,
                      absence_reason=AbsenceReason.OUT_OF_BEIJING, now=study.ends_at)


def test_a_member_asks_for_their_own_leave_only(cast, study):
    attendance_record(actor=cast.plain_member, activity=study, member=cast.me, status=LEAVE,
                      absence_reason=AbsenceReason.WORK, note="出差", now=study.starts_at - minutes(120))
    with pytest.raises(PermissionDenied):
        attendance_record(actor=cast.plain_member, activity=study, member=cast.east_members[1], status=LEAVE,
                          absence_reason=AbsenceReason.WORK, now=study.starts_at - minutes(120))
    # Came after all: the check-in turns the leave into present, and the log keeps the leave.
    result = qr(cast, study, study.starts_at + minutes(2))
    assert result.attendance.status == PRESENT and result.attendance.absence_reason == ""
    entry = AuditEntry.objects.get(action="attendance.check_in")
    assert entry.old_values["status"] == LEAVE and entry.new_values["status"] == PRESENT


def test_the_ledger_counts_expected_present_leave_and_absent(cast, study):
    east1, east2 = cast.east_members[1], cast.east_members[2]
    attendance_record(actor=cast.admin, activity=study, member=east1, status=LEAVE,
                      absence_reason=AbsenceReason.ILLNESS, now=study.starts_at - minutes(60))
    qr(cast, study, study.starts_at)
    attendance_record(actor=cast.admin, activity=study, member=east2, status=ABSENT, absence_reason=AbsenceReason.WORK,
                      now=study.ends_at)
    ledger = attendance_ledger(study)
    assert (ledger.expected, ledger.present, ledger.leave, ledger.absent) == (6, 1, 1, 4)
    assert ledger.absent_by_reason == {"": 3, AbsenceReason.WORK: 1}
    assert ledger.rate == pytest.approx(1 / 6)
    assert attendance_ledger(study, user=cast.west_secretary).expected == 2


# --- roster, cancelled activities --------------------------------------------------------------------------


def test_members_not_on_the_roster_that_day_cannot_attend(cast):
    seed_types(cast)
    old = make_activity(cast.admin, cast.committee, day=datetime.date(2023, 6, 12))
    newcomer = make_member(cast.admin, cast.east, registered_on=datetime.date(2024, 1, 10), name="孙志强")
    with pytest.raises(ValidationError) as exc:
        attendance_record(actor=cast.admin, activity=old, member=newcomer, status=PRESENT, now=old.ends_at)
    assert "member" in exc.value.message_dict and "孙志强" in exc.value.messages[0]


def test_no_attendance_at_a_cancelled_activity(cast, study):
    activity_cancel(actor=cast.admin, activity=study, reason="场地维修")
    with pytest.raises(ValidationError) as exc:
        qr(cast, study, study.starts_at)
    assert "activity" in exc.value.message_dict


def test_an_activity_with_attendance_cannot_be_cancelled_or_moved(cast, study):
    qr(cast, study, study.starts_at)
    with pytest.raises(ValidationError):
        activity_cancel(actor=cast.admin, activity=study, reason="误操作")
    with pytest.raises(ValidationError) as exc:
        activity_update(actor=cast.admin, activity=study, data={"starts_at": study.starts_at + minutes(30)})
    assert "starts_at" in exc.value.message_dict


# --- corrections and last contact -------------------------------------------------------------------------


def test_a_correction_is_audited_with_old_and_new(cast, study):
    member = cast.east_members[1]
    row = attendance_record(actor=cast.east_secretary, activity=study, member=member, status=PRESENT,
                            now=study.ends_at + minutes(30))
    with pytest.raises(ValidationError) as exc:
        attendance_correct(actor=cast.east_secretary, attendance=row, status=ABSENT,
                           absence_reason=AbsenceReason.ILLNESS, reason="")
    assert "reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        attendance_correct(actor=cast.west_secretary, attendance=row, status=ABSENT, reason="记错了")
    corrected = attendance_correct(actor=cast.east_secretary, attendance=row, status=LEAVE,
                                   absence_reason=AbsenceReason.ILLNESS, note="会前电话请假", reason="会前已电话请假，误记为出席")
    assert (corrected.status, corrected.absence_reason) == (LEAVE, AbsenceReason.ILLNESS)
    entry = AuditEntry.objects.get(action="attendance.correct")
    assert entry.old_values == {"status": PRESENT, "absence_reason": "", "note": ""}
    assert entry.new_values["status"] == LEAVE and entry.new_values["reason"] == "会前已电话请假，误记为出席"
    assert entry.actor == cast.east_secretary
    assert Attendance.objects.filter(activity=study, member=member).count() == 1


def test_attendance_moves_the_last_contact_forward_never_back(cast, study):
    member = Member.objects.get(pk=cast.east_members[1].pk)
    assert member.last_contact_date == datetime.date(2018, 3, 1)
    row = attendance_record(actor=cast.admin, activity=study, member=member, status=PRESENT, now=study.ends_at)
    member.refresh_from_db()
    assert member.last_contact_date == DAY
    earlier = make_activity(cast.admin, cast.committee, day=datetime.date(2024, 3, 12))
    attendance_record(actor=cast.admin, activity=earlier, member=member, status=PRESENT, now=earlier.ends_at)
    member.refresh_from_db()
    assert member.last_contact_date == DAY
    # Correcting the later attendance away falls back to the earlier one.
    attendance_correct(actor=cast.admin, attendance=row, status=ABSENT, reason="误记")
    member.refresh_from_db()
    assert member.last_contact_date == datetime.date(2024, 3, 12)
    # Leave and absence are not contact.
    other = Member.objects.get(pk=cast.east_members[2].pk)
    attendance_record(actor=cast.admin, activity=study, member=other, status=ABSENT, now=study.ends_at)
    other.refresh_from_db()
    assert other.last_contact_date == datetime.date(2018, 3, 1)


def test_recomputed_last_contact_keeps_later_flow_contacts(cast, study):
    member = cast.east_members[1]
    row = attendance_record(actor=cast.admin, activity=study, member=member, status=PRESENT, now=study.ends_at)
    flow_record_event(actor=cast.admin, member=member, kind=EventKind.CONTACTED,
                      effective_date=datetime.date(2026, 7, 1), reason="电话联系")
    attendance_correct(actor=cast.admin, attendance=row, status=ABSENT, reason="误记")
    member.refresh_from_db()
    assert member.last_contact_date == datetime.date(2026, 7, 1)


# --- scoping ---------------------------------------------------------------------------------------------------


def test_a_west_secretary_cannot_record_attendance_for_an_east_member(cast, study):
    east_member = cast.east_members[1]
    with pytest.raises(PermissionDenied):
        attendance_record(actor=cast.west_secretary, activity=study, member=east_member, status=PRESENT,
                          now=study.ends_at)
    with pytest.raises(PermissionDenied):
        attendance_check_in(actor=cast.west_secretary, activity=study, member=east_member, method=CheckInMethod.STAFF,
                            now=study.starts_at)
    for who in ("study", "outsider", "auditor", "sysadmin"):
        with pytest.raises(PermissionDenied):
            attendance_record(actor=getattr(cast, who), activity=study, member=east_member, status=PRESENT,
                              now=study.ends_at)
    assert not Attendance.objects.exists()
    attendance_record(actor=cast.west_secretary, activity=study, member=cast.west_members[0], status=PRESENT,
                      now=study.ends_at)


def test_attendance_lists_are_scoped(cast, study):
    sheet = [AttendanceEntry(m, PRESENT) for m in cast.members]
    attendance_record_many(actor=cast.admin, activity=study, entries=sheet, now=study.ends_at)
    names = {who: set(attendance_queryset(getattr(cast, who), study).values_list("member__name", flat=True))
             for who in ("admin", "east_secretary", "west_secretary", "plain_member", "outsider")}
    assert names["admin"] == {m.name for m in cast.members}
    assert names["east_secretary"] == {m.name for m in cast.east_members}
    assert names["west_secretary"] == {m.name for m in cast.west_members}
    assert names["plain_member"] == {cast.me.name}
    assert names["outsider"] == set()


def test_walk_ins_from_outside_the_audience_are_recorded(cast):
    seed_types(cast)
    east_meeting = make_activity(cast.east_secretary, cast.committee, type_name="党员大会", organiser_branch=cast.east,
                                 audience_kind=AudienceKind.BRANCH, audience_branch=cast.east)
    attendance_record(actor=cast.admin, activity=east_meeting, member=cast.west_members[0], status=PRESENT,
                      now=east_meeting.ends_at)
    ledger = attendance_ledger(east_meeting)
    assert (ledger.expected, ledger.present, ledger.present_not_expected) == (3, 0, 1)


# --- bulk paths (the demo load) -------------------------------------------------------------------


def test_a_sheet_writes_one_audit_entry_per_row_in_one_chained_write(cast, study):
    from taizhang.core.auditchain import verify

    sheet = [AttendanceEntry(m, PRESENT) for m in cast.east_members]
    attendance_record_many(actor=cast.east_secretary, activity=study, entries=sheet, now=study.ends_at)
    entries = list(AuditEntry.objects.filter(action="attendance.record").order_by("seq"))
    assert sorted(e.object_repr.split(" · ")[0] for e in entries) == sorted(m.name for m in cast.east_members)
    assert [e.seq for e in entries] == list(range(entries[0].seq, entries[0].seq + 3))  # one reservation
    assert verify().ok
    # The audit part no longer grows with the sheet: 3 rows and 6 rows cost the same number of queries.
    more = make_activity(cast.admin, cast.committee, type_name="每月一学", title="第二次")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        attendance_record_many(actor=cast.admin, activity=more, entries=sheet, now=more.ends_at)
    other = make_activity(cast.admin, cast.committee, type_name="每月一学", title="第三次")
    with CaptureQueriesContext(connection) as large:
        attendance_record_many(actor=cast.admin, activity=other,
                               entries=[AttendanceEntry(m, PRESENT) for m in cast.members], now=other.ends_at)
    assert len(large) == len(small)


def test_inside_an_attendance_batch_listeners_hear_once_per_activity_and_actor(cast, study, monkeypatch):
    from taizhang.activities import hooks

    heard = []

    def listener(*, activity, member_ids, actor):
        heard.append((activity.pk, tuple(member_ids), actor.pk))

    monkeypatch.setattr(hooks.attendance_changed, "_listeners", hooks.attendance_changed._listeners)  # restored after
    hooks.attendance_changed.connect(listener)
    members = cast.east_members
    with hooks.attendance_batch():
        attendance_record_many(actor=cast.east_secretary, activity=study, now=study.starts_at - minutes(60),
                               entries=[AttendanceEntry(members[0], LEAVE, AbsenceReason.WORK)])
        attendance_record_many(actor=cast.east_secretary, activity=study, now=study.ends_at,
                               entries=[AttendanceEntry(m, PRESENT) for m in members[1:]])
        assert heard == []  # not yet
    assert heard == [(study.pk, tuple(sorted(m.pk for m in members)), cast.east_secretary.pk)]
    attendance_record_many(actor=cast.admin, activity=study, now=study.ends_at,
                           entries=[AttendanceEntry(cast.west_members[0], PRESENT)])
    assert heard[-1] == (study.pk, (cast.west_members[0].pk,), cast.admin.pk)  # outside: at once
