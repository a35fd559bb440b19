"""Attendance is contact: the ledger's last-contact date keeps it when a flow event is corrected."""

import datetime

import pytest

from taizhang.activities.services import attendance_record
from taizhang.activities.tests.factories import DAY, make_activity, seed_types
from taizhang.members.contact import last_contact_day
from taizhang.members.models import EventKind, Member
from taizhang.members.services import flow_correct_latest, flow_record_event

pytestmark = pytest.mark.django_db


def test_correcting_a_later_contact_event_falls_back_to_the_attendance(cast):
    seed_types(cast)
    member = cast.me
    activity = make_activity(cast.admin, cast.committee)
    attendance_record(actor=cast.admin, activity=activity, member=member, status="present")
    assert Member.objects.get(pk=member.pk).last_contact_date == DAY

    wrong = flow_record_event(actor=cast.admin, member=member, kind=EventKind.CONTACTED,
                              effective_date=DAY + datetime.timedelta(days=30))
    assert Member.objects.get(pk=member.pk).last_contact_date == DAY + datetime.timedelta(days=30)
    flow_correct_latest(actor=cast.admin, member=member, event=wrong, reason="录错了人")
    assert Member.objects.get(pk=member.pk).last_contact_date == DAY
    assert last_contact_day(member) == DAY
