"""The staff tick list (应到 rows, 到/请假/缺席 by htmx, per-row errors) and attendance corrections."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.activities.models import Attendance, AudienceKind, CheckInMethod
from taizhang.activities.services import attendance_record
from taizhang.activities.tests.factories import DAY, make_activity, seed_types
from taizhang.activities.tests.factories_pages import activity_at, body, future, minutes_from_now
from taizhang.core.models import AuditEntry
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def now_activity(cast):
    """A committee-wide activity starting in 10 minutes: check-in is open."""
    seed_types(cast)
    return activity_at(cast.admin, cast.committee, minutes_from_now(10), title="正在签到的集体学习")


@pytest.fixture
def west_activity(cast):
    seed_types(cast)
    return activity_at(cast.west_secretary, cast.committee, minutes_from_now(10), title="西部主题党日",
                       type_name="主题党日", organiser_branch=cast.west, audience_kind=AudienceKind.BRANCH,
                       audience_branch=cast.west)


def names(response):
    return [m.name for m, _att in response.context["rows"]]


def test_tick_list_rows_per_role(client, cast, now_activity):
    url = reverse("activities:attendance", args=[now_activity.pk])
    client.force_login(cast.admin)
    assert sorted(names(client.get(url))) == sorted(m.name for m in cast.members)
    client.force_login(cast.east_secretary)  # a committee activity: ticks only the east members
    assert sorted(names(client.get(url))) == sorted(m.name for m in cast.east_members)
    client.force_login(cast.west_secretary)
    assert sorted(names(client.get(url))) == sorted(m.name for m in cast.west_members)
    for user in (cast.study, cast.plain_member, cast.outsider, cast.auditor, cast.sysadmin):
        client.force_login(user)
        assert client.get(url).status_code == 403


def test_tick_list_of_another_branch_is_404(client, cast, west_activity):
    client.force_login(cast.east_secretary)
    assert client.get(reverse("activities:attendance", args=[west_activity.pk])).status_code == 404
    member = cast.west_members[0]
    url = reverse("activities:attendance_present", args=[west_activity.pk, member.pk])
    assert client.post(url, **HX).status_code == 404
    assert not Attendance.objects.exists()


def test_tap_present_swaps_the_row_and_is_idempotent(client, cast, now_activity):
    member = cast.east_members[1]
    client.force_login(cast.east_secretary)
    url = reverse("activities:attendance_present", args=[now_activity.pk, member.pk])
    response = client.post(url, **HX)
    row = Attendance.objects.get(activity=now_activity, member=member)
    assert row.method == CheckInMethod.STAFF and row.status == "present"
    text = body(response)
    assert text.startswith('<div class="list-group-item') and "<html" not in text
    expected = _("Checked in %(t)s") % {"t": timezone.localtime(row.checked_in_at).strftime("%H:%M")}
    assert expected in text
    response = client.post(url, **HX)
    assert Attendance.objects.filter(activity=now_activity, member=member).count() == 1
    assert expected in body(response)


def test_present_before_window_shows_error_in_row(client, cast):
    seed_types(cast)
    activity = future(cast.admin, cast.committee, title="下周学习")
    client.force_login(cast.admin)
    response = client.post(reverse("activities:attendance_present", args=[activity.pk, cast.me.pk]), **HX)
    assert "开始签到" in body(response) and "alert-danger" in body(response)
    assert not Attendance.objects.exists()


def test_present_without_htmx_redirects_with_message(client, cast, now_activity):
    client.force_login(cast.admin)
    url = reverse("activities:attendance_present", args=[now_activity.pk, cast.me.pk])
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("activities:attendance", args=[now_activity.pk])
    assert "张伟明" in body(response)


def test_leave_before_start_with_reason(client, cast, now_activity):
    member = cast.east_members[2]
    client.force_login(cast.admin)
    url = reverse("activities:attendance_mark", args=[now_activity.pk, member.pk])
    form = body(client.get(url, {"status": "leave"}, **HX))
    assert 'name="absence_reason"' in form
    response = client.post(url, {"status": "leave", "absence_reason": "", "note": ""}, **HX)
    assert "王建国：请选择请假原因。" in body(response)
    assert not Attendance.objects.exists()
    response = client.post(url, {"status": "leave", "absence_reason": "illness", "note": "住院"}, **HX)
    row = Attendance.objects.get(member=member)
    assert (row.status, row.absence_reason, row.note) == ("leave", "illness", "住院")
    assert str(row.get_absence_reason_display()) in body(response)


def test_absent_after_start_needs_note_for_other(client, cast):
    seed_types(cast)
    past = make_activity(cast.admin, cast.committee, day=DAY, title="六月集体学习")
    member = cast.west_members[1]
    client.force_login(cast.west_secretary)
    url = reverse("activities:attendance_mark", args=[past.pk, member.pk])
    response = client.post(url, {"status": "absent", "absence_reason": "other", "note": ""}, **HX)
    assert "陈刚：原因选择“其他”时" in body(response)
    client.post(url, {"status": "absent", "absence_reason": "other", "note": "照顾孙子"}, **HX)
    row = Attendance.objects.get(member=member)
    assert (row.status, row.absence_reason, row.note) == ("absent", "other", "照顾孙子")


def test_absent_before_start_refused(client, cast):
    seed_types(cast)
    activity = future(cast.admin, cast.committee)
    client.force_login(cast.admin)
    url = reverse("activities:attendance_mark", args=[activity.pk, cast.me.pk])
    response = client.post(url, {"status": "absent", "absence_reason": "work"}, **HX)
    assert "活动开始后才能登记缺席" in body(response)
    assert not Attendance.objects.exists()


def test_recorded_rows_show_state_and_correct_link(client, cast):
    seed_types(cast)
    past = make_activity(cast.admin, cast.committee, day=DAY)
    record = attendance_record(actor=cast.admin, activity=past, member=cast.me, status="absent",
                               absence_reason="work")
    client.force_login(cast.east_secretary)
    text = body(client.get(reverse("activities:attendance", args=[past.pk])))
    assert reverse("activities:attendance_correct", args=[past.pk, record.pk]) in text


def test_correct_needs_reason_and_is_audited(client, cast):
    seed_types(cast)
    past = make_activity(cast.admin, cast.committee, day=DAY)
    record = attendance_record(actor=cast.admin, activity=past, member=cast.me, status="absent",
                               absence_reason="work")
    url = reverse("activities:attendance_correct", args=[past.pk, record.pk])
    client.force_login(cast.east_secretary)
    response = client.post(url, {"status": "present", "absence_reason": "", "note": "", "reason": ""})
    assert "请说明更正考勤记录的原因。" in body(response)
    record.refresh_from_db()
    assert record.status == "absent"
    response = client.post(url, {"status": "present", "absence_reason": "", "note": "", "reason": "签到表漏记"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == "present"
    assert AuditEntry.objects.filter(action="attendance.correct").exists()
    # the west secretary may not correct an east member's record
    client.force_login(cast.west_secretary)
    assert client.get(url).status_code == 404


def test_tick_list_query_count_does_not_grow(client, cast):
    seed_types(cast)
    past = make_activity(cast.admin, cast.committee, day=DAY)
    attendance_record(actor=cast.admin, activity=past, member=cast.me, status="present")
    client.force_login(cast.admin)
    url = reverse("activities:attendance", args=[past.pk])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for i in range(8):
        m = make_member(cast.admin, cast.east, birth_date=datetime.date(1950 + i, 1, 1))
        if i % 2:
            attendance_record(actor=cast.admin, activity=past, member=m, status="absent", absence_reason="work")
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert len(after.captured_queries) == len(before.captured_queries)
    assert len(response.context["rows"]) == 6 + 8


def test_member_on_leave_who_comes_anyway_is_ticked_present(client, cast, now_activity):
    member = cast.east_members[1]
    attendance_record(actor=cast.admin, activity=now_activity, member=member, status="leave", absence_reason="illness")
    client.force_login(cast.east_secretary)
    text = body(client.get(reverse("activities:attendance", args=[now_activity.pk])))
    url = reverse("activities:attendance_present", args=[now_activity.pk, member.pk])
    assert url in text
    client.post(url, **HX)
    row = Attendance.objects.get(member=member)
    assert row.status == "present" and row.absence_reason == "" and row.checked_in_at is not None
